package tracer

import (
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/holiman/uint256"
)

// burnAddress receives value that nobody can spend.
const burnAddress = "0x0000000000000000000000000000000000000000"

// victimOf returns the sender of a theft transaction's stolen transfers:
// the sender of its first value transfer (a token transferFrom names the
// victim there, not in tx.From).
func victimOf(tx *chains.Tx) string {
	for i := range tx.Transfers {
		t := &tx.Transfers[i]
		if t.Kind != chains.Fee && t.Kind != chains.NFT && t.Amount != nil && t.Amount.Sign() > 0 {
			return t.From
		}
	}
	return tx.From
}

// applyAccountTx applies one Ethereum transaction's transfers in order.
func (ap *applier) applyAccountTx(ti int, tx *chains.Tx) error {
	seeds := ap.txSeeds[tx.Hash]
	var victim string
	if len(seeds) > 0 {
		victim = victimOf(tx)
	}
	var amt uint256.Int
	ap.transit, ap.wraps = nil, 0
	for k := range tx.Transfers {
		t := &tx.Transfers[k]
		if tx.Failed && t.Kind != chains.Fee {
			continue
		}
		if t.Kind == chains.NFT || t.Amount == nil || t.Amount.Sign() <= 0 {
			continue
		}
		if ap.live {
			if err := ap.treasuryOutflow(tx, k, t); err != nil {
				return err
			}
		}
		if t.From == t.To {
			continue
		}
		asset := t.Asset.Key()
		src := ap.cs.head(acctKey(t.From, asset))
		dst := ap.cs.head(acctKey(t.To, asset))
		var seeded []*incident
		if t.Kind != chains.Fee {
			if len(seeds) > 0 && t.From == victim {
				seeded = seeds
			}
			if len(ap.addrSeed) > 0 {
				if incs := ap.addrSeed[t.From]; len(incs) > 0 {
					seeded = append(append([]*incident(nil), seeded...), incs...)
				}
			}
		}
		if src == 0 && dst == 0 && len(seeded) == 0 && ap.transit[k] == nil {
			continue // the hot path: nobody here holds taint
		}
		if amt.SetFromBig(t.Amount) {
			continue // beyond 256 bits: not a real amount
		}
		if err := ap.moveAccount(ti, tx, k, t, asset, &amt, src, dst, seeded); err != nil {
			return err
		}
	}
	return nil
}

func (ap *applier) moveAccount(ti int, tx *chains.Tx, k int, t *chains.Transfer, asset string, amt *uint256.Int, srcHead, dstHead holdID, seeded []*incident) error {
	a := ap.e.a
	var sbuf, dbuf [4]holdID
	src, dst := ap.cs.appendList(sbuf[:0], srcHead), ap.cs.appendList(dbuf[:0], dstHead)
	srcKey, dstKey := acctKey(t.From, asset), acctKey(t.To, asset)
	var doneBuf [4]*incident
	done := doneSet(doneBuf[:0])
	// Taint converted by a wrapping contract earlier in this transaction
	// (ETH into WETH, WETH back into ETH) arrives with this transfer.
	for _, c := range ap.transit[k] {
		if !ap.inLane(c.inc) || done.has(c.inc) {
			continue
		}
		done = append(done, c.inc)
		x := minAmt(&c.x, amt)
		if err := ap.creditAccount(ti, tx, k, t, asset, dstKey, c.inc, amt, x, c.via, nil); err != nil {
			return err
		}
	}
	for _, inc := range seeded {
		if !ap.inLane(inc) || done.has(inc) {
			continue
		}
		done = append(done, inc)
		ap.addStolen(inc, asset, amt)
		segs := []segment{{tainted: true, amt: *amt}}
		if err := ap.creditAccount(ti, tx, k, t, asset, dstKey, inc, amt, amt, 0, segs); err != nil {
			return err
		}
	}
	for _, h := range src {
		inc := a.incOf(h)
		if !ap.inLane(inc) || done.has(inc) {
			continue
		}
		done = append(done, inc)
		x, via, segs := ap.debitAccount(srcKey, h, amt)
		if err := ap.creditAccount(ti, tx, k, t, asset, dstKey, inc, amt, &x, via, segs); err != nil {
			return err
		}
	}
	for _, h := range dst {
		inc := a.incOf(h)
		if !ap.inLane(inc) || done.has(inc) {
			continue
		}
		// A clean inflow to a tainted holder.
		ap.e.touchHolding(ap.j, ap.cs, dstKey, inc)
		ap.cleanInflow(a.holding(h), amt)
	}
	return nil
}

// cleanInflow adds amt of clean value to h.
func (ap *applier) cleanInflow(h *holding, amt *uint256.Int) {
	ap.e.a.add(&h.bal, amt)
	if q := ap.e.a.queue(h); q != nil {
		*q = appendSegment(*q, segment{amt: *amt})
	}
}

