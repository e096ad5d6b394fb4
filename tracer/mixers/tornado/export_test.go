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
