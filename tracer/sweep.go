package tracer

// Hops are shared (a hop is the parent of many, and is named by holdings,
// FIFO segments, parked taint, journal records and the priors journals
// keep), so they are not freed one by one: when the live hops have doubled
// since the last sweep, sweep marks every hop still reachable and frees
// the rest, with the tx hashes only they used. A hop named by a journal
// stays until the journal is pruned. Sweeps run between blocks, under the
// engine's lock.

// maybeSweep sweeps when the live hops have doubled since the last sweep.
func (e *Engine) maybeSweep() {
	if e.a.checked || e.a.hops.live >= e.a.sweepAt {
		e.sweep()
	}
}

// sweep frees every hop nothing can reach any more.
func (e *Engine) sweep() {
	a := e.a
	hopMark := make([]uint64, (int(a.hops.n)+63)/64)
	txMark := make([]uint64, (len(a.txs)+63)/64)
	mark := func(id hopID) {
		for id != 0 && hopMark[id>>6]&(1<<(id&63)) == 0 {
			hopMark[id>>6] |= 1 << (id & 63)
			h := a.hop(id)
			txMark[h.tx>>6] |= 1 << (h.tx & 63)
			id = h.parent
		}
	}
	markSegs := func(q *[]segment) {
		if q != nil {
			for i := range *q {
				mark((*q)[i].via)
			}
		}
	}
	// Every holding in the slab is linked in (holdings are freed when
	// unlinked), so the slab is the set of live holdings.
	for i := int32(1); i < a.holds.n; i++ {
		if h := a.holds.at(i); h.inc != 0 {
			mark(h.via)
			markSegs(a.queue(h))
		}
	}
	for _, cs := range e.chains {
		for _, p := range cs.parked {
			mark(p.via)
		}
		for _, j := range cs.journals {
			for i := range j.recs {
				r := &j.recs[i]
				mark(r.h)
				switch p := r.prior.(type) {
				case *holdingVal:
					mark(p.via)
					markSegs(p.fifo)
				case *parked:
					mark(p.via)
				}
			}
		}
	}
	for i := int32(1); i < a.hops.n; i++ {
		if a.hops.at(i).flags&hopLive != 0 && hopMark[i>>6]&(1<<(i&63)) == 0 {
			a.freeHop(hopID(i))
		}
	}
	for i := range a.txs {
		if a.txLive[i] && txMark[i>>6]&(1<<(i&63)) == 0 {
			delete(a.txIDs, a.txs[i])
			a.txs[i], a.txLive[i] = "", false
			a.txFree = append(a.txFree, uint32(i))
		}
	}
	a.sweepAt = max(2*a.hops.live, minSweep)
}
