package alerts

import "sync/atomic"

// Subscription receives the alerts appended after Subscribe, in Seq order.
// C is closed when the subscription is closed or dropped.
type Subscription struct {
	C <-chan Alert

	ch      chan Alert
	log     *Log
	dropped atomic.Bool
	closed  bool // guarded by log.subMu
}

// Subscribe starts a live subscription with a buffer of buf alerts (at
// least 1). Append never waits for it: when an alert does not fit in the
// buffer the subscription is dropped (Dropped reports true and C is
// closed); resume with Since from the last Seq received (see the package
// doc).
func (l *Log) Subscribe(buf int) *Subscription {
	if buf < 1 {
		buf = 1
	}
	ch := make(chan Alert, buf)
	s := &Subscription{C: ch, ch: ch, log: l}
	l.subMu.Lock()
	l.subs[s] = struct{}{}
	l.subMu.Unlock()
	return s
}

// Close ends the subscription and closes C. It is safe to call more than
// once and after a drop.
func (s *Subscription) Close() {
	s.log.subMu.Lock()
	defer s.log.subMu.Unlock()
	s.closeLocked()
}

func (s *Subscription) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	delete(s.log.subs, s)
	close(s.ch)
}

// Dropped reports whether the subscription was dropped for falling behind.
func (s *Subscription) Dropped() bool { return s.dropped.Load() }

// Subscribers returns the number of live subscriptions.
func (l *Log) Subscribers() int {
	l.subMu.Lock()
	defer l.subMu.Unlock()
	return len(l.subs)
}

// publish hands as to every subscriber without blocking; one whose buffer
// cannot take them all is dropped.
func (l *Log) publish(as []Alert) {
	l.subMu.Lock()
	defer l.subMu.Unlock()
	for s := range l.subs {
		for _, a := range as {
			select {
			case s.ch <- a:
				continue
			default:
			}
			s.dropped.Store(true)
			s.closeLocked()
			break
		}
	}
}
