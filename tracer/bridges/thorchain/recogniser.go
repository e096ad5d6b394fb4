package thorchain

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// Protocol is the watchlist protocol of THORChain routers and vaults.
const Protocol = "thorchain"

// Recogniser follows taint through THORChain swaps. An inbound that
// carries taint — a deposit at a trusted bridge entry of protocol
// thorchain (the Ethereum router, a Bitcoin vault an operator names)
// with a swap memo — names its destination on the taint.bridge finding
// (dest) and waits, under its inbound tx id, for the payout; a payout (a
// Bitcoin transaction whose OP_RETURN says OUT:<id>, a router
// TransferOut with that memo) moves the taint to the output or address
// it pays, on its own chain. Whichever leg the engine applies first, the
// second completes the join: the payout seen first waits under the same
// id on its chain. The join is certain (confidence 1): THORChain itself
// writes the inbound id into the payout.
type Recogniser struct {
	labels tracer.Labels
	log    *slog.Logger
}

// New returns the recogniser; labels tell the routers and vaults.
func New(labels tracer.Labels, log *slog.Logger) *Recogniser {
	if log == nil {
		log = slog.Default()
	}
	return &Recogniser{labels: labels, log: log.With("component", "thorchain")}
}

// Name implements tracer.Recogniser.
func (r *Recogniser) Name() string { return Protocol }

// isTHORChain reports whether addr on chain carries a trusted thorchain
// bridge entry.
func (r *Recogniser) isTHORChain(chain chains.Chain, addr string) bool {
	if r.labels == nil || addr == "" {
		return false
	}
	for _, e := range r.labels.Lookup(chain, addr) {
		if e.Trusted() && e.Kind == watchlists.Bridge && e.Protocol == Protocol {
			return true
		}
	}
	return false
}

// pending is a tainted inbound waiting for its payout, per incident.
type pending struct {
	Incident string `json:"inc"`
	Chain    string `json:"chain"`  // the inbound's chain
	Parked   string `json:"parked"` // where its taint is parked there
	Asset    chains.Asset
	Taint    *big.Int `json:"taint"`
	In       *big.Int `json:"in"` // what the inbound paid in (the taint's share of it moves)
	Dest     string   `json:"dest"`
	DestAddr string   `json:"dest_addr"`
	DestAst  string   `json:"dest_asset"`
	Sender   string   `json:"sender"` // the inbound's payer: a refund pays it back
}

// payout is one output (or recipient) of a payout seen before its inbound.
type payout struct {
	To     string   `json:"to"` // txid:vout on Bitcoin, the address on Ethereum
	Addr   string   `json:"addr"`
	Amount *big.Int `json:"amount"`
	Asset  chains.Asset
	Tx     string `json:"tx,omitempty"` // the payout transaction
}

func pendingKey(id string) string { return "p/" + id }
func payoutKey(id string) string  { return "o/" + id }

// Recognise implements tracer.Recogniser.
func (r *Recogniser) Recognise(_ context.Context, st tracer.State, b *chains.Block, tx *chains.Tx, deps []tracer.Deposit) ([]tracer.Move, error) {
	if tx.Failed {
		return nil, nil
	}
	var moves []tracer.Move
	swapped := false
	for _, leg := range r.legsOf(b, tx) {
		m, err := ParseMemo(leg.memo)
		if err != nil {
			// Bitcoin carries many OP_RETURNs that are not THORChain's.
			r.log.Debug("memo not understood", "chain", b.Chain, "tx", tx.Hash, "memo", leg.memo, "err", err)
			continue
		}
		switch m.Type {
		case Swap:
			if !swapped { // the transaction's deposits go with its first swap
				swapped = true
				moves = append(moves, r.inbound(st, b, tx, m, deps, leg.router)...)
			}
		case Out, Refund:
			if st.Lane() == "" { // a payout is joined on the live pass
				moves = append(moves, r.outbound(st, b, tx, m, leg.payouts)...)
			}
		}
	}
	return moves, nil
}

// leg is one THORChain memo of a transaction and, for a payout, what it
// pays.
type leg struct {
	memo    string
	payouts []payout
	router  bool // a router's Deposit event: the swap may come through an aggregator
}

