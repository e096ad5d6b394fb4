package tracer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/mixers/coinjoin"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/holiman/uint256"
)

func spendable(o *chains.Output) bool {
	return o.Class != chains.NullData && !strings.HasPrefix(o.Address, "op_return:")
}

// applyUTXOTx applies one Bitcoin transaction for the lanes it concerns.
func (ap *applier) applyUTXOTx(ti int, tx *chains.Tx) error {
	var incs []*incident
	add := func(inc *incident) {
		for _, x := range incs {
			if x == inc {
				return
			}
		}
		incs = append(incs, inc)
	}
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		if in.Coinbase {
			continue
		}
		for h := ap.cs.head(utxoKey(in.Prev)); h != 0; h = ap.cs.next(h) {
			if inc := ap.e.a.incOf(h); ap.inLane(inc) {
				add(inc)
			}
		}
	}
	seeds := map[*incident]string{} // incident → victim address ("" unknown)
	for _, inc := range ap.txSeeds[tx.Hash] {
		seeds[inc] = ""
	}
	if len(ap.addrSeed) > 0 {
		for i := range tx.Inputs {
			in := &tx.Inputs[i]
			if in.Coinbase {
				continue
			}
			// Resolved, or revealed by the spending script: the coins of a
			// compromised address held since before chainhound saw them.
			if a := ap.b.InputAddress(in); a != "" {
				for _, inc := range ap.addrSeed[a] {
					seeds[inc] = a
				}
			}
			for _, incs := range ap.addrSeed {
				for _, inc := range incs {
					if inc.rt.victimOuts[in.Prev] {
						ap.e.touchIncident(ap.j, inc)
						delete(inc.rt.victimOuts, in.Prev)
						// The victim: the smallest seed address in force, so
						// the choice does not follow map order.
						victim := ""
						for a, from := range inc.seedAddr {
							if ap.b.Ref.Number >= from && (victim == "" || a < victim) {
								victim = a
							}
						}
						if victim != "" {
							seeds[inc] = victim
						}
					}
				}
			}
		}
		for oi := range tx.Outputs {
			o := &tx.Outputs[oi]
			for _, inc := range ap.addrSeed[ap.b.OutputAddress(o)] {
				ap.e.touchIncident(ap.j, inc)
				if inc.rt.victimOuts == nil {
					inc.rt.victimOuts = map[chains.Outpoint]bool{}
				}
				inc.rt.victimOuts[chains.Outpoint{Tx: tx.Hash, Index: o.Index}] = true
			}
		}
	}
	if ap.live {
		if err := ap.treasuryUTXO(tx); err != nil {
			return err
		}
	}
	for inc := range seeds {
		add(inc)
	}
	if len(incs) == 0 {
		return nil
	}
	sort.Slice(incs, func(i, k int) bool { return incs[i].def.ID < incs[k].def.ID })
	vals, addrs, err := ap.inputValues(ti, tx)
	if err != nil {
		return err
	}
	for _, inc := range incs {
		if victim, ok := seeds[inc]; ok {
			ap.seedUTXO(tx, inc, victim, addrs)
		} else {
			ap.spreadUTXO(tx, inc, vals, addrs)
		}
	}
	// The spent outpoints of these lanes are gone.
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		if in.Coinbase {
			continue
		}
		k := utxoKey(in.Prev)
		var buf [4]holdID
		for _, h := range ap.cs.list(k, buf[:0]) {
			if inc := ap.e.a.incOf(h); ap.inLane(inc) && containsInc(incs, inc) {
				ap.e.touchHolding(ap.j, ap.cs, k, inc)
				ap.cs.del(k, inc)
			}
		}
	}
	return nil
}

func containsInc(incs []*incident, inc *incident) bool {
	for _, x := range incs {
		if x == inc {
			return true
		}
	}
	return false
}

// inputValues returns each input's value and address: from a tracked
// holding, the input itself when resolved, an earlier output of this
// block, or the PrevoutResolver for the rest (one call per transaction).
func (ap *applier) inputValues(ti int, tx *chains.Tx) ([]int64, []string, error) {
	vals := make([]int64, len(tx.Inputs))
	addrs := make([]string, len(tx.Inputs))
	var missing []int
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		switch {
		case in.Coinbase:
		case in.Resolved:
			vals[i], addrs[i] = in.Value, in.Address
		default:
			if v, a, ok := ap.heldOutput(in.Prev); ok {
				vals[i], addrs[i] = v, a
			} else if o, ok := ap.blockOutput(ti, in.Prev); ok {
				vals[i], addrs[i] = o.Value, ap.b.OutputAddress(o)
			} else {
				missing = append(missing, i)
			}
		}
	}
	if len(missing) > 0 && ap.e.deps.Prevouts != nil {
		ops := make([]chains.Outpoint, len(missing))
		for n, i := range missing {
			ops[n] = tx.Inputs[i].Prev
		}
		outs, err := ap.e.deps.Prevouts.Prevouts(ap.ctx, ops)
		if err != nil {
			return nil, nil, fmt.Errorf("resolve %d prevouts: %w", len(ops), err)
		}
		if len(outs) != len(ops) {
			return nil, nil, fmt.Errorf("resolve prevouts: got %d outputs for %d outpoints", len(outs), len(ops))
		}
		for n, i := range missing {
			vals[i], addrs[i] = outs[n].Value, outs[n].Address
		}
	}
	return vals, addrs, nil
}

