package screening_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

func addr(n int) string { return fmt.Sprintf("0x%040x", n) }

// pay is one native transfer of a generated block.
type pay struct {
	from, to int
	wei      int64
}

// writeIndex stores the index records of blocks 1…len(blocks), each
// block's payments one transaction each, in a real pebble store.
func writeIndex(tb testing.TB, st *pebble.Store, blocks [][]pay) {
	tb.Helper()
	ctx := context.Background()
	var puts []tracer.KV
	flush := func() {
		if err := st.SaveTracer(ctx, puts, nil); err != nil {
			tb.Fatal(err)
		}
		puts = puts[:0]
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, ps := range blocks {
		h := uint64(i + 1)
		b := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: h, Hash: fmt.Sprintf("0x%064x", h), Time: t0.Add(time.Duration(h) * 12 * time.Second)}}
		for j, p := range ps {
			tx := chains.Tx{Hash: fmt.Sprintf("0x%056x%08x", h, j), Index: j, From: addr(p.from), To: addr(p.to), GasPrice: big.NewInt(1)}
			tx.Transfers = []chains.Transfer{{Kind: chains.Native, TxIndex: j, LogIndex: -1, From: addr(p.from), To: addr(p.to), Asset: chains.ETH, Amount: big.NewInt(p.wei)}}
			b.Txs = append(b.Txs, tx)
		}
		puts = append(puts, tracer.IndexKVs(b)...)
		if len(puts) > 20000 {
			flush()
		}
	}
	puts = append(puts, tracer.IndexMetaKV(chains.Ethereum, 1, uint64(len(blocks))))
	flush()
}