// legsOf finds tx's THORChain memos: every router event's on Ethereum (a
// router may pay out several swaps in one transaction), the OP_RETURN's
// on Bitcoin.
func (r *Recogniser) legsOf(b *chains.Block, tx *chains.Tx) []leg {
	chain := b.Chain
	switch chain {
	case chains.Ethereum:
		var legs []leg
		for _, l := range tx.Logs {
			if len(l.Topics) == 0 || !r.isTHORChain(chain, l.Address) {
				continue
			}
			switch l.Topics[0] {
			case DepositTopic:
				d, err := DecodeDeposit(l)
				if err != nil {
					r.log.Warn("router deposit not understood", "tx", tx.Hash, "err", err)
					continue
				}
				legs = append(legs, leg{memo: d.Memo, router: true})
			case TransferOutTopic:
				o, err := DecodeTransferOut(l)
				if err != nil {
					r.log.Warn("router payout not understood", "tx", tx.Hash, "err", err)
					continue
				}
				asset := chains.ETH
				if o.Asset != NativeAsset {
					asset = chains.Asset{Symbol: "ERC-20", Contract: o.Asset}
				}
				legs = append(legs, leg{memo: o.Memo, payouts: []payout{{To: o.To, Addr: o.To, Amount: o.Amount, Asset: asset, Tx: tx.Hash}}})
			}
		}
		return legs
	case chains.Bitcoin:
		var memo string
		for _, o := range tx.Outputs {
			if o.Class == chains.NullData {
				if s, ok := outputMemo(o); ok {
					memo = s
					break
				}
			}
		}
		if memo == "" {
			return nil
		}
		var outs []payout
		for i := range tx.Outputs {
			o := &tx.Outputs[i]
			if o.Class == chains.NullData {
				continue
			}
			outs = append(outs, payout{To: fmt.Sprintf("%s:%d", tx.Hash, o.Index), Addr: b.OutputAddress(o), Amount: big.NewInt(o.Value), Asset: chains.BTC,
				Tx: tx.Hash})
		}
		return []leg{{memo: memo, payouts: outs}}
	}
	return nil
}

func outputMemo(o chains.Output) (string, bool) {
	data := o.Data
	if data == nil {
		h, ok := strings.CutPrefix(o.Address, "op_return:")
		if !ok {
			return "", false
		}
		var err error
		if data, err = hex.DecodeString(h); err != nil {
			return "", false
		}
	}
	if len(data) == 0 || len(data) > MaxMemoLen {
		return "", false
	}
	for _, c := range data {
		if c < 0x20 || c > 0x7e {
			return "", false // THORChain memos are printable ASCII; a witness commitment is not
		}
	}
	return string(data), true
}

// inbound handles a swap's deposit: the taint it parked at THORChain
// waits for the payout, or meets a payout seen first. Through an
// aggregator (LI.FI's THORSwap facet, THORSwap's own contracts) the taint
// is parked at the aggregator, a trusted bridge entry, and the router's
// Deposit event is in the same transaction: that taint waits too.
func (r *Recogniser) inbound(st tracer.State, b *chains.Block, tx *chains.Tx, m Memo, deps []tracer.Deposit, router bool) []tracer.Move {
	id := NormaliseTxID(tx.Hash)
	dest := &tracer.Dest{Chain: m.DestChain, Address: m.DestAddress, Asset: m.DestAsset}
	var waits []pending
	for i := range deps {
		d := &deps[i]
		if d.Tainted == nil || d.Tainted.Sign() <= 0 {
			continue
		}
		if !r.isTHORChain(b.Chain, d.Service) && !(router && aggregator(d)) {
			continue
		}
		d.Dest = dest
		waits = append(waits, pending{Incident: d.Incident, Chain: string(b.Chain), Parked: d.Service, Asset: d.Asset,
			Taint: new(big.Int).Set(d.Tainted), In: new(big.Int).Set(d.Amount), Dest: m.DestChain, DestAddr: m.DestAddress, DestAst: m.DestAsset,
			Sender: d.From})
	}
	if len(waits) == 0 {
		return nil
	}
	// The payout may be on a chain the engine follows and seen already
	// (a refund comes back on this chain).
	for _, c := range []chains.Chain{chains.Chain(m.DestChain), b.Chain} {
		other := st.On(c)
		if other == nil {
			continue
		}
		if v, ok := other.Get(payoutKey(id)); ok {
			var po payoutSeen
			if err := json.Unmarshal(v, &po); err == nil {
				other.Delete(payoutKey(id))
				return r.join(waits, c, po.Outs, "", po.Refund, po.At)
			}
		}
	}
	// Another incident's taint may wait on the same swap (an incident
	// caught up later replays it): keep theirs, replace this one's.
	var all []pending
	if v, ok := st.Get(pendingKey(id)); ok {
		_ = json.Unmarshal(v, &all)
	}
	all = slices.DeleteFunc(all, func(p pending) bool {
		return slices.ContainsFunc(waits, func(w pending) bool { return w.Incident == p.Incident })
	})
	v, _ := json.Marshal(append(all, waits...))
	st.Put(pendingKey(id), v)
	return nil
}