// blockOutput finds an output created earlier in this block.
func (ap *applier) blockOutput(ti int, op chains.Outpoint) (*chains.Output, bool) {
	if ap.outVals == nil {
		ap.outVals = map[chains.Outpoint]int64{}
		for i := range ap.b.Txs {
			for _, o := range ap.b.Txs[i].Outputs {
				ap.outVals[chains.Outpoint{Tx: ap.b.Txs[i].Hash, Index: o.Index}] = int64(i)
			}
		}
	}
	i, ok := ap.outVals[op]
	if !ok || int(i) >= ti {
		return nil, false
	}
	outs := ap.b.Txs[i].Outputs
	for k := range outs {
		if outs[k].Index == op.Index {
			return &outs[k], true
		}
	}
	return nil, false
}

// seedUTXO taints, in full, a theft transaction's outputs that leave the
// victim (outputs back to an input address are change).
func (ap *applier) seedUTXO(tx *chains.Tx, inc *incident, victim string, addrs []string) {
	victims := map[string]bool{}
	if victim != "" {
		victims[victim] = true
	}
	for _, a := range addrs {
		if a != "" {
			victims[a] = true
		}
	}
	from := victim
	if from == "" && len(addrs) > 0 {
		from = addrs[0]
	}
	for oi := range tx.Outputs {
		o := &tx.Outputs[oi]
		if victims[ap.b.OutputAddress(o)] || o.Value <= 0 || !spendable(o) {
			continue
		}
		v := uint256.NewInt(uint64(o.Value))
		ap.addStolen(inc, "", v)
		ap.creditUTXO(tx, o, inc, from, v, 0, []segment{{tainted: true, amt: *v}})
	}
}

// spreadUTXO moves one lane's taint from a transaction's inputs to its
// outputs by the lane's policy (docs/taint.md, UTXO model).
func (ap *applier) spreadUTXO(tx *chains.Tx, inc *incident, vals []int64, addrs []string) {
	var T uint256.Int
	var parent *holdingVal
	var queue []segment
	var sumIn, sumOut uint64
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		sumIn += uint64(vals[i])
		if in.Coinbase {
			continue
		}
		h := ap.cs.getVal(utxoKey(in.Prev), inc)
		if h == nil {
			queue = appendSegment(queue, segment{amt: *uint256.NewInt(uint64(vals[i]))})
			continue
		}
		T.Add(&T, &h.taint)
		if parent == nil || h.taint.Gt(&parent.taint) {
			parent = h
		}
		if h.fifo != nil {
			for _, s := range fifoSegs(h) {
				queue = appendSegment(queue, s)
			}
		} else {
			queue = appendSegment(queue, segment{tainted: true, amt: h.taint})
			if rest := new(uint256.Int).Sub(&h.bal, &h.taint); !rest.IsZero() && !h.bal.Lt(&h.taint) {
				queue = appendSegment(queue, segment{amt: *rest})
			}
		}
	}
	if T.IsZero() || parent == nil {
		return
	}
	for oi := range tx.Outputs {
		sumOut += uint64(tx.Outputs[oi].Value)
	}
	if sumIn < sumOut {
		sumIn = sumOut // unknown input values: no fee
	}
	from := ""
	if parent.via != 0 {
		from = ap.e.a.hop(parent.via).to.String()
	}
	denom := uint256.NewInt(sumIn)
	cj := ap.coinJoin(tx, inc, from, &T, sumIn, parent.via, vals, addrs)
	for oi := range tx.Outputs {
		o := &tx.Outputs[oi]
		if o.Value <= 0 {
			continue
		}
		v := uint256.NewInt(uint64(o.Value))
		var tau uint256.Int
		var segs []segment
		via := parent.via
		switch {
		case inc.policy == watchlists.Poison:
			if spendable(o) {
				tau.Set(v)
			}
		case cj != nil:
			tau = cj.share(o, v, &T)
		case inc.policy == watchlists.FIFO:
			segs = takeFront(&queue, v)
			tau = taintedSum(segs)
			via = largestVia(segs, parent.via)
		default: // haircut: min(v, ⌊v·T/(Σv(o)+f)⌋)
			tau.MulDivOverflow(v, &T, denom)
			if tau.Gt(v) {
				tau.Set(v)
			}
		}
		if tau.IsZero() {
			continue
		}
		ap.creditUTXO(tx, o, inc, from, &tau, via, segs)
	}
}