func openStore(tb testing.TB) *pebble.Store {
	st, err := pebble.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func registry(tb testing.TB, st *pebble.Store, entries ...watchlists.Entry) *watchlists.Registry {
	reg := watchlists.NewRegistry(st, nil)
	if _, err := reg.Add(context.Background(), entries...); err != nil {
		tb.Fatal(err)
	}
	return reg
}

const (
	dprk, mixer, mid, payee, far, clean, funder, tenantListed = 1, 2, 3, 4, 5, 6, 7, 8
)

// The rules on a hand-made chain, to the wei.
func TestScreen(t *testing.T) {
	st := openStore(t)
	writeIndex(t, st, [][]pay{
		{{dprk, mid, 30}, {funder, mid, 10}}, // mid: 30 of 40 from DPRK
		{{mid, payee, 8}, {mixer, payee, 2}}, // payee: 8 from mid, 2 from a mixer
		{{payee, far, 5}},                    // far: three hops from DPRK
		{{funder, clean, 7}, {tenantListed, clean, 1}},
	})
	reg := registry(t, st,
		watchlists.Entry{Chain: chains.Ethereum, Address: addr(dprk), Kind: watchlists.Sanctioned, Label: "Lazarus Group"},
		watchlists.Entry{Chain: chains.Ethereum, Address: addr(mixer), Kind: watchlists.Mixer, Label: "Tornado 1 ETH"},
		// A tenant's own entry marks nothing for screening.
		watchlists.Entry{Chain: chains.Ethereum, Address: addr(tenantListed), Kind: watchlists.Sanctioned, Label: "rival", Owner: "acme", Untrusted: true},
	)
	ctx := context.Background()
	s := screening.New(screening.Config{}, reg, nil, tracer.NewIndexReader(st))

	r, err := s.Screen(ctx, chains.Ethereum, addr(payee))
	if err != nil {
		t.Fatal(err)
	}
	if r.Risk != screening.High || len(r.Direct) != 0 || len(r.Indirect) != 2 {
		t.Fatalf("payee: %+v", r)
	}
	mx, dp := r.Indirect[0], r.Indirect[1] // 1 hop first
	if mx.Category != screening.Mixer || mx.Hops != 1 || mx.Amount != "2" || mx.Share != 0.2 || mx.Risk != screening.Medium {
		t.Fatalf("mixer exposure %+v", mx)
	}
	// 8 × 30/40 = 6 of payee's 10.
	if dp.Category != screening.DPRK || dp.Hops != 2 || dp.Amount != "6" || dp.Share != 0.6 || dp.Risk != screening.High ||
		len(dp.Path) != 2 || dp.Path[0].From != watchlists.Display(chains.Ethereum, addr(dprk)) || dp.Path[1].To != watchlists.Display(chains.Ethereum, addr(payee)) {
		t.Fatalf("DPRK exposure %+v", dp)
	}
	// far: the mixer two hops back (5 × 2/10 = 1 of its 5), DPRK three.
	if r, _ := s.Screen(ctx, chains.Ethereum, addr(far)); r.Risk != screening.Low || len(r.Indirect) != 1 || r.Indirect[0].Category != screening.Mixer || r.Indirect[0].Amount != "1" {
		t.Fatalf("far with hops 2: %+v", r)
	}
	if r, _ := s.Screen(ctx, chains.Ethereum, addr(clean)); r.Risk != screening.None || len(r.Indirect) != 0 {
		t.Fatalf("clean (paid by a tenant-listed address): %+v", r)
	}
	// Three hops and a stricter table.
	s3 := screening.New(screening.Config{Hops: 3, Risk: screening.RiskTable{screening.DPRK: {"severe"}}}, reg, nil, tracer.NewIndexReader(st))
	r, _ = s3.Screen(ctx, chains.Ethereum, addr(far))
	if r.Risk != screening.Severe || len(r.Indirect) != 2 || r.Indirect[1].Hops != 3 || r.Indirect[1].Amount != "3" {
		// 5 of payee's 10: mixer 1, DPRK 5 × 6/10 = 3.
		t.Fatalf("far with hops 3: %+v", r)
	}
	// Direct only.
	if r, _ := screening.New(screening.Config{Hops: -1}, reg, nil, tracer.NewIndexReader(st)).Screen(ctx, chains.Ethereum, addr(payee)); r.Risk != screening.None {
		t.Fatalf("direct only: %+v", r)
	}
	// The listed address itself.
	r, _ = s.Screen(ctx, chains.Ethereum, addr(dprk))
	if r.Risk != screening.Severe || len(r.Direct) != 1 || r.Direct[0].Category != screening.DPRK || r.Direct[0].Share != 1 {
		t.Fatalf("the DPRK address: %+v", r)
	}
}

func TestRiskTableValidate(t *testing.T) {
	for _, bad := range []screening.RiskTable{{"nk": {"high"}}, {screening.DPRK: {}}, {screening.DPRK: {"extreme"}}} {
		if bad.Validate() == nil {
			t.Errorf("%v passes", bad)
		}
	}
	if err := screening.DefaultRisk.Validate(); err != nil {
		t.Fatal(err)
	}
}

// Bitcoin on an index that holds no Bitcoin blocks: the listed addresses
// alone.
func TestScreenBitcoinListedOnly(t *testing.T) {
	st := openStore(t)
	const listed, other = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
	reg := registry(t, st, watchlists.Entry{Chain: chains.Bitcoin, Address: listed, Kind: watchlists.Stolen, Label: "DPRK-attributed (Lazarus)"})
	s := screening.New(screening.Config{}, reg, nil, tracer.NewIndexReader(st))
	r, err := s.Screen(context.Background(), chains.Bitcoin, listed)
	if err != nil || r.Risk != screening.Severe || len(r.Direct) != 1 || r.Direct[0].Category != screening.DPRK || len(r.Indirect) != 0 {
		t.Fatalf("listed: %+v %v", r, err)
	}
	if r, _ := s.Screen(context.Background(), chains.Bitcoin, other); r.Risk != screening.None || len(r.Direct)+len(r.Indirect) != 0 {
		t.Fatalf("unlisted: %+v", r)
	}
}