// debitAccount takes amt out of h and returns the taint it carries, the
// hop it came by and, for FIFO, the segments it consumed.
func (ap *applier) debitAccount(k hkey, id holdID, amt *uint256.Int) (x uint256.Int, via hopID, segs []segment) {
	a := ap.e.a
	h, inc := a.holding(id), a.incOf(id)
	ap.e.touchHolding(ap.j, ap.cs, k, inc)
	bal, taint := a.get(h.bal), a.get(h.taint)
	if bal.Lt(amt) {
		bal.Set(amt) // value chainhound did not see arrive (a withdrawal, a reward): clamp
	}
	via = h.via
	switch inc.policy {
	case watchlists.Poison:
		x.Set(amt)
	case watchlists.FIFO:
		segs = takeFront(a.queue(h), amt)
		x = taintedSum(segs)
		via = largestVia(segs, h.via)
		taint.Sub(&taint, minAmt(&x, &taint))
	default: // haircut: ⌊a·t/B⌋, the remainder stays with the sender
		x.MulDivOverflow(amt, &taint, &bal)
		taint.Sub(&taint, &x)
	}
	bal.Sub(&bal, amt)
	a.set(&h.bal, &bal)
	a.set(&h.taint, &taint)
	if inc.policy != watchlists.Poison && (taint.IsZero() || taint.Lt(ap.dustOf(inc))) {
		ap.cs.del(k, inc)
	}
	return x, via, segs
}

// creditAccount gives the receiver of a transfer its taint x (of amt).
func (ap *applier) creditAccount(ti int, tx *chains.Tx, k int, t *chains.Transfer, asset string, dstKey hkey, inc *incident, amt, x *uint256.Int, via hopID, segs []segment) error {
	a := ap.e.a
	id := ap.cs.get(dstKey, inc)
	depth := a.depthAfter(via)
	if x.IsZero() || depth > inc.maxHops || t.To == chains.FeeSink {
		// No taint travels (or it leaves as fee): a clean inflow.
		if id != 0 {
			ap.e.touchHolding(ap.j, ap.cs, dstKey, inc)
			ap.cleanInflow(a.holding(id), amt)
		}
		return nil
	}
	es := ap.e.labels(ap.cs.chain, t.To)
	if id == 0 && ap.cutoff(inc, asset, x, reportsAt(es)) {
		return nil // dust: dropped
	}
	nh := ap.newHop(inc, via, tx, t.Seq, t.From, t.To, x)
	if m := ap.conversion(tx, k); m >= 0 {
		// The receiver is a wrapping contract that pays the sender back in
		// another asset later in this transaction: the taint travels on.
		if ap.transit == nil {
			ap.transit = map[int][]transitTaint{}
		}
		ap.transit[m] = append(ap.transit[m], transitTaint{inc: inc, x: *x, via: nh})
		return nil
	}
	if t.To == "" || t.To == burnAddress {
		ap.finding(TaintLeft, tx, t.Seq, t.From, t.To, t.Asset, amt, x, inc, nil, AudienceAll, nh)
		return nil
	}
	if service, reports := receiverOf(es, inc); reports != nil {
		for _, r := range reports {
			ap.finding(findingTypeOf(r.entry.Kind), tx, t.Seq, t.From, t.To, t.Asset, amt, x, inc, r.entry, r.audience, nh)
		}
		if service != nil {
			ap.park(inc, t.To, asset, x, nh)
			return nil // a service: exact tracking stops, the deposit is the finding
		}
	}
	for i := range segs {
		if segs[i].tainted {
			segs[i].via = nh
		}
	}
	ap.e.touchHolding(ap.j, ap.cs, dstKey, inc)
	var h *holding
	if id == 0 {
		var pre *uint256.Int
		if inc.policy != watchlists.Poison {
			var err error
			if pre, err = ap.preBalance(ti, k, t.To, t.Asset); err != nil {
				return err
			}
		}
		id = a.newHolding(inc)
		h = a.holding(id)
		h.via = nh
		if pre != nil {
			a.set(&h.bal, pre)
			if inc.policy == watchlists.FIFO {
				h.fifo = a.newFIFO()
				if !pre.IsZero() {
					q := a.queue(h)
					*q = append(*q, segment{amt: *pre})
				}
			}
		}
		ap.cs.put(dstKey, id)
	} else {
		h = a.holding(id)
		if taint := a.get(h.taint); taint.Lt(x) {
			h.via = nh // the larger part now came this way
		}
	}
	a.add(&h.bal, amt)
	a.add(&h.taint, x)
	if q := a.queue(h); q != nil {
		if segs == nil {
			segs = []segment{{tainted: true, amt: *x, via: nh}}
			if rest := new(uint256.Int).Sub(amt, x); !rest.IsZero() {
				segs = append(segs, segment{amt: *rest})
			}
		}
		for _, s := range segs {
			*q = appendSegment(*q, s)
		}
	}
	return nil
}