// creditUTXO gives output o its taint tau of inc.
func (ap *applier) creditUTXO(tx *chains.Tx, o *chains.Output, inc *incident, from string, tau *uint256.Int, via hopID, segs []segment) {
	to := ap.b.OutputAddress(o)
	es := ap.e.labels(ap.cs.chain, to)
	if depth := ap.e.a.depthAfter(via); depth > inc.maxHops || ap.cutoff(inc, "", tau, reportsAt(es)) {
		return
	}
	nh := ap.newHop(inc, via, tx, int(o.Index), from, to, tau)
	v := uint256.NewInt(uint64(o.Value))
	if !spendable(o) {
		ap.finding(TaintLeft, tx, int(o.Index), from, to, chains.BTC, v, tau, inc, nil, AudienceAll, nh)
		return
	}
	if service, reports := receiverOf(es, inc); reports != nil {
		for _, r := range reports {
			ap.finding(findingTypeOf(r.entry.Kind), tx, int(o.Index), from, to, chains.BTC, v, tau, inc, r.entry, r.audience, nh)
		}
		if service != nil {
			ap.park(inc, to, "", tau, nh)
			return
		}
	}
	k := utxoKey(chains.Outpoint{Tx: tx.Hash, Index: o.Index})
	ap.e.touchHolding(ap.j, ap.cs, k, inc)
	h := &holdingVal{inc: inc, via: nh}
	h.bal.Set(v)
	h.taint.Set(tau)
	if inc.policy == watchlists.FIFO {
		h.fifo = &[]segment{}
		if segs == nil {
			segs = []segment{{tainted: true, amt: *tau}}
			if rest := new(uint256.Int).Sub(v, tau); !v.Lt(tau) && !rest.IsZero() {
				segs = append(segs, segment{amt: *rest})
			}
		}
		for _, s := range segs {
			if s.tainted {
				s.via = nh
			}
			*h.fifo = appendSegment(*h.fifo, s)
		}
	}
	ap.cs.putVal(k, h)
}

// joinSpread spreads a CoinJoin's taint over its equal outputs (docs/taint.md:
// a coinjoin is a mixing node): each equal output min(v, ⌊v·T/Σequal⌋);
// what the equal outputs cannot hold goes to the others by haircut.
type joinSpread struct {
	denom         int64
	sumEq, others uint256.Int // Σ equal outputs; Σ other outputs + fee
}

func (j *joinSpread) share(o *chains.Output, v, T *uint256.Int) uint256.Int {
	var tau uint256.Int
	if o.Value == j.denom {
		tau.MulDivOverflow(v, T, &j.sumEq)
	} else if T.Gt(&j.sumEq) && !j.others.IsZero() {
		rest := new(uint256.Int).Sub(T, &j.sumEq)
		tau.MulDivOverflow(v, rest, &j.others)
	}
	if tau.Gt(v) {
		tau.Set(v)
	}
	return tau
}

// coinJoin tells whether tx is a CoinJoin (Deps.CoinJoins) that inc's
// taint T enters, raises its taint.coinjoin finding, and returns how to
// spread the taint (nil: not one, or poison, which taints every output).
func (ap *applier) coinJoin(tx *chains.Tx, inc *incident, from string, T *uint256.Int, sumIn uint64, via hopID, vals []int64, addrs []string) *joinSpread {
	if ap.e.deps.CoinJoins == nil || inc.policy == watchlists.Poison {
		return nil
	}
	ins := make([]coinjoin.Input, len(tx.Inputs))
	for i := range ins {
		if i < len(vals) {
			ins[i].Value = vals[i]
		}
		if i < len(addrs) {
			ins[i].Address = addrs[i]
		}
	}
	for i := range tx.Outputs {
		ap.b.OutputAddress(&tx.Outputs[i]) // the rules compare output addresses
	}
	j, ok := ap.e.deps.CoinJoins(tx, ins, ap.b.Ref.Number)
	if !ok {
		return nil
	}
	s := &joinSpread{denom: j.Denom}
	var sumOut uint64
	for i := range tx.Outputs {
		o := &tx.Outputs[i]
		if o.Value <= 0 {
			continue
		}
		sumOut += uint64(o.Value)
		if o.Value == j.Denom {
			s.sumEq.AddUint64(&s.sumEq, uint64(o.Value))
		}
	}
	if s.sumEq.IsZero() {
		return nil
	}
	if sumIn < sumOut {
		sumIn = sumOut
	}
	s.others.SetUint64(sumIn)
	s.others.Sub(&s.others, &s.sumEq)
	label := &watchlists.Entry{Chain: ap.cs.chain, Kind: watchlists.Mixer, Label: string(j.Kind) + " coinjoin", Protocol: string(j.Kind)}
	ap.finding(CoinJoinHit, tx, coinJoinSeq, from, tx.Hash, chains.BTC, uint256.NewInt(sumIn), T, inc, label, AudienceAll, via)
	return s
}

// coinJoinSeq numbers a CoinJoin's finding within its transaction: apart
// from every output (their index) and every recogniser's move (moveSeq).
const coinJoinSeq = 1 << 19
