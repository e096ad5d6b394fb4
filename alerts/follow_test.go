package alerts_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
)

var errEnough = errors.New("enough")

// TestFollowNoGapNoDuplicateUnderConcurrentAppends follows a log that
// writers keep appending to, from a backlog, with a consumer slow enough
// to be dropped: it sees every seq once, in order.
func TestFollowNoGapNoDuplicateUnderConcurrentAppends(t *testing.T) {
	for _, tc := range []struct {
		name     string
		buf, max int
		slow     bool
	}{
		{"follow", alerts.FollowBuffer, 1, false},
		{"batches", 64, 50, false},
		{"dropped", 1, 7, true}, // a buffer of 1 and a slow consumer: dropped again and again
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, t.TempDir())
			l := openLog(t, st, alerts.Retention{})
			ctx := context.Background()
			if _, err := l.Append(ctx, samples(0, 120)); err != nil { // the backlog
				t.Fatal(err)
			}
			const writers, each = 4, 60
			total := uint64(120 + writers*each)
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each / 3 {
						if _, err := l.Append(ctx, samples(1000*w+3*i, 3)); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			var got []uint64
			fn := func(as []alerts.Alert) error {
				if len(as) == 0 || len(as) > tc.max {
					t.Errorf("batch of %d, want 1..%d", len(as), tc.max)
				}
				for _, a := range as {
					got = append(got, a.Seq)
				}
				if tc.slow {
					time.Sleep(time.Millisecond)
				}
				if got[len(got)-1] >= total {
					return errEnough
				}
				return nil
			}
			var err error
			if tc.max == 1 && tc.buf == alerts.FollowBuffer {
				err = l.Follow(ctx, 0, func(a alerts.Alert) error { return fn([]alerts.Alert{a}) })
			} else {
				err = l.FollowBatches(ctx, 0, tc.buf, tc.max, fn)
			}
			wg.Wait()
			if !errors.Is(err, errEnough) {
				t.Fatalf("Follow returned %v, want fn's error", err)
			}
			if uint64(len(got)) != total {
				t.Fatalf("got %d alerts, want %d", len(got), total)
			}
			for i, seq := range got {
				if seq != uint64(i+1) {
					t.Fatalf("alert %d has seq %d, want %d (a gap or a duplicate)", i, seq, i+1)
				}
			}
		})
	}
}

// TestFollowFromAfter hands only the alerts after the given seq, stored
// then live.
func TestFollowFromAfter(t *testing.T) {
	st := openStore(t, t.TempDir())
	l := openLog(t, st, alerts.Retention{})
	ctx := context.Background()
	if _, err := l.Append(ctx, samples(0, 10)); err != nil {
		t.Fatal(err)
	}
	var got []uint64
	err := l.Follow(ctx, 7, func(a alerts.Alert) error {
		got = append(got, a.Seq)
		if a.Seq == 10 {
			go l.Append(ctx, samples(10, 2)) // live from here
		}
		if a.Seq == 12 {
			return errEnough
		}
		return nil
	})
	if !errors.Is(err, errEnough) {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0] != 8 || got[4] != 12 {
		t.Fatalf("got seqs %v, want 8..12", got)
	}
}

// TestFollowStopsOnCancel returns ctx's error when ctx is done while it
// waits for live alerts, and leaves no subscription behind.
func TestFollowStopsOnCancel(t *testing.T) {
	st := openStore(t, t.TempDir())
	l := openLog(t, st, alerts.Retention{})
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := l.Append(ctx, samples(0, 3)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	n := 0
	go func() {
		done <- l.Follow(ctx, 0, func(alerts.Alert) error { n++; return nil })
	}()
	deadline := time.Now().Add(10 * time.Second)
	for l.Subscribers() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Follow returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return after cancel")
	}
	if n != 3 {
		t.Fatalf("handed %d alerts, want the 3 stored", n)
	}
	if s := l.Subscribers(); s != 0 {
		t.Fatalf("%d subscriptions left behind", s)
	}
}

// TestStuckFollowBlocksNoWriter: a consumer whose fn never returns (in
// the backlog and then live) makes neither Append nor Since wait; its
// subscription is dropped once its buffer is full, and it resumes from
// the store without gap once fn returns.
func TestStuckFollowBlocksNoWriter(t *testing.T) {
	st := openStore(t, t.TempDir())
	l := openLog(t, st, alerts.Retention{})
	ctx := context.Background()
	if _, err := l.Append(ctx, samples(0, 3)); err != nil {
		t.Fatal(err)
	}
	stuck, release := make(chan struct{}), make(chan struct{})
	var got []uint64
	done := make(chan error, 1)
	go func() {
		done <- l.FollowBatches(ctx, 0, 4, 2, func(as []alerts.Alert) error {
			for _, a := range as {
				got = append(got, a.Seq)
			}
			if len(got) == 2 { // in the backlog's first page
				close(stuck)
				<-release
			}
			if got[len(got)-1] == 103 {
				return errEnough
			}
			return nil
		})
	}()
	<-stuck
	wrote := make(chan error, 1)
	go func() {
		for i := 0; i < 100; i++ { // far past the buffer of 4
			if _, err := l.Append(ctx, samples(3+i, 1)); err != nil {
				wrote <- err
				return
			}
		}
		_, err := l.Since(ctx, 0, 0)
		wrote <- err
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Append or Since waited for a stuck Follow consumer")
	}
	close(release)
	select {
	case err := <-done:
		if !errors.Is(err, errEnough) {
			t.Fatalf("FollowBatches returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the released consumer did not catch up")
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("consumer got seqs %v, want 1..103 once each in order", got)
		}
	}
	if len(got) != 103 {
		t.Fatalf("consumer got %d alerts, want 103", len(got))
	}
}
