package tracer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/holiman/uint256"
)

// drainWindow holds a treasury address's recent outflows of one asset.
type drainWindow struct {
	outs    []drainOut
	base    uint256.Int // balance before the window's first outflow
	hasBase bool
	raised  bool // a drain finding was raised in this window
}

type drainOut struct {
	block uint64
	time  time.Time
	tx    string
	to    string
	amt   uint256.Int
}

func (d *drainWindow) clone() *drainWindow {
	c := *d
	c.outs = append([]drainOut(nil), d.outs...)
	return &c
}

// drainHit is a drain found in this block, for auto incidents.
type drainHit struct {
	treasury watchlists.Entry
	asset    chains.Asset
	outs     []drainOut
	finding  int // index of its treasury.drain finding in the applier's findings
}

// treasuryOutflow raises treasury.outflow for a transfer out of a treasury
// address and feeds the drain window: for each tenant whose treasury it
// is, on its own (one tenant's entry never changes another's alerts).
func (ap *applier) treasuryOutflow(tx *chains.Tx, k int, t *chains.Transfer) error {
	if t.Kind == chains.Fee || t.From == t.To || !ap.watchesTreasury() {
		return nil
	}
	trs := ofKindByOwner(ap.e.labels(ap.cs.chain, t.From), watchlists.Treasury)
	if len(trs) == 0 {
		return nil
	}
	var amt uint256.Int
	if amt.SetFromBig(t.Amount) {
		return nil
	}
	for _, tr := range trs {
		if err := ap.outflow(tx, k, t.Seq, t.From, t.To, t.Asset, &amt, tr); err != nil {
			return err
		}
	}
	return nil
}

// treasuryUTXO raises treasury.outflow for each output of a transaction
// that spends a treasury address's coins (inputs whose address the
// follower resolved or read from the spending script) and does not pay
// back to one of its input addresses.
func (ap *applier) treasuryUTXO(tx *chains.Tx) error {
	if !ap.watchesTreasury() {
		return nil // no treasury: no input address needs deriving
	}
	// Each owner's treasury among the inputs: its first, in input order.
	var trs []*watchlists.Entry
	own := map[string]bool{}
	for i := range tx.Inputs {
		a := ap.b.InputAddress(&tx.Inputs[i])
		if a == "" {
			continue
		}
		own[a] = true
		for _, tr := range ofKindByOwner(ap.e.labels(ap.cs.chain, a), watchlists.Treasury) {
			if !slices.ContainsFunc(trs, func(e *watchlists.Entry) bool { return e.Owner == tr.Owner }) {
				trs = append(trs, tr)
			}
		}
	}
	if len(trs) == 0 {
		return nil
	}
	slices.SortStableFunc(trs, func(a, b *watchlists.Entry) int { return strings.Compare(a.Owner, b.Owner) })
	for _, tr := range trs {
		for oi := range tx.Outputs {
			o := &tx.Outputs[oi]
			to := ap.b.OutputAddress(o)
			if own[to] || o.Value <= 0 {
				continue
			}
			if err := ap.outflow(tx, -1, int(o.Index), tr.Address, to, chains.BTC, uint256.NewInt(uint64(o.Value)), tr); err != nil {
				return err
			}
		}
	}
	return nil
}

func (ap *applier) outflow(tx *chains.Tx, k, seq int, from, to string, asset chains.Asset, amt *uint256.Int, tr *watchlists.Entry) error {
	dest := ap.e.labels(ap.cs.chain, to)
	f := ap.transferFinding(TreasuryOutflow, tx, seq, tr.Owner, from, to, asset, amt)
	f.Label = tr
	f.Known = knownTo(dest, tr.Owner)
	ap.findings = append(ap.findings, f)
	if ownsKind(dest, watchlists.Treasury, tr.Owner) {
		return nil // between the owner's treasury wallets: not a drain
	}
	return ap.drain(tx, k, seq, from, to, asset, amt, tr)
}

