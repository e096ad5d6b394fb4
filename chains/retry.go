package chains

import (
	"context"
	"time"
)

// Backoff is the wait between retries of a failing call (a follower's
// node call, the websocket hub's read of the alert log): Min at first,
// then twice the last wait, at most Max; Reset after a success starts
// again from Min. The zero value waits nothing; one goroutine owns a
// Backoff (it is not safe for concurrent use).
type Backoff struct {
	Min, Max time.Duration
	next     time.Duration
}

// Next is the wait before the next retry.
func (b *Backoff) Next() time.Duration {
	d := b.next
	if d == 0 {
		d = b.Min
	}
	b.next = min(2*d, b.Max)
	return d
}

// Reset makes the next wait Min again.
func (b *Backoff) Reset() { b.next = 0 }

// Sleep waits d, or until ctx is done: it reports whether it waited d.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
