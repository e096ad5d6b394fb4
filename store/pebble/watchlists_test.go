package pebble

import (
	"context"
	"encoding/hex"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

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