// preBalance is what addr held of asset just before transfer (ti, k): its
// balance at the previous block, read once from the node, plus this
// block's earlier transfers.
func (ap *applier) preBalance(ti, k int, addr string, asset chains.Asset) (*uint256.Int, error) {
	pre := new(uint256.Int)
	if ap.e.deps.Balances != nil && ap.b.Ref.Number > 0 {
		var node chains.BalanceReader // the engine's own
		if ap.heads != nil {
			node = ap.heads
		}
		bal, err := ap.e.BalanceReader(ap.cs.chain, node).BalanceAt(ap.ctx, addr, asset, ap.b.Ref.Number-1)
		if err != nil {
			return nil, err
		}
		if bal != nil && bal.Sign() > 0 {
			pre.SetFromBig(bal)
		}
	}
	for _, m := range ap.blockFlows()[acctKey(addr, asset.Key())] {
		if m.ti > ti || (m.ti == ti && m.k >= k) {
			break
		}
		if m.in {
			pre.Add(pre, &m.amt)
		} else if pre.Lt(&m.amt) {
			pre.Clear()
		} else {
			pre.Sub(pre, &m.amt)
		}
	}
	return pre, nil
}

func minAmt(a, b *uint256.Int) *uint256.Int {
	if a.Lt(b) {
		return a
	}
	return b
}

func findingTypeOf(k watchlists.Kind) FindingType {
	switch k {
	case watchlists.Exchange:
		return ExchangeDeposit
	case watchlists.Mixer:
		return MixerDeposit
	case watchlists.Bridge:
		return BridgeDeposit
	}
	return SanctionedHit
}

// park keeps taint that reached a service, for recognisers to move on.
func (ap *applier) park(inc *incident, service, asset string, x *uint256.Int, via hopID) {
	pk := parkKey{inc: inc, service: service, asset: asset}
	ap.e.touchParked(ap.j, ap.cs, pk)
	p := ap.cs.parked[pk]
	if p == nil {
		p = &parked{via: via}
		ap.cs.parked[pk] = p
	}
	p.amt.Add(&p.amt, x)
}

// flow is one transfer into or out of an address within a block.
type flow struct {
	ti, k int
	in    bool
	amt   uint256.Int
}

// blockFlows indexes the block's transfers by (address, asset), in block
// order, built once per block on first need.
func (ap *applier) blockFlows() map[hkey][]flow {
	if ap.flows != nil {
		return ap.flows
	}
	ap.flows = map[hkey][]flow{}
	var v uint256.Int
	for i := range ap.b.Txs {
		tx := &ap.b.Txs[i]
		for n := range tx.Transfers {
			t := &tx.Transfers[n]
			if (tx.Failed && t.Kind != chains.Fee) || t.Kind == chains.NFT || t.Amount == nil || t.Amount.Sign() <= 0 || t.From == t.To {
				continue
			}
			if v.SetFromBig(t.Amount) {
				continue
			}
			a := t.Asset.Key()
			ap.flows[acctKey(t.To, a)] = append(ap.flows[acctKey(t.To, a)], flow{ti: i, k: n, in: true, amt: v})
			ap.flows[acctKey(t.From, a)] = append(ap.flows[acctKey(t.From, a)], flow{ti: i, k: n, amt: v})
		}
	}
	return ap.flows
}

// doneSet is the few incidents already handled for one transfer.
type doneSet []*incident

func (d doneSet) has(inc *incident) bool {
	for _, x := range d {
		if x == inc {
			return true
		}
	}
	return false
}

// transitTaint is taint inside a wrapping contract between the two
// transfers of one conversion.
type transitTaint struct {
	inc *incident
	x   uint256.Int
	via hopID
}

// conversion is conversionOf, answered at once for the transfers of a
// transaction without a WETH Wrap (all but a few): a split into thousands
// of transfers would otherwise scan the rest of them for each.
func (ap *applier) conversion(tx *chains.Tx, k int) int {
	if tx.Transfers[k].Kind != chains.Unwrap {
		if ap.wraps == 0 {
			ap.wraps = -1
			for m := range tx.Transfers {
				if tx.Transfers[m].Kind == chains.Wrap {
					ap.wraps = 1
					break
				}
			}
		}
		if ap.wraps < 0 {
			return -1
		}
	}
	return conversionOf(tx, k)
}

// conversionOf returns the index of the transfer that completes a
// conversion begun by transfer k of tx, or -1: k pays contract C, and
// later in the transaction C pays k's sender the same amount of another
// asset, one of the two being a WETH Wrap or Unwrap.
func conversionOf(tx *chains.Tx, k int) int {
	t := &tx.Transfers[k]
	for m := k + 1; m < len(tx.Transfers); m++ {
		u := &tx.Transfers[m]
		if u.Kind != chains.Wrap && t.Kind != chains.Unwrap {
			continue // neither side wraps: no conversion (checked before the addresses)
		}
		if u.From != t.To || u.To != t.From || u.Asset.Key() == t.Asset.Key() || u.Amount == nil || u.Amount.Cmp(t.Amount) != 0 {
			continue
		}
		return m
	}
	return -1
}
