package watchlists

import "context"

// Tracker follows the taint of open incidents: the tracer, as the daemon
// adapts it. Its methods are called after the change is stored and must
// not block for long.
type Tracker interface {
	// Track follows an incident that opened.
	Track(Incident)
	// Untrack stops following an incident that closed.
	Untrack(id string)
}

// TrackedBook is an IncidentBook that tells its Tracker of every incident
// it opens or closes: by Open and Close, and by Refresh when a change
// another process stored opens or closes one. Load and SaveIncident
// tell it nothing (the caller hands the loaded incidents to the tracer at
// start; a saved incident's opener follows it already).
type TrackedBook struct {
	*IncidentBook
	tracker Tracker
}

// Tracked decorates b with t.
func Tracked(b *IncidentBook, t Tracker) *TrackedBook {
	return &TrackedBook{IncidentBook: b, tracker: t}
}

// Open opens inc in the book, then has the tracker follow it.
func (b *TrackedBook) Open(ctx context.Context, inc Incident) (Incident, error) {
	inc, err := b.IncidentBook.Open(ctx, inc)
	if err != nil {
		return Incident{}, err
	}
	b.tracker.Track(inc)
	return inc, nil
}

// Close closes the incident in the book, then, unless it was closed
// already, has the tracker stop following it.
func (b *TrackedBook) Close(ctx context.Context, id string) (Incident, error) {
	inc, closed, err := b.close(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	if closed {
		b.tracker.Untrack(id)
	}
	return inc, nil
}

// Refresh puts inc in memory as another process stored it, then has the
// tracker follow it when it is open and was not, or stop when it is
// closed and was open.
func (b *TrackedBook) Refresh(inc Incident) {
	switch opened, closed := b.refresh(inc); {
	case opened:
		b.tracker.Track(inc)
	case closed:
		b.tracker.Untrack(inc.ID)
	}
}
