// Package coinjoin tells CoinJoin transactions on Bitcoin by their shape,
// after the rules of crocs-muni/Dumplings (Scanning/Scanner.cs; docs/mixers.md,
// "CoinJoin"): Wasabi 1, Wasabi 2, Whirlpool and JoinMarket-like joins. A
// coinjoin is a mixing node: the tracer spreads the taint that enters it
// over its equal outputs and names it in a taint.coinjoin finding.
//
// The rules read outputs (their value and script class) and the inputs'
// values and addresses (what the tracer resolves); input script types are
// not checked, which makes Wasabi 1 and 2 slightly looser than Dumplings.
package coinjoin

import (
	"slices"

	"github.com/chainhound/chainhound/chains"
)

// Kind names a coinjoin implementation.
type Kind string

const (
	Wasabi1    Kind = "wasabi1"
	Wasabi2    Kind = "wasabi2"
	Whirlpool  Kind = "whirlpool"
	JoinMarket Kind = "joinmarket"
)

// Heights from which each implementation existed on mainnet (Dumplings).
const (
	wasabi1From   = 610_000
	wasabi2From   = 741_213
	whirlpoolFrom = 570_000
)

// Join is a detected coinjoin: its kind and the value of its equal
// outputs (the mixed denomination; Wasabi 2 has several, Denom is the
// most frequent).
type Join struct {
	Kind  Kind
	Denom int64
}

// Input is what the tracer knows of a transaction's input: its value (0
// unknown) and address ("" unknown). A rule reads what is known.
type Input struct {
	Value   int64
	Address string
}

// Detect tells whether tx, whose inputs are ins (one per tx.Inputs), in a
// block of height on Bitcoin network mainnet (other networks: every rule
// at any height), is a coinjoin.
func Detect(tx *chains.Tx, ins []Input, height uint64, mainnet bool) (Join, bool) {
	outs := spendable(tx)
	if len(outs) < 2 || len(tx.Inputs) < 2 || len(ins) != len(tx.Inputs) {
		return Join{}, false
	}
	from := func(h uint64) bool { return !mainnet || height >= h }
	denom, count := mostFrequent(outs)
	switch {
	case from(whirlpoolFrom) && whirlpool(ins, outs, denom, count):
		return Join{Whirlpool, denom}, true
	case from(wasabi2From) && wasabi2(ins, outs):
		return Join{Wasabi2, denom}, true
	case from(wasabi1From) && wasabi1(ins, outs, denom, count):
		return Join{Wasabi1, denom}, true
	case joinMarket(ins, outs, count):
		return Join{JoinMarket, denom}, true
	}
	return Join{}, false
}

// distinct counts the distinct addresses among ins ("" counts once each:
// unknown).
func distinct(ins []Input) int {
	seen := map[string]bool{}
	n := 0
	for _, in := range ins {
		if in.Address == "" || !seen[in.Address] {
			n++
			seen[in.Address] = true
		}
	}
	return n
}

func spendable(tx *chains.Tx) []chains.Output {
	out := make([]chains.Output, 0, len(tx.Outputs))
	for _, o := range tx.Outputs {
		if o.Class != chains.NullData && o.Value > 0 {
			out = append(out, o)
		}
	}
	return out
}

// mostFrequent is the output value repeated most (the larger on a tie)
// and how often.
func mostFrequent(outs []chains.Output) (int64, int) {
	n := map[int64]int{}
	var best int64
	for _, o := range outs {
		n[o.Value]++
		if c := n[o.Value]; c > n[best] || c == n[best] && o.Value > best {
			best = o.Value
		}
	}
	return best, n[best]
}

func allClass(outs []chains.Output, cs ...chains.ScriptClass) bool {
	for _, o := range outs {
		if !slices.Contains(cs, o.Class) {
			return false
		}
	}
	return true
}

// whirlpool: 5–10 inputs and as many outputs, all P2WPKH, all equal to a
// pool size; at least one input of the pool size, the others at most
// 0.0011 BTC above it (the premix fee margin).
func whirlpool(ins []Input, outs []chains.Output, denom int64, count int) bool {
	n := len(ins)
	if n < 5 || n > 10 || len(outs) != n || count != n || !allClass(outs, chains.P2WPKH) {
		return false
	}
	if !slices.Contains([]int64{100_000, 1_000_000, 5_000_000, 50_000_000}, denom) {
		return false
	}
	known, exact := false, false
	for _, in := range ins {
		if in.Value == 0 {
			continue // not resolved: the rule reads what is known
		}
		known = true
		if in.Value < denom || in.Value > denom+110_000 {
			return false
		}
		exact = exact || in.Value == denom
	}
	return !known || exact
}

// wasabi1: all P2WPKH; at least 10 equal outputs of about 0.1 BTC
// (± 0.02); at least as many inputs; at least 2 other output values.
func wasabi1(ins []Input, outs []chains.Output, denom int64, count int) bool {
	if count < 10 || denom < 8_000_000 || denom > 12_000_000 || len(ins) < count || !allClass(outs, chains.P2WPKH) {
		return false
	}
	others := map[int64]bool{}
	for _, o := range outs {
		if o.Value != denom {
			others[o.Value] = true
		}
	}
	return len(others) >= 2
}

// wasabi2: at least 20 inputs from distinct addresses, sorted by value,
// largest first; P2WPKH or P2TR outputs sorted the same way; more than
// 80% of them in the standard denominations.
func wasabi2(ins []Input, outs []chains.Output) bool {
	if len(ins) < 20 || distinct(ins) < 20 || !allClass(outs, chains.P2WPKH, chains.P2TR) {
		return false
	}
	if !slices.IsSortedFunc(ins, func(a, b Input) int { return cmpDesc(a.Value, b.Value) }) ||
		!slices.IsSortedFunc(outs, func(a, b chains.Output) int { return cmpDesc(a.Value, b.Value) }) {
		return false
	}
	std := 0
	for _, o := range outs {
		if standardDenominations[o.Value] {
			std++
		}
	}
	return std*5 > len(outs)*4
}

// joinMarket: one group of equal outputs (at least 3) whose size equals
// the other outputs' count, or one more; inputs from at least as many
// distinct addresses as there are equal outputs (one maker each, and the
// taker); every output to an address of its own.
func joinMarket(ins []Input, outs []chains.Output, count int) bool {
	if count < 3 || distinct(ins) < count {
		return false
	}
	seen := map[string]bool{}
	for _, o := range outs {
		if o.Address != "" && seen[o.Address] {
			return false
		}
		seen[o.Address] = true
	}
	others := len(outs) - count
	return others == count || others+1 == count
}

func cmpDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// standardDenominations are Wasabi 2's output amounts: 2ⁿ, 3ⁿ, 2·3ⁿ and
// the 1-2-5 series, from 5,000 sat to 1,343.75 BTC (Dumplings).
var standardDenominations = func() map[int64]bool {
	const lo, hi = 5_000, 134_375_000_000
	m := map[int64]bool{}
	add := func(v int64) {
		if v >= lo && v <= hi {
			m[v] = true
		}
	}
	for v := int64(1); v <= hi; v *= 2 {
		add(v)
	}
	for v := int64(1); v <= hi; v *= 3 {
		add(v)
		add(2 * v)
	}
	for v := int64(1); v <= hi; v *= 10 {
		add(v)
		add(2 * v)
		add(5 * v)
	}
	return m
}()
