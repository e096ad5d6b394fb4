package tracer

import (
	"context"
	"fmt"
	"math"
	"math/big"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/holiman/uint256"
)

// Deposit is tainted value that reached a service (exchange, mixer,
// bridge) in a transaction: exact tracking stopped there and the taint is
// parked at the service, where a Recogniser may pick it up.
type Deposit struct {
	Incident string
	Service  string // the service address
	Label    *watchlists.Entry
	From     string
	Asset    chains.Asset
	Amount   *big.Int
	Tainted  *big.Int
	Hops     int
	// Dest is set by a recogniser that can tell where the deposit goes (a
	// bridge's destination chain and address): the engine puts it on the
	// deposit's finding.
	Dest *Dest
}

// Move is a Recogniser's verdict: taint parked at a service goes on to an
// address (on this chain or another one), e.g. a bridge payout or a mixer
// withdrawal.
type Move struct {
	Incident string
	// Service and Asset name the parked taint drawn on, on ServiceChain
	// ("": this chain; another one for a cross-chain swap whose payout
	// is seen after its deposit).
	Service      string
	ServiceChain chains.Chain
	Asset        chains.Asset
	// Take is how much of the parked taint the move consumes; it is capped
	// at what is parked, and Amount shrinks in proportion.
	Take *big.Int
	// Chain, To and ToAsset say where the taint goes: an address on the
	// account model, "txid:vout" on the UTXO model.
	Chain   chains.Chain
	To      string
	ToAsset chains.Asset
	Amount  *big.Int // tainted amount credited at To (haircut)
	// Gross is what To received in all (a mixer withdrawal's payout): the
	// finding's amount, and what is credited under poison. Nil: Amount.
	Gross *big.Int
	// Type of the finding to raise ("" for none), e.g. MixerWithdrawal or
	// BridgeDeposit.
	Type FindingType
	// Confidence in (0, 1] that the move carries the incident's taint (1:
	// certain, as a bridge payout joined by its inbound id). It is the
	// move's hop's confidence: findings downstream carry the product along
	// their path. Below the incident's confidence floor the finding is
	// raised but the taint goes no further.
	Confidence float64
	// Heuristics lists the linking heuristics behind Confidence.
	Heuristics []string
	// Provisional marks a move made before the service's history was
	// known (a mixer pool's deposits before chainhound saw it): the
	// finding says so.
	Provisional bool
	// At is the block of Chain (another chain) that paid To, when the
	// recogniser saw it before this block (a payout applied before its
	// inbound). The engine applies Chain's blocks after At again after
	// this one, so that a spend of To it already applied carries the
	// taint on. Zero: nothing to apply again.
	At chains.BlockRef
	// PayoutTx names the transaction on Chain that paid To: the move's
	// hop is recorded there (in block At when set). "": the transaction
	// being applied.
	PayoutTx string
	// ToAddress is the address that holds To when To is an output
	// ("txid:vout"): the hop's receiver in the path. "": To.
	ToAddress string
}

// Recogniser sees each transaction of the live stream (and, in catch-up,
// each transaction of the lane that deposits tainted value into a service
// or carries a kept log) and may move parked taint on. The engine calls
// it; it knows nothing of what it recognises.
type Recogniser interface {
	Name() string
	Recognise(ctx context.Context, st State, b *chains.Block, tx *chains.Tx, deposits []Deposit) ([]Move, error)
}

// Undoer is implemented by a Recogniser that keeps state per block outside
// its State (which the engine undoes itself).
type Undoer interface {
	Undo(ctx context.Context, chain chains.Chain, ref chains.BlockRef)
}

// recognise hands tx (the block's ti-th) and its tainted service deposits (among fs, the
// findings its application raised) to the recognisers and applies the
// moves they return.
func (ap *applier) recognise(ti int, tx *chains.Tx, fs []Finding) error {
	if len(ap.e.deps.Recognisers) == 0 || ap.b.Ref.Hash == "pending" {
		return nil
	}
	var deps []Deposit
	var at []int // the finding of each deposit, in fs
	for fi, f := range fs {
		// Only a trusted entry drives a recogniser: a tenant's own entry
		// (AudienceLabelOwner) parks nothing.
		if f.Tx != tx.Hash || f.Label == nil || f.Tainted == nil || f.Label.Kind == watchlists.Sanctioned || f.Audience == AudienceLabelOwner {
			continue
		}
		deps = append(deps, Deposit{Incident: f.Incident, Service: f.To, Label: f.Label, From: f.From, Asset: f.Asset, Amount: f.Amount, Tainted: f.Tainted, Hops: f.Hops})
		at = append(at, fi)
	}
	if !ap.live && len(deps) == 0 && len(tx.Logs) == 0 {
		return nil // a replay: nothing of the lane's, no event a recogniser asked for
	}
	for ri, r := range ap.e.deps.Recognisers {
		moves, err := r.Recognise(ap.ctx, stateOf{ap: ap, name: r.Name()}, ap.b, tx, deps)
		if err != nil {
			return fmt.Errorf("recogniser %s on tx %s: %w", r.Name(), tx.Hash, err)
		}
		for i := range deps {
			if d := deps[i].Dest; d != nil && fs[at[i]].Dest == nil {
				c := *d
				fs[at[i]].Dest = &c
			}
		}
		if len(moves) > maxMovesPerTx {
			return fmt.Errorf("recogniser %s on tx %s: %d moves, at most %d per transaction", r.Name(), tx.Hash, len(moves), maxMovesPerTx)
		}
		for i, m := range moves {
			if err := ap.applyMove(ti, tx, moveSeq(ri, i), i, m); err != nil {
				return fmt.Errorf("recogniser %s on tx %s: %w", r.Name(), tx.Hash, err)
			}
		}
	}
	return nil
}

