package chainstest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// Recorder is a handler (Handle) that keeps the events it acknowledged,
// in order, and checks them against the Contract as they arrive: the one
// consumer of the suite and of the backends' own follower tests.
type Recorder struct {
	mu       sync.Mutex
	events   []chains.Event
	statuses []chains.Status // the follower's status at each event, when known
	contract Contract
	status   func() chains.Status
	refuse   func(chains.Event) error
	checked  bool // a Check is registered
}

// Handle acknowledges ev unless a refusal set by Refuse returns an error.
func (r *Recorder) Handle(_ context.Context, ev chains.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse != nil {
		if err := r.refuse(ev); err != nil {
			return err
		}
	}
	r.contract.Observe(ev)
	r.events = append(r.events, ev)
	var st chains.Status
	if r.status != nil {
		st = r.status()
	}
	r.statuses = append(r.statuses, st)
	return nil
}

// Refuse makes Handle return fn's error for an event (which is then not
// acknowledged); nil acknowledges every event again.
func (r *Recorder) Refuse(fn func(chains.Event) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refuse = fn
}

// Restart tells the Contract that a follower starts again for this
// consumer (see Contract.Restart); call it before each Run.
func (r *Recorder) Restart() { r.contract.Restart() }

// CheckAtEnd reports the Contract's breaches when t ends (registered
// once, however often it is called).
func (r *Recorder) CheckAtEnd(t *testing.T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.checked {
		r.checked = true
		t.Cleanup(func() { r.contract.Check(t) })
	}
}

// Check reports the Contract's breaches so far.
func (r *Recorder) Check(t TB) {
	t.Helper()
	r.contract.Check(t)
}

// Events returns the acknowledged events.
func (r *Recorder) Events() []chains.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Count is the number of acknowledged events.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// Find returns the acknowledged events that match.
func (r *Recorder) Find(match func(chains.Event) bool) []chains.Event {
	var out []chains.Event
	for _, ev := range r.Events() {
		if match(ev) {
			out = append(out, ev)
		}
	}
	return out
}

// Since renders the Connected/Disconnected events from index i on as
// "+N"/"-N", with their hashes.
func (r *Recorder) Since(i int) (seq, hashes []string) {
	for _, ev := range r.Events()[i:] {
		switch ev.Type {
		case chains.Connected:
			seq, hashes = append(seq, fmt.Sprintf("+%d", ev.Ref.Number)), append(hashes, ev.Ref.Hash)
		case chains.Disconnected:
			seq, hashes = append(seq, fmt.Sprintf("-%d", ev.Ref.Number)), append(hashes, ev.Ref.Hash)
		}
	}
	return seq, hashes
}

// Tip is the consumer's tip as the events left it.
func (r *Recorder) Tip() chains.BlockRef { return r.contract.Tip() }

// Chain is the consumer's chain as the events left it, oldest first.
func (r *Recorder) Chain() []chains.BlockRef { return r.contract.Chain() }

// at returns event i with the follower's status when it was handled.
func (r *Recorder) at(i int) (chains.Event, chains.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[i], r.statuses[i]
}
