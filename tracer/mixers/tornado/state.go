package tornado

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
)

// The recogniser's State keys, per pool:
//
//	p/<pool>             poolState
//	t/<pool>             the tainted unmatched deposits, oldest first
//	g/<pool>/<gas price> unmatched deposits paid at that gas price
//	a/<pool>/<depositor> unmatched deposits of that depositor
func poolKey(pool string) string                 { return "p/" + pool }
func taintedKey(pool string) string              { return "t/" + pool }
func gasKeyS(pool, gas string) string            { return "g/" + pool + "/" + gas }
func depositorKey(pool, depositor string) string { return "a/" + pool + "/" + depositor }

func gasKey(pool string, g *big.Int) string {
	if g == nil {
		return ""
	}
	return gasKeyS(pool, g.String())
}

// poolState is what the recogniser knows of one pool.
type poolState struct {
	Asset chains.Asset `json:"asset"`
	Denom *big.Int     `json:"denom"`
	// Unmatched deposits: deposited and not yet withdrawn.
	Unmatched uint64 `json:"unmatched"`
	// Partial: Unmatched counts only what was seen (the pool's balance
	// could not be read); it is set from the balance when it can be.
	Partial bool `json:"partial,omitempty"`
}

// taintedDeposit is one unmatched deposit paid with an incident's taint.
type taintedDeposit struct {
	Incident  string `json:"inc"`
	Parked    string `json:"parked"` // the pool, or the router the taint parked at
	Depositor string `json:"from"`
	GasPrice  string `json:"gas,omitempty"`
	Block     uint64 `json:"block"`
	// Taint still in the pool of this deposit (smallest unit).
	Taint *big.Int `json:"taint"`
	// Weight is the chance it is still unmatched: 1 at deposit, lowered
	// by each withdrawal that may have paid it out.
	Weight float64 `json:"w"`
}

func loadPool(st tracer.State, pool string) (*poolState, error) {
	v, ok := st.Get(poolKey(pool))
	if !ok {
		return nil, nil
	}
	var p poolState
	if err := json.Unmarshal(v, &p); err != nil || p.Denom == nil || p.Denom.Sign() <= 0 {
		return nil, fmt.Errorf("tornado pool %s: stored state unreadable: %v", pool, err)
	}
	return &p, nil
}

func savePool(st tracer.State, pool string, p *poolState) {
	v, _ := json.Marshal(p) // a struct of strings and numbers: cannot fail
	st.Put(poolKey(pool), v)
}

func loadTainted(st tracer.State, pool string) ([]taintedDeposit, error) {
	v, ok := st.Get(taintedKey(pool))
	if !ok {
		return nil, nil
	}
	var ts []taintedDeposit
	if err := json.Unmarshal(v, &ts); err != nil {
		return nil, fmt.Errorf("tornado pool %s: stored deposits unreadable: %w", pool, err)
	}
	for _, d := range ts {
		if d.Taint == nil {
			return nil, fmt.Errorf("tornado pool %s: stored deposit of %s without taint", pool, d.Incident)
		}
	}
	return ts, nil
}

func saveTainted(st tracer.State, pool string, ts []taintedDeposit) {
	if len(ts) == 0 {
		st.Delete(taintedKey(pool))
		return
	}
	v, _ := json.Marshal(ts)
	st.Put(taintedKey(pool), v)
}

// prune drops deposits whose taint is spent.
func prune(ts []taintedDeposit) []taintedDeposit {
	out := ts[:0]
	for _, d := range ts {
		if d.Taint.Sign() > 0 {
			out = append(out, d)
		}
	}
	return out
}

// countDistinct counts the deposits of ts once each, whatever number of
// incidents tainted one of them: the most any incident holds.
func countDistinct(ts []taintedDeposit) int {
	per := map[string]int{}
	most := 0
	for _, d := range ts {
		per[d.Incident]++
		most = max(most, per[d.Incident])
	}
	return most
}

func getCount(st tracer.State, key string) int {
	v, ok := st.Get(key)
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(string(v))
	return n
}

// addCount adds d to the count at key, deleting it at zero.
func addCount(st tracer.State, key string, d int) {
	if key == "" {
		return
	}
	n := getCount(st, key) + d
	if n <= 0 {
		st.Delete(key)
		return
	}
	st.Put(key, []byte(strconv.Itoa(n)))
}
