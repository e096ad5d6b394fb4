package tornado

import "github.com/chainhound/chainhound/tracer"

// Unmatched returns the pool's unmatched count as State holds it.
func Unmatched(st tracer.State, pool string) (uint64, bool, error) {
	p, err := loadPool(st, pool)
	if p == nil || err != nil {
		return 0, false, err
	}
	return p.Unmatched, true, nil
}

// Interactions is the count of transactions depositor sent to or received
// from other (the larger) and whether depositor is followed at all.
func Interactions(st tracer.State, depositor, other string) (uint32, bool) {
	_, ok := st.Get(interactKey(depositor))
	return interactions(st, depositor, other), ok
}

// Bump exposes bump for the bound's test: the counterparties after one
// more transaction sent to other.
func Bump(addrs []string, counts []uint32, other string) []string {
	var ps []peer
	for i, a := range addrs {
		ps = append(ps, peer{Addr: a, Sent: counts[i]})
	}
	var out []string
	for _, p := range bump(ps, other, true) {
		out = append(out, p.Addr)
	}
	return out
}

// MaxPeers is the bound on counterparties per depositor.
const MaxPeers = maxPeers