// drain adds an outflow to its window and raises treasury.drain when the
// window's outflows cross the configured amount or share of balance.
func (ap *applier) drain(tx *chains.Tx, k, seq int, from, to string, asset chains.Asset, amt *uint256.Int, tr *watchlists.Entry) error {
	cfg := ap.e.cfg.Drain
	minAmt := cfg.MinAmount[ap.cs.chain]
	amountRule := minAmt != nil && minAmt.Sign() > 0 && asset.Key() == ""
	shareRule := cfg.MinShare > 0 && ap.e.deps.Balances != nil
	if !amountRule && !shareRule {
		return nil
	}
	key := hkey{a: from, b: asset.Key()}
	if tr.Owner != "" {
		key.b += "@" + tr.Owner // each owner's window of its own
	}
	ap.e.touchDrain(ap.j, ap.cs, key)
	d := ap.cs.drains[key]
	if d == nil {
		d = &drainWindow{}
		ap.cs.drains[key] = d
	}
	now := ap.b.Ref.Time
	keep := d.outs[:0]
	for _, o := range d.outs {
		if now.Sub(o.time) < cfg.Window {
			keep = append(keep, o)
		}
	}
	d.outs = keep
	if len(d.outs) == 0 {
		d.hasBase, d.raised = false, false
		d.base.Clear()
	}
	if shareRule && !d.hasBase {
		if k >= 0 {
			pre, err := ap.preBalance(indexOfTx(ap.b, tx), k, from, asset)
			if err != nil {
				return fmt.Errorf("drain base balance of %s: %w", from, err)
			}
			d.base.Set(pre)
		} else if ap.b.Ref.Number > 0 {
			bal, err := ap.e.deps.Balances.BalanceAt(ap.ctx, from, asset, ap.b.Ref.Number-1)
			if err != nil {
				return fmt.Errorf("drain base balance of %s: %w", from, err)
			}
			if bal != nil && bal.Sign() > 0 {
				d.base.SetFromBig(bal)
			}
		}
		d.hasBase = true
	}
	d.outs = append(d.outs, drainOut{block: ap.b.Ref.Number, time: now, tx: tx.Hash, to: to, amt: *amt})
	if d.raised {
		return nil
	}
	var sum uint256.Int
	for i := range d.outs {
		sum.Add(&sum, &d.outs[i].amt)
	}
	hit := amountRule && !sum.Lt(uint256.MustFromBig(minAmt))
	if !hit && shareRule && !d.base.IsZero() {
		var lim uint256.Int
		lim.MulDivOverflow(&d.base, uint256.NewInt(uint64(cfg.MinShare*1e6)), uint256.NewInt(1_000_000))
		hit = !sum.Lt(&lim)
	}
	if !hit {
		return nil
	}
	d.raised = true
	f := ap.transferFinding(TreasuryDrain, tx, seq, tr.Owner, from, to, asset, &sum)
	f.Label = tr
	f.Known = knownTo(ap.e.labels(ap.cs.chain, to), tr.Owner)
	if !d.base.IsZero() {
		f.Share = share(&incident{rt: incRuntime{stolen: map[string]*uint256.Int{"": &d.base}}}, "", &sum)
	}
	ap.findings = append(ap.findings, f)
	ap.drains = append(ap.drains, drainHit{treasury: *tr, asset: asset, outs: append([]drainOut(nil), d.outs...), finding: len(ap.findings) - 1})
	return nil
}

func indexOfTx(b *chains.Block, tx *chains.Tx) int {
	for i := range b.Txs {
		if &b.Txs[i] == tx {
			return i
		}
	}
	return len(b.Txs) - 1
}

// autoIncidents opens an incident from each drain of this block when
// auto_incident is on: the thief is followed from the first outflow on.
func (e *Engine) autoIncidents(ctx context.Context, ap *applier) error {
	if !e.cfg.Drain.AutoIncident {
		return nil
	}
	for _, hit := range ap.drains {
		seed := string(ap.cs.chain) + "\x00" + hit.treasury.Address + "\x00" + hit.asset.Key() + "\x00" + hit.outs[0].tx
		if hit.treasury.Owner != "" {
			seed += "\x00" + hit.treasury.Owner // each owner's incident of its own
		}
		h := sha256.Sum256([]byte(seed))
		id := "inc_auto_" + hex.EncodeToString(h[:10])
		if _, ok := e.incidents[id]; ok {
			continue
		}
		// The drain alert names the incident it opens (its ID stays the
		// one computed without it, so retractions still match).
		ap.findings[hit.finding].Incident = id
		seen := map[string]bool{}
		var seeds []watchlists.Seed
		start := hit.outs[0].block
		for _, o := range hit.outs {
			if !seen[o.tx] {
				seen[o.tx] = true
				seeds = append(seeds, watchlists.Seed{Tx: o.tx})
			}
			if o.block < start {
				start = o.block
			}
		}
		sort.Slice(seeds, func(i, k int) bool { return seeds[i].Tx < seeds[k].Tx })
		policy := e.cfg.Drain.Policy
		if policy == "" {
			policy = e.cfg.Policy
		}
		label := hit.treasury.Label
		if label == "" {
			label = hit.treasury.Address
		}
		def := watchlists.Incident{
			ID: id, Title: "auto: drain of treasury " + label, Owner: hit.treasury.Owner,
			Chain: ap.cs.chain, Seeds: seeds, Policy: policy, Status: watchlists.Open,
			Opened: ap.b.Ref.Time, Auto: true,
			Private: !firstClaim(ap.e.labels(ap.cs.chain, hit.treasury.Address), &hit.treasury),
		}
		if e.deps.Incidents != nil {
			if err := e.deps.Incidents.SaveIncident(ctx, def); err != nil {
				return fmt.Errorf("save auto incident %s: %w", id, err)
			}
		}
		inc, err := e.newIncident(def)
		if err != nil {
			return err
		}
		inc.start, inc.hasStart = start, true
		e.incidents[id] = inc
		e.a.register(inc)
		ap.j.record(rec{kind: recIncident, inc: inc, prior: incRuntime{stolen: map[string]*uint256.Int{}, closed: true, absent: true}})
		if start == ap.b.Ref.Number {
			lane := &applier{e: e, ctx: ctx, cs: ap.cs, b: ap.b, j: ap.j, only: inc}
			if err := lane.run(); err != nil {
				return err
			}
			ap.findings = append(ap.findings, lane.findings...)
			inc.rt.joined = true
		} else {
			inc.rt.cursor = start - 1
			e.startCatchUp(inc)
		}
		e.log.Warn("treasury drain: incident opened", "incident", id, "chain", ap.cs.chain, "treasury", hit.treasury.Address, "block", ap.b.Ref.Number)
	}
	return nil
}
