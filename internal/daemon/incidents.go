package daemon

import (
	"context"

	"github.com/chainhound/chainhound/watchlists"
)

// engineTracker is the incident book's tracker: it hands the incidents the
// book opens and closes (through the API, or another replica's change
// stream) to the engine of the moment, with Run's context. A standby, and
// a daemon that has not started a term, leaves them to the term that
// starts when it becomes active (it opens every open incident).
type engineTracker struct{ d *Daemon }

var _ watchlists.Tracker = engineTracker{}

// ctx is Run's context while a term runs (active set after runCtx was).
func (t engineTracker) ctx() (context.Context, bool) {
	if !t.d.active.Load() {
		return nil, false
	}
	return t.d.runCtx, true
}

func (t engineTracker) Track(inc watchlists.Incident) {
	ctx, ok := t.ctx()
	if !ok {
		return
	}
	eng := t.d.Engine()
	if _, known := eng.Summary(inc.ID); known {
		return // opened already: the change stream brought it back
	}
	if err := eng.OpenIncident(ctx, inc); err != nil {
		t.d.log.Error("tracer refused incident", "incident", inc.ID, "err", err)
	}
}

func (t engineTracker) Untrack(id string) {
	ctx, ok := t.ctx()
	if !ok {
		return
	}
	if err := t.d.Engine().CloseIncident(ctx, id); err != nil {
		t.d.log.Warn("tracer close incident", "incident", id, "err", err)
	}
}
