package pebble

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"reflect"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

func TestWatchlistRestartKeepsEverything(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	reg := watchlists.NewRegistry(s, nil)
	added := time.Date(2025, 2, 21, 14, 13, 35, 0, time.UTC)
	entries := []watchlists.Entry{
		{Chain: chains.Ethereum, Address: "0x28C6c06298d514Db089934071355E5743bf21d60", Kind: watchlists.Exchange, Owner: "binance", Label: "Binance 14", Source: "test", Added: added, Note: "hot wallet"},
		{Chain: chains.Ethereum, Address: "0x28c6c06298d514db089934071355e5743bf21d60", Kind: watchlists.Sanctioned, Label: "hypothetical", Added: added},
		{Chain: chains.Bitcoin, Address: "BC1Q05AKTDDF9CE4P7HH3STGSF253M4VWEU7NKHTMW", Kind: watchlists.Stolen, Owner: "victim-co", Added: added},
		{Chain: chains.Bitcoin, Address: "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", Kind: watchlists.Treasury, Owner: "victim-co", Added: added},
		{Chain: chains.Ethereum, Address: "0x12D66f87A04A9E220743712cE6d9bB1B5616B8Fc", Kind: watchlists.Mixer, Label: "Tornado Cash 0.1 ETH", Protocol: "tornado", Added: added},
		{Chain: chains.Ethereum, Address: "0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146", Kind: watchlists.Bridge, Owner: "victim-co", Label: "THORChain router (their word)", Protocol: "thorchain", Untrusted: true, Added: added},
	}
	if _, err := reg.Add(ctx, entries...); err != nil {
		t.Fatal(err)
	}
	if n, err := reg.Remove(ctx, chains.Bitcoin, "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", "victim-co", ""); err != nil || n != 1 {
		t.Fatalf("remove: %d, %v", n, err)
	}
	book := watchlists.NewIncidentBook(s, nil)
	inc, err := book.Open(ctx, watchlists.Incident{
		Title: "Bybit", Chain: chains.Ethereum, Owner: "victim-co",
		Seeds:   []watchlists.Seed{{Tx: "0x46deef0f52e3a983b67abf4714448a41dd7ffd6d32d32da69d62081c68ad7882"}, {Address: "0x47666Fab8bd0Ac7003bce3f5C3585383F09486E2", FromBlock: 21895238}},
		Dust:    big.NewInt(1_000_000_000_000_000),
		MaxHops: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	closed, err := book.Open(ctx, watchlists.Incident{Chain: chains.Bitcoin, Seeds: []watchlists.Seed{{Tx: "bb41a757f405890fb0f5856228e23b715702d714d59bf2b1feb70d8b2b4e3e08"}}, Policy: watchlists.FIFO})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := book.Close(ctx, closed.ID); err != nil {
		t.Fatal(err)
	}
	want := reg.List(watchlists.Filter{})
	wantInc := book.List("*", "")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg2 := watchlists.NewRegistry(s, nil)
	if err := reg2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := reg2.List(watchlists.Filter{}); !reflect.DeepEqual(got, want) {
		t.Fatalf("entries after restart:\n%+v\nwant\n%+v", got, want)
	}
	if len(want) != 5 {
		t.Fatalf("%d entries, want 5", len(want))
	}
	if got := reg2.Lookup(chains.Ethereum, "0x28c6c06298d514db089934071355e5743bf21d60"); len(got) != 2 {
		t.Fatalf("lookup: %+v, want 2 entries", got)
	}
	book2 := watchlists.NewIncidentBook(s, nil)
	if err := book2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	gotInc := book2.List("*", "")
	if !reflect.DeepEqual(gotInc, wantInc) {
		t.Fatalf("incidents after restart:\n%+v\nwant\n%+v", gotInc, wantInc)
	}
	g, err := book2.Get(inc.ID)
	if err != nil || g.Dust.String() != "1000000000000000" || g.Status != watchlists.Open || g.Seeds[1].Address != "0x47666fab8bd0ac7003bce3f5c3585383f09486e2" {
		t.Fatalf("incident %s after restart: %+v, %v", inc.ID, g, err)
	}
	if c, _ := book2.Get(closed.ID); c.Status != watchlists.Closed || c.Closed == nil {
		t.Fatalf("closed incident after restart: %+v", c)
	}
}

// A version-1 record (before protocols and trust) still loads: made
// through the API ("api:" source), it is untrusted; otherwise trusted.
func TestWatchlistRecordV1(t *testing.T) {
	v1 := func(source string) []byte {
		b := []byte{entryRecordV1}
		for _, s := range []string{"Binance 14", source, "a note"} {
			b = append(b, byte(len(s)))
			b = append(b, s...)
		}
		return append(b, 0) // added: zero
	}
	key := entryKey(watchlists.EntryKey{Chain: chains.Ethereum, Address: "0x28c6c06298d514db089934071355e5743bf21d60", Owner: "binance", Kind: watchlists.Exchange})
	for source, untrusted := range map[string]bool{"api:k_1: list.csv": true, "cli": false, "labels.csv": false} {
		var e watchlists.Entry
		if err := decodeEntry(key, v1(source), &e); err != nil {
			t.Fatal(err)
		}
		if e.Untrusted != untrusted || e.Label != "Binance 14" || e.Source != source || e.Note != "a note" || e.Protocol != "" || e.Owner != "binance" {
			t.Errorf("v1 record with source %q: %+v, want untrusted=%v", source, e, untrusted)
		}
	}
	bad := append(encodeEntry(watchlists.Entry{Label: "x"}), 0)
	var e watchlists.Entry
	if err := decodeEntry(key, bad, &e); err == nil {
		t.Errorf("a version-2 record with a trailing byte decoded: %+v", e)
	}
}

// fillEntries writes n distinct Ethereum exchange entries in batches.
func fillEntries(tb testing.TB, s *Store, n int) {
	tb.Helper()
	ctx := context.Background()
	added := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]watchlists.Entry, 0, 10000)
	var a [20]byte
	for i := 0; i < n; i++ {
		a[0], a[1], a[2], a[3] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		a[19] = byte(i * 7)
		batch = append(batch, watchlists.Entry{
			Chain: chains.Ethereum, Address: "0x" + hex.EncodeToString(a[:]), Kind: watchlists.Exchange,
			Owner: "exchange-a", Label: fmt.Sprintf("Deposit %d", i), Source: "bench", Added: added,
		})
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.PutEntries(ctx, batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// cpuSeconds is the process's user+system CPU time: on a shared machine
// it says more about the cost than the wall clock does.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkRegistryLoad1M loads one million stored entries into a Registry
// and reports the heap it holds (heap-MB) beside the cost of only scanning
// the store (the bare cost) in the same run.
func BenchmarkRegistryLoad1M(b *testing.B) {
	const n = 1_000_000
	s := MustOpen(b)
	fillEntries(b, s, n)
	ctx := context.Background()
	b.Run("scan-only", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c := 0
			if err := s.Entries(ctx, func(watchlists.Entry) error { c++; return nil }); err != nil || c != n {
				b.Fatalf("%d entries, %v", c, err)
			}
		}
	})
	b.Run("load", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			before := heapInUse()
			cpu0 := cpuSeconds()
			b.StartTimer()
			reg := watchlists.NewRegistry(s, nil)
			if err := reg.Load(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(cpuSeconds()-cpu0, "cpu-s")
			after := heapInUse()
			if reg.Len() != n {
				b.Fatalf("%d entries", reg.Len())
			}
			b.ReportMetric(float64(after-before)/(1<<20), "heap-MB")
			runtime.KeepAlive(reg)
			b.StartTimer()
		}
	})
}