// maxMovesPerTx bounds the moves of one recogniser on one transaction (and
// the recognisers), so that each move has a number of its own.
const maxMovesPerTx = 1 << 10

// moveSeq numbers move i of recogniser ri within its transaction: after
// every transfer and output (1<<20), apart from every other recogniser's
// moves — the number names the move's hop and finding, in the store too.
func moveSeq(ri, i int) int { return 1<<20 + ri<<10 + i }

func (ap *applier) applyMove(ti int, tx *chains.Tx, seq, i int, m Move) error {
	inc := ap.e.incidents[m.Incident]
	if inc == nil || !ap.inLane(inc) {
		return nil
	}
	if m.Take == nil || m.Amount == nil || m.Take.Sign() <= 0 || m.Amount.Sign() <= 0 {
		return fmt.Errorf("move %d: take and amount must be positive", i)
	}
	if !(m.Confidence > 0 && m.Confidence <= 1) { // NaN too
		return fmt.Errorf("move %d: confidence %v not in (0, 1]", i, m.Confidence)
	}
	gross := m.Gross
	if gross == nil {
		gross = m.Amount
	}
	var grossAmt uint256.Int
	if gross.Sign() < 0 || grossAmt.SetFromBig(gross) {
		return fmt.Errorf("move %d: gross amount out of range", i)
	}
	pcs := ap.cs // where the taint is parked
	if m.ServiceChain != "" && m.ServiceChain != ap.cs.chain {
		if ap.e.chains[m.ServiceChain] == nil {
			return nil
		}
		pcs = ap.e.chainState(m.ServiceChain)
	}
	pk := parkKey{inc: inc, service: m.Service, asset: m.Asset.Key()}
	p := pcs.parked[pk]
	if p == nil || p.amt.IsZero() {
		return nil
	}
	var take, amt uint256.Int
	if take.SetFromBig(m.Take) || amt.SetFromBig(m.Amount) {
		return fmt.Errorf("move %d: amount beyond 256 bits", i)
	}
	if p.amt.Lt(&take) {
		amt.MulDivOverflow(&amt, &p.amt, &take)
		take.Set(&p.amt)
	}
	ap.e.touchParked(ap.j, pcs, pk)
	p.amt.Sub(&p.amt, &take)
	if inc.policy == watchlists.Poison && grossAmt.Gt(&amt) {
		amt = grossAmt // poison: the whole payout is tainted
	}
	if grossAmt.Lt(&amt) {
		grossAmt = amt
	}
	nh := ap.moveHop(inc, p.via, tx, seq, m, &amt)
	ap.e.a.hop(nh).doubt = doubtOf(m.Confidence)
	if p.amt.IsZero() {
		delete(pcs.parked, pk)
	}
	dst := ap.e.chains[m.Chain]
	followed := dst != nil || ap.e.deps.Sources[m.Chain] != nil
	if m.Type != "" {
		ap.finding(m.Type, tx, seq, m.Service, m.To, m.ToAsset, &grossAmt, &amt, inc, nil, AudienceAll, nh)
		f := &ap.findings[len(ap.findings)-1]
		f.Chain = m.Chain
		if m.Chain != inc.def.Chain {
			f.Share = 0 // another chain's units: unknown
		}
		f.Heuristics = m.Heuristics
		f.Provisional = m.Provisional
	}
	if m.Confidence < inc.confFloor {
		return nil // reported; below the floor the taint goes no further
	}
	if !followed || int(ap.e.a.hop(nh).depth) > inc.maxHops {
		ap.finding(TaintLeft, tx, seq, m.Service, m.To, m.ToAsset, &amt, &amt, inc, nil, AudienceAll, nh)
		return nil
	}
	dst = ap.e.chainState(m.Chain)
	if m.At.Hash != "" && m.Chain != ap.cs.chain && ap.live && ap.only == nil && dst.hasLast && m.At.Number < dst.last.Number {
		if j := dst.journals[m.At.Number]; j != nil && j.ref.Hash == m.At.Hash {
			if ap.redo == nil {
				ap.redo = map[chains.Chain]uint64{}
			}
			if h, ok := ap.redo[m.Chain]; !ok || m.At.Number < h {
				ap.redo[m.Chain] = m.At.Number
			}
		}
	}
	var k hkey
	if dst.utxo {
		op, err := parseOutpoint(m.To)
		if err != nil {
			return fmt.Errorf("move %d to %s: %w", i, m.Chain, err)
		}
		k = utxoKey(op)
	} else {
		k = acctKey(m.To, m.ToAsset.Key())
	}
	ap.e.touchHolding(ap.j, dst, k, inc)
	a := ap.e.a
	id := dst.get(k, inc)
	// On this chain's account model the payout was a transfer of tx,
	// already counted in the receiver's balance (a clean inflow to a
	// holding, or in its balance read below): the move adds taint only.
	// So on another chain's account model that has applied blocks: a move
	// there joins a payout that chain applied first. Elsewhere (an output,
	// a chain not followed) the move brings the value too.
	here := m.Chain == ap.cs.chain && !dst.utxo
	counted := here || !dst.utxo && dst.hasLast
	if id == 0 {
		id = a.newHolding(inc)
		h := a.holding(id)
		h.via = nh
		var pre *uint256.Int
		if here && inc.policy != watchlists.Poison {
			var err error
			if pre, err = ap.preBalance(ti, math.MaxInt, m.To, m.ToAsset); err != nil {
				return fmt.Errorf("move %d to %s: %w", i, m.To, err)
			}
			a.set(&h.bal, pre)
		} else if !dst.utxo && inc.policy != watchlists.Poison && dst.hasLast && ap.e.deps.Balances != nil {
			// An address on another chain, whose payout that chain applied
			// before this join (its inbound's chain was behind): the
			// payout is in its balance at that chain's last block.
			bal, err := ap.e.deps.Balances.BalanceAt(ap.ctx, m.To, m.ToAsset, dst.last.Number)
			if err != nil {
				return fmt.Errorf("move %d to %s on %s: %w", i, m.To, m.Chain, err)
			}
			pre = new(uint256.Int)
			if bal != nil && bal.Sign() > 0 && pre.SetFromBig(bal) {
				return fmt.Errorf("move %d to %s on %s: balance beyond 256 bits", i, m.To, m.Chain)
			}
			a.set(&h.bal, pre)
		}
		if inc.policy == watchlists.FIFO {
			h.fifo = a.newFIFO()
			if pre != nil && pre.Gt(&amt) {
				q := a.queue(h)
				*q = append(*q, segment{amt: *new(uint256.Int).Sub(pre, &amt)})
			}
		}
		dst.put(k, id)
	} else if taint := a.get(a.holding(id).taint); taint.Lt(&amt) {
		a.holding(id).via = nh // the larger part now came this way
	}
	h := a.holding(id)
	if dst.utxo {
		// An output holds its whole value (the move's gross), whatever
		// part of it is tainted: a spend's haircut and fee read it.
		if bal := a.get(h.bal); bal.Lt(&grossAmt) {
			a.set(&h.bal, &grossAmt)
		}
	} else if !counted {
		a.add(&h.bal, &amt)
	}
	a.add(&h.taint, &amt)
	if bal, taint := a.get(h.bal), a.get(h.taint); bal.Lt(&taint) {
		a.set(&h.bal, &taint) // value not seen arriving (no traces): at least the taint
	}
	if q := a.queue(h); q != nil {
		*q = appendSegment(*q, segment{tainted: true, amt: amt, via: nh})
	}
	return nil
}

// moveHop records m's hop: on the payout's chain and transaction where
// the recogniser names them, to the address holding m.To.
func (ap *applier) moveHop(inc *incident, parent hopID, tx *chains.Tx, seq int, m Move, amt *uint256.Int) hopID {
	to := m.To
	if m.ToAddress != "" {
		to = m.ToAddress
	}
	if m.PayoutTx == "" || m.PayoutTx == tx.Hash && m.Chain == ap.cs.chain {
		return ap.newHop(inc, parent, tx, seq, m.Service, to, amt)
	}
	block := ap.b.Ref.Number
	if m.At.Number != 0 {
		block = m.At.Number
	}
	h := ap.e.a.newHop(inc, parent, m.Chain, m.PayoutTx, int32(seq), uint32(block), m.Service, to, amt)
	ap.e.recordHop(ap.j, h)
	return h
}
