package tornado

import (
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
)

// The linked-address match (Tutela heuristic 3, arXiv 2201.06811; in
// pareto-xyz/tutela-app, run_linked_tx_heuristic.py): a withdrawal's
// recipient and an earlier depositor into the same pool that sent each
// other at least minInteractions transactions in one direction, outside
// Tornado, are one owner's.
//
// Only a depositor of a tainted unmatched deposit can raise a
// withdrawal's taint, so only those are followed: from its first tainted
// deposit until its last one is matched or forgotten, each live
// transaction it sends to or receives from an address (top-level from
// and to, as Tutela's transactions table) is counted per counterparty.
const (
	minInteractions = 3
	// maxPeers bounds the counterparties followed per depositor. When full,
	// a new counterparty takes the place of the oldest seen only once; if
	// every one was seen twice or more, it is not counted (a depositor
	// dealing with that many addresses is a service, not a laundering pair).
	maxPeers = 64
)

// interact counts tx for the tainted depositors among its sender and
// receiver. Transactions to a Tornado contract or carrying a Tornado event
// (deposits, withdrawals, through the router) are not interactions.
func (r *Recogniser) interact(st tracer.State, tx *chains.Tx) {
	if tx.To == "" || tx.From == tx.To {
		return
	}
	through := -1 // unknown until needed
	for _, side := range [2]struct {
		depositor, other string
		sent             bool
	}{{tx.From, tx.To, true}, {tx.To, tx.From, false}} {
		v, ok := st.Get(interactKey(side.depositor))
		if !ok {
			continue
		}
		if through < 0 {
			through = 0
			if r.throughTornado(tx) {
				through = 1
			}
		}
		if through == 1 {
			return
		}
		ps, err := decodePeers(v)
		if err != nil {
			r.log.Warn("linked-address counts unreadable: started afresh", "depositor", side.depositor, "err", err)
			ps = nil
		}
		ps = bump(ps, side.other, side.sent)
		st.Put(interactKey(side.depositor), encodePeers(ps))
	}
}

func (r *Recogniser) throughTornado(tx *chains.Tx) bool {
	if r.isTornado(tx.To) {
		return true
	}
	for _, l := range tx.Logs {
		if r.isTornado(l.Address) {
			return true
		}
	}
	return false
}

// bump counts one transaction with other (sent by the depositor, or
// received), in a fresh slice.
func bump(ps []peer, other string, sent bool) []peer {
	out := make([]peer, 0, len(ps)+1)
	out = append(out, ps...)
	i := -1
	for j := range out {
		if out[j].Addr == other {
			i = j
			break
		}
	}
	if i < 0 {
		if len(out) >= maxPeers {
			once := -1
			for j := range out {
				if out[j].Sent+out[j].Received <= 1 {
					once = j
					break
				}
			}
			if once < 0 {
				return out
			}
			out = append(out[:once], out[once+1:]...)
		}
		out = append(out, peer{Addr: other})
		i = len(out) - 1
	}
	if sent {
		out[i].Sent++
	} else {
		out[i].Received++
	}
	return out
}

// track starts counting depositor's interactions (a tainted deposit).
func track(st tracer.State, depositor string) {
	if _, ok := st.Get(interactKey(depositor)); !ok {
		st.Put(interactKey(depositor), encodePeers(nil))
	}
}

// untrack stops counting the interactions of the depositors of gone (the
// tainted deposits pool no longer keeps) that have no tainted deposit
// left in any pool; now is pool's deposits after the change.
func (r *Recogniser) untrack(st tracer.State, pool string, gone, now []taintedDeposit) {
	if len(gone) == 0 {
		return
	}
	left := map[string]bool{}
	for _, d := range gone {
		left[d.Depositor] = true
	}
	drop := func(ts []taintedDeposit) {
		for _, d := range ts {
			delete(left, d.Depositor)
		}
	}
	drop(now)
	for _, other := range loadStrings(st, poolsKey) {
		if len(left) == 0 {
			return
		}
		if other == pool {
			continue
		}
		ts, err := r.loadTainted(st, other)
		if err != nil {
			return // keep the counts: unreadable is not gone
		}
		drop(ts)
	}
	for d := range left {
		st.Delete(interactKey(d))
	}
}

// interactions is the larger of the counts of transactions depositor sent
// to and received from other, outside Tornado.
func interactions(st tracer.State, depositor, other string) uint32 {
	v, ok := st.Get(interactKey(depositor))
	if !ok {
		return 0
	}
	ps, err := decodePeers(v)
	if err != nil {
		return 0
	}
	for _, p := range ps {
		if p.Addr == other {
			return max(p.Sent, p.Received)
		}
	}
	return 0
}

// linkedAddress ties a withdrawal to the oldest unmatched tainted deposit
// in the pool whose depositor interacted with the recipient at least
// minInteractions times in one direction.
func linkedAddress(st tracer.State, p *poolState, ts []taintedDeposit, to string, block uint64, mine func(string) bool) linked {
	counts := map[string]uint32{}
	for i := range ts {
		d := &ts[i]
		if !mine(d.Incident) || d.Block > block || d.weight(p) < minWeight {
			continue
		}
		n, ok := counts[d.Depositor]
		if !ok {
			n = interactions(st, d.Depositor, to)
			counts[d.Depositor] = n
		}
		if n >= minInteractions {
			return linked{deposit: i, confidence: linkedAddressConfidence, heuristic: LinkedAddress}
		}
	}
	return linked{deposit: -1}
}

// gone lists the deposits of before that after no longer holds (after is
// before with some deposits removed, order kept).
func gone(before, after []taintedDeposit) []taintedDeposit {
	var out []taintedDeposit
	j := 0
	for _, d := range before {
		if j < len(after) && same(&d, &after[j]) {
			j++
			continue
		}
		out = append(out, d)
	}
	return out
}

func same(a, b *taintedDeposit) bool {
	return a.Incident == b.Incident && a.Parked == b.Parked && a.Depositor == b.Depositor && a.Block == b.Block && a.Taint.Cmp(b.Taint) == 0
}
