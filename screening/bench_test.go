package screening_test

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// The generated chain of the benchmarks: benchBlocks blocks of
// benchPerBlock payments each between benchAddrs addresses (each address
// receives and pays in about 2 × blocks × per-block / addresses ≈ 40
// blocks), 100 of them listed (DPRK, sanctioned, mixer, bridge).
const (
	benchBlocks   = 100000
	benchPerBlock = 10
	benchAddrs    = 50000
	benchListed   = 100
)

var benchDir string // the generated index, built once per process

func benchIndex(b *testing.B) (*pebble.Store, *watchlists.Registry) {
	if benchDir == "" {
		dir, err := os.MkdirTemp("", "chainhound-screen-bench-")
		if err != nil {
			b.Fatal(err)
		}
		st, err := pebble.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		blocks := make([][]pay, benchBlocks)
		for i := range blocks {
			ps := make([]pay, benchPerBlock)
			for j := range ps {
				ps[j] = pay{from: 1 + rng.IntN(benchAddrs), to: 1 + rng.IntN(benchAddrs), wei: 1 + rng.Int64N(1e18)}
			}
			blocks[i] = ps
		}
		writeIndex(b, st, blocks)
		kinds := []watchlists.Kind{watchlists.Sanctioned, watchlists.Stolen, watchlists.Mixer, watchlists.Bridge}
		var es []watchlists.Entry
		for i := 1; i <= benchListed; i++ {
			es = append(es, watchlists.Entry{Chain: chains.Ethereum, Address: addr(i * (benchAddrs / benchListed)), Kind: kinds[i%len(kinds)], Label: "listed"})
		}
		if _, err := watchlists.NewRegistry(st, nil).Add(context.Background(), es...); err != nil {
			b.Fatal(err)
		}
		st.Close()
		benchDir = dir
	}
	st, err := pebble.Open(benchDir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	reg := watchlists.NewRegistry(st, nil)
	if err := reg.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	return st, reg
}

// BenchmarkScreen: one address at a time, direct only (labels and
// holdings: no index read) and with 1 and 2 hops over the index of the
// generated 100,000-block chain; reports the p50 and p99 latency, and
// the bare cost of reading the address's block list (AddressBlocks) in
// the same run.
//
//	go test -run '^$' -bench BenchmarkScreen -benchtime 2000x ./screening/
func BenchmarkScreen(b *testing.B) {
	st, reg := benchIndex(b)
	idx := tracer.NewIndexReader(st)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	b.Run("bare-address-blocks", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			if _, err := idx.AddressBlocks(ctx, chains.Ethereum, addr(1+rng.IntN(benchAddrs)), 512); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportLatency(b, lat)
	})
	for _, c := range []struct {
		name string
		hops int
	}{{"direct", -1}, {"hops-1", 1}, {"hops-2", 2}} {
		b.Run(c.name, func(b *testing.B) {
			s := screening.New(screening.Config{Hops: c.hops}, reg, nil, idx)
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				if _, err := s.Screen(ctx, chains.Ethereum, addr(1+rng.IntN(benchAddrs))); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			reportLatency(b, lat)
		})
	}
}

// BenchmarkBatchScreen: a payroll of 1,000 addresses with 2 hops, as POST
// /v1/screen runs it (ScreenAll on GOMAXPROCS workers), beside the same
// addresses one at a time; reports addresses per second.
//
//	go test -run '^$' -bench BenchmarkBatchScreen -benchtime 3x ./screening/
func BenchmarkBatchScreen(b *testing.B) {
	st, reg := benchIndex(b)
	s := screening.New(screening.Config{}, reg, nil, tracer.NewIndexReader(st))
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	const batch = 1000
	addrs := make([]string, batch)
	for i := range addrs {
		addrs[i] = addr(1 + rng.IntN(benchAddrs))
	}
	b.Run("screen-all", func(b *testing.B) {
		t0 := time.Now()
		for b.Loop() {
			if _, err := s.ScreenAll(ctx, chains.Ethereum, addrs, 0); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/time.Since(t0).Seconds(), "addresses/s")
	})
	b.Run("one-at-a-time", func(b *testing.B) {
		t0 := time.Now()
		for b.Loop() {
			for _, a := range addrs {
				if _, err := s.Screen(ctx, chains.Ethereum, a); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N*batch)/time.Since(t0).Seconds(), "addresses/s")
	})
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	s := slices.Clone(lat)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	b.ReportMetric(float64(s[len(s)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(s[min(len(s)-1, len(s)*99/100)].Microseconds())/1000, "p99-ms")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}
