package watchlists

import (
	"context"
	"fmt"
)

// SaveIncident stores an incident opened elsewhere — the tracer's automatic
// incidents after a treasury drain — keeping its ID and times, without
// telling a tracker (the opener already follows it). It is the tracer's
// IncidentRecorder.
func (b *IncidentBook) SaveIncident(ctx context.Context, inc Incident) error {
	if inc.ID == "" {
		return fmt.Errorf("record incident: no id")
	}
	if b.store != nil {
		if err := b.store.PutIncident(ctx, inc); err != nil {
			return err
		}
	}
	b.mu.Lock()
	b.incidents[inc.ID] = inc
	b.mu.Unlock()
	return nil
}