// aggregator reports whether d was parked at a trusted bridge entry of
// another protocol: a contract that routes swaps into THORChain's router.
func aggregator(d *tracer.Deposit) bool {
	return d.Label != nil && d.Label.Trusted() && d.Label.Kind == watchlists.Bridge && d.Label.Protocol != Protocol
}

// payoutSeen is a payout waiting for its inbound.
type payoutSeen struct {
	Outs   []payout `json:"outs"`
	Refund bool     `json:"refund,omitempty"`
	// At is the payout's block: the engine applies its chain's later
	// blocks again after the inbound, so a spend of the payout already
	// applied carries the taint on.
	At chains.BlockRef `json:"at"`
}

// outbound handles a payout: it completes the join with its inbound, or
// waits for it under the inbound's id.
func (r *Recogniser) outbound(st tracer.State, b *chains.Block, tx *chains.Tx, m Memo, outs []payout) []tracer.Move {
	if len(outs) == 0 {
		return nil
	}
	for _, c := range []chains.Chain{chains.Ethereum, chains.Bitcoin} {
		other := st.On(c)
		if other == nil {
			continue
		}
		v, ok := other.Get(pendingKey(m.InboundTx))
		if !ok {
			continue
		}
		var waits []pending
		if err := json.Unmarshal(v, &waits); err != nil {
			r.log.Warn("pending swap unreadable", "inbound", m.InboundTx, "err", err)
			return nil
		}
		// An incident still catching up joins in its own lane: the
		// engine would drop its move here.
		var now, later []pending
		for _, w := range waits {
			if st.Live(w.Incident) {
				now = append(now, w)
			} else {
				later = append(later, w)
			}
		}
		if len(later) == 0 {
			other.Delete(pendingKey(m.InboundTx))
		} else {
			v, _ := json.Marshal(later)
			other.Put(pendingKey(m.InboundTx), v)
		}
		serviceChain := chains.Chain("")
		if c != b.Chain {
			serviceChain = c
		}
		return r.join(now, b.Chain, r.notVaults(b.Chain, outs), serviceChain, m.Type == Refund, chains.BlockRef{})
	}
	// The inbound is not known (yet): keep what the payout paid, so that
	// a tainted inbound applied later finds it. Only payouts of a
	// chain the engine follows reach here; an untainted inbound never
	// asks, and its payout's entry stays (small: the outputs).
	v, _ := json.Marshal(payoutSeen{Outs: r.notVaults(b.Chain, outs), Refund: m.Type == Refund, At: b.Ref})
	st.Put(payoutKey(m.InboundTx), v)
	r.expire(st, b, m.InboundTx)
	return nil
}

// notVaults drops the outputs that pay THORChain itself (a vault's
// change): the taint goes to the swap's recipient, never into a vault.
func (r *Recogniser) notVaults(chain chains.Chain, outs []payout) []payout {
	return slices.DeleteFunc(slices.Clone(outs), func(o payout) bool { return r.isTHORChain(chain, o.Addr) })
}

