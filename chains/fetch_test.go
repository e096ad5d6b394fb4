package chains_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
)

// fetcher is a real fetch function for FetchRange: block n is the string
// "block n", after a random delay; it records what ran and when.
type fetcher struct {
	maxDelay time.Duration
	failAt   uint64 // 0: never
	block    bool   // wait for ctx instead of answering

	mu        sync.Mutex
	inFlight  int
	maxFlight int
	next      uint64 // lowest block not yet delivered
	maxAhead  uint64 // most blocks a fetch started beyond next
	started   map[uint64]bool
	active    atomic.Int64
}

func (f *fetcher) fetch(ctx context.Context, n uint64) (string, error) {
	f.active.Add(1)
	defer f.active.Add(-1)
	f.mu.Lock()
	if f.started == nil {
		f.started = map[uint64]bool{}
	}
	if f.started[n] {
		f.mu.Unlock()
		return "", fmt.Errorf("block %d fetched twice", n)
	}
	f.started[n] = true
	f.inFlight++
	f.maxFlight = max(f.maxFlight, f.inFlight)
	if n >= f.next {
		f.maxAhead = max(f.maxAhead, n-f.next)
	}
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()
	if f.block {
		<-ctx.Done()
		return "", ctx.Err()
	}
	if f.maxDelay > 0 {
		t := time.NewTimer(rand.N(f.maxDelay))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if f.failAt != 0 && n == f.failAt {
		return "", fmt.Errorf("block %d: %w", n, errBoom)
	}
	return fmt.Sprintf("block %d", n), nil
}

var errBoom = errors.New("boom")

// deliver records the blocks in the order they came and checks each is
// the next one and the block asked for.
func (f *fetcher) deliver(t *testing.T, got *[]uint64) func(uint64, string) error {
	return func(n uint64, b string) error {
		if b != fmt.Sprintf("block %d", n) {
			t.Errorf("delivered %q as block %d", b, n)
		}
		if k := len(*got); k > 0 && (*got)[k-1]+1 != n {
			t.Errorf("delivered block %d after %d", n, (*got)[k-1])
		}
		*got = append(*got, n)
		f.mu.Lock()
		f.next = n + 1
		f.mu.Unlock()
		return nil
	}
}

func TestFetchRangeOrderUnderRandomDelays(t *testing.T) {
	for _, c := range []struct {
		name     string
		from, to uint64
		lim      chains.FetchLimits
	}{
		{"ethereum-shape", 100, 699, chains.FetchLimits{Concurrency: 4, Window: 32}},
		{"bitcoin-shape", 0, 499, chains.FetchLimits{Concurrency: 5, Window: 4}},
		{"catch-up-shape", 7, 38, chains.FetchLimits{Concurrency: 8, Window: 32}},
		{"one-at-a-time", 1, 50, chains.FetchLimits{}},
		{"one-block", 9, 9, chains.FetchLimits{Concurrency: 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &fetcher{maxDelay: time.Millisecond, next: c.from}
			var got []uint64
			if err := chains.FetchRange(context.Background(), c.from, c.to, c.lim, f.fetch, f.deliver(t, &got)); err != nil {
				t.Fatal(err)
			}
			if want := int(c.to - c.from + 1); len(got) != want || got[0] != c.from {
				t.Fatalf("delivered %d blocks from %v, want %d from %d", len(got), got[:min(len(got), 1)], want, c.from)
			}
			conc := max(c.lim.Concurrency, 1)
			window := windowOf(c.lim)
			if limit := min(conc, window+1); f.maxFlight > limit {
				t.Errorf("%d fetches at once, limit %d", f.maxFlight, limit)
			}
			if f.maxAhead > uint64(window) {
				t.Errorf("a fetch started %d blocks beyond the one awaited, window %d", f.maxAhead, window)
			}
			if n := f.active.Load(); n != 0 {
				t.Errorf("%d fetches still running after FetchRange returned", n)
			}
		})
	}
}

func TestFetchRangeEmpty(t *testing.T) {
	calls := 0
	err := chains.FetchRange(context.Background(), 5, 4, chains.FetchLimits{Concurrency: 2},
		func(context.Context, uint64) (int, error) { calls++; return 0, nil },
		func(uint64, int) error { calls++; return nil })
	if err != nil || calls != 0 {
		t.Fatalf("from > to: err %v, %d calls; want nil, none", err, calls)
	}
}

// A fetch error stops FetchRange after every block below it was delivered
// and none above it, and is returned as the fetch gave it (naming the
// block).
func TestFetchRangeErrorStopsAtTheBlock(t *testing.T) {
	for _, lim := range []chains.FetchLimits{{Concurrency: 1}, {Concurrency: 4, Window: 32}, {Concurrency: 9, Window: 8}} {
		t.Run(fmt.Sprintf("conc=%d,window=%d", lim.Concurrency, lim.Window), func(t *testing.T) {
			before := runtime.NumGoroutine()
			f := &fetcher{maxDelay: 500 * time.Microsecond, failAt: 37, next: 10}
			var got []uint64
			err := chains.FetchRange(context.Background(), 10, 200, lim, f.fetch, f.deliver(t, &got))
			if !errors.Is(err, errBoom) || err.Error() != "block 37: boom" {
				t.Fatalf("err = %v, want the fetch's error for block 37", err)
			}
			if len(got) != 27 || got[len(got)-1] != 36 {
				t.Fatalf("delivered %v, want 10..36", got)
			}
			f.mu.Lock()
			for n := range f.started {
				if n > 37+uint64(windowOf(lim)) {
					t.Errorf("block %d was fetched: beyond the window past the failed block", n)
				}
			}
			f.mu.Unlock()
			checkNoLeak(t, f, before)
		})
	}
}

// deliver's error comes back unchanged and stops the fetching; ErrStopFetch
// stops it with nil.
func TestFetchRangeDeliverStops(t *testing.T) {
	errHandler := errors.New("handler refused block 12")
	for _, c := range []struct {
		stop error
		want error
	}{{errHandler, errHandler}, {chains.ErrStopFetch, nil}} {
		before := runtime.NumGoroutine()
		f := &fetcher{maxDelay: 200 * time.Microsecond, next: 1}
		var got []uint64
		record := f.deliver(t, &got)
		err := chains.FetchRange(context.Background(), 1, 1000, chains.FetchLimits{Concurrency: 4, Window: 16}, f.fetch,
			func(n uint64, b string) error {
				if n == 12 {
					return c.stop
				}
				return record(n, b)
			})
		if err != c.want {
			t.Fatalf("deliver returned %v: FetchRange returned %v, want %v", c.stop, err, c.want)
		}
		if len(got) != 11 {
			t.Fatalf("delivered %v, want 1..11", got)
		}
		if len(f.started) > 12+16 {
			t.Errorf("%d blocks fetched: beyond the window", len(f.started))
		}
		checkNoLeak(t, f, before)
	}
}

// Cancelling ctx stops FetchRange with ctx's error, whether its fetches
// are blocked on the node or it is between deliveries, and it returns
// only once they have.
func TestFetchRangeCancel(t *testing.T) {
	t.Run("fetches-blocked", func(t *testing.T) {
		before := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		f := &fetcher{block: true}
		time.AfterFunc(20*time.Millisecond, cancel)
		err := chains.FetchRange(ctx, 0, 1<<40, chains.FetchLimits{Concurrency: 8, Window: 64}, f.fetch,
			func(uint64, string) error { t.Error("delivered a block"); return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if f.maxFlight != 8 {
			t.Errorf("%d fetches ran at once, want the 8 allowed", f.maxFlight)
		}
		checkNoLeak(t, f, before)
	})
	t.Run("while-delivering", func(t *testing.T) {
		before := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := &fetcher{next: 0}
		var got []uint64
		record := f.deliver(t, &got)
		err := chains.FetchRange(ctx, 0, 1<<40, chains.FetchLimits{Concurrency: 3, Window: 6}, f.fetch,
			func(n uint64, b string) error {
				if n == 100 {
					cancel()
				}
				return record(n, b)
			})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if len(got) != 101 {
			t.Fatalf("delivered %d blocks, cancelling at block 100; want 101", len(got))
		}
		checkNoLeak(t, f, before)
	})
}

// checkNoLeak: no fetch runs once FetchRange returned, and the goroutine
// count comes back to what it was.
func checkNoLeak(t *testing.T, f *fetcher, before int) {
	t.Helper()
	if n := f.active.Load(); n != 0 {
		t.Errorf("%d fetches still running after FetchRange returned", n)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after FetchRange returned, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// windowOf is the window FetchRange keeps for lim.
func windowOf(lim chains.FetchLimits) int {
	if lim.Window <= 0 {
		return max(lim.Concurrency, 1)
	}
	return lim.Window
}
