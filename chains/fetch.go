package chains

import (
	"context"
	"errors"
	"sync"
)

// ErrStopFetch, returned by FetchRange's deliver, stops it early without an
// error: FetchRange returns nil (a follower that saw a branch switch, a
// catch-up whose incident was rewound).
var ErrStopFetch = errors.New("chains: stop fetching")

// FetchLimits bound FetchRange.
type FetchLimits struct {
	// Concurrency is how many fetches may run at once (at least 1).
	Concurrency int
	// Window is how many blocks may be fetched or fetching beyond the one
	// FetchRange waits for or delivers: the memory bound. 0 means
	// Concurrency; below Concurrency, it bounds the fetches in flight to
	// Window+1.
	Window int
}

// FetchRange fetches blocks from..to with fetch, at most lim.Concurrency
// at once and at most lim.Window ahead of delivery, and passes them to
// deliver one at a time, in height order, on the caller's goroutine. A
// fetch starts as soon as one finishes, so delivery never waits for a
// batch to drain.
//
// It stops at the first error in height order: a fetch's error (after
// delivering every block below it) or deliver's, returned unchanged, so
// the caller's messages name the block as its fetch or deliver does.
// deliver returning ErrStopFetch stops it with nil. Once ctx is done it
// delivers nothing more and returns ctx.Err() (or the error the fetch in
// hand returned for that block). Either way it returns only once every
// fetch it started has returned: the ctx fetch gets is cancelled then.
func FetchRange[B any](ctx context.Context, from, to uint64, lim FetchLimits,
	fetch func(ctx context.Context, number uint64) (B, error),
	deliver func(number uint64, b B) error) error {
	if from > to {
		return nil
	}
	conc := max(lim.Concurrency, 1)
	window := lim.Window
	if window <= 0 {
		window = conc
	}
	type result struct {
		b   B
		err error
	}
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	// The fetches in flight and the results not yet delivered, in height
	// order.
	queue := make(chan chan result, window)
	slots := make(chan struct{}, conc)
	wg.Go(func() {
		defer close(queue)
		for n := from; cctx.Err() == nil; n++ {
			select {
			case slots <- struct{}{}:
			case <-cctx.Done():
				return
			}
			res := make(chan result, 1)
			select {
			case queue <- res:
			case <-cctx.Done():
				<-slots
				return
			}
			wg.Go(func() {
				b, err := fetch(cctx, n)
				<-slots
				res <- result{b, err}
			})
			if n == to {
				return
			}
		}
	})
	n := from
	for res := range queue {
		r := <-res
		if r.err != nil {
			return r.err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := deliver(n, r.b); err != nil {
			if err == ErrStopFetch {
				return nil
			}
			return err
		}
		n++
	}
	if n <= to {
		return ctx.Err()
	}
	return nil
}
