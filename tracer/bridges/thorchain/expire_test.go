package thorchain

import (
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
)

type mapState map[string][]byte

func (m mapState) Get(k string) ([]byte, bool)  { v, ok := m[k]; return v, ok }
func (m mapState) Put(k string, v []byte)       { m[k] = v }
func (m mapState) Delete(k string)              { delete(m, k) }
func (m mapState) Lane() string                 { return "" }
func (m mapState) On(chains.Chain) tracer.State { return nil }
func (m mapState) Live(string) bool             { return true }

// TestPayoutsExpire: a payout whose inbound never comes is forgotten after
// the window, so the state stays bounded; one inside the window stays.
func TestPayoutsExpire(t *testing.T) {
	r := New(nil, nil)
	st := mapState{}
	at := func(h uint64) *chains.Block {
		return &chains.Block{Chain: chains.Bitcoin, Ref: chains.BlockRef{Number: h}}
	}
	st.Put(payoutKey("A"), []byte("[]"))
	r.expire(st, at(5_000), "A")
	st.Put(payoutKey("B"), []byte("[]"))
	r.expire(st, at(5_500), "B")
	if _, ok := st.Get(payoutKey("A")); !ok {
		t.Fatal("payout A forgotten inside the window")
	}
	st.Put(payoutKey("C"), []byte("[]"))
	r.expire(st, at(6_001), "C")
	if _, ok := st.Get(payoutKey("A")); ok {
		t.Fatal("payout A kept past the window")
	}
	for _, id := range []string{"B", "C"} {
		if _, ok := st.Get(payoutKey(id)); !ok {
			t.Fatalf("payout %s forgotten inside the window", id)
		}
	}
	if len(st) > 6 {
		t.Fatalf("state holds %d keys: %v", len(st), st)
	}
}

// TestPayoutsExpireAcrossGaps: payouts far apart (quiet stretches longer
// than the window) are each forgotten in turn; none is skipped.
func TestPayoutsExpireAcrossGaps(t *testing.T) {
	r := New(nil, nil)
	st := mapState{}
	at := func(h uint64) *chains.Block {
		return &chains.Block{Chain: chains.Bitcoin, Ref: chains.BlockRef{Number: h}}
	}
	for _, p := range []struct {
		id string
		h  uint64
	}{{"A", 5_000}, {"B", 7_001}, {"C", 20_000}} {
		st.Put(payoutKey(p.id), []byte("{}"))
		r.expire(st, at(p.h), p.id)
	}
	for _, id := range []string{"A", "B"} {
		if _, ok := st.Get(payoutKey(id)); ok {
			t.Errorf("payout %s kept past the window", id)
		}
	}
	if _, ok := st.Get(payoutKey("C")); !ok {
		t.Error("payout C forgotten inside the window")
	}
}