// maxExpireStep bounds the heights one payout walks to forget old ones.
const maxExpireStep = 10_000

// payoutWindow is how long a payout waits for its inbound, in blocks of
// the payout's chain (about a week): an inbound that late is not coming
// (the inbound chain's follower is not that far behind).
var payoutWindow = map[chains.Chain]uint64{chains.Bitcoin: 1_000, chains.Ethereum: 50_000}

// expire records that the payout for id waits from block b, and forgets
// the payouts that have waited longer than the window, so that the state
// stays bounded by a window of payouts whatever THORChain's volume.
func (r *Recogniser) expire(st tracer.State, b *chains.Block, id string) {
	at := func(h uint64) string { return fmt.Sprintf("ob/%d", h) }
	var ids []string
	if v, ok := st.Get(at(b.Ref.Number)); ok {
		_ = json.Unmarshal(v, &ids)
	}
	v, _ := json.Marshal(append(ids, id))
	st.Put(at(b.Ref.Number), v)

	w := payoutWindow[b.Chain]
	var cursor uint64 // the last height forgotten
	if v, ok := st.Get("ob/cursor"); ok {
		_ = json.Unmarshal(v, &cursor)
	} else {
		cursor = b.Ref.Number - 1 // nothing was recorded before this
		c, _ := json.Marshal(cursor)
		st.Put("ob/cursor", c)
	}
	if b.Ref.Number <= w {
		return
	}
	// Forget what waited longer than the window, a bounded stretch of
	// heights per call: a long quiet gap is walked over several payouts,
	// and no height holding payouts is skipped.
	end := min(b.Ref.Number-w, cursor+maxExpireStep)
	if end <= cursor {
		return
	}
	for h := cursor + 1; h <= end; h++ {
		if v, ok := st.Get(at(h)); ok {
			var old []string
			_ = json.Unmarshal(v, &old)
			for _, x := range old {
				st.Delete(payoutKey(x))
			}
			st.Delete(at(h))
		}
	}
	c, _ := json.Marshal(end)
	st.Put("ob/cursor", c)
}

// join moves each waiting incident's taint to the payout: to the output
// paying the memo's destination (a refund: the inbound's sender), its
// share of what the inbound paid in (haircut across assets: payout ×
// taint ÷ in). A payout that pays neither is not guessed at: the taint
// stays at THORChain, where the bridge finding left it.
func (r *Recogniser) join(waits []pending, payChain chains.Chain, outs []payout, serviceChain chains.Chain, refund bool, at chains.BlockRef) []tracer.Move {
	var moves []tracer.Move
	for _, w := range waits {
		to := w.DestAddr
		if refund {
			to = w.Sender
		}
		o, ok := pick(outs, to)
		if !ok {
			r.log.Warn("payout pays no output to the swap's recipient: its taint stays at THORChain", "incident", w.Incident, "recipient", to)
			continue
		}
		amt := new(big.Int).Mul(o.Amount, w.Taint)
		if w.In.Sign() > 0 {
			amt.Quo(amt, w.In)
		}
		if amt.Cmp(o.Amount) > 0 {
			amt.Set(o.Amount)
		}
		if amt.Sign() <= 0 {
			continue
		}
		sc := serviceChain
		if sc == "" && chains.Chain(w.Chain) != payChain {
			sc = chains.Chain(w.Chain)
		}
		moves = append(moves, tracer.Move{Incident: w.Incident, Service: w.Parked, ServiceChain: sc, Asset: w.Asset,
			Take: w.Taint, Chain: payChain, To: o.To, ToAsset: o.Asset, Amount: amt, Gross: o.Amount, Confidence: 1, At: at,
			PayoutTx: o.Tx, ToAddress: o.Addr})
	}
	return moves
}

// pick is the payout output to addr; with one output left (the vault's
// change dropped) and no address to check, that one.
func pick(outs []payout, addr string) (payout, bool) {
	for _, o := range outs {
		if addr != "" && strings.EqualFold(o.Addr, addr) {
			return o, true
		}
	}
	if addr == "" && len(outs) == 1 {
		return outs[0], true
	}
	return payout{}, false
}
