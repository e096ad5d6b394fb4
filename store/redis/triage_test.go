package redis

import (
	"context"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// A triage event published by one replica reaches the subscribers of
// another, with its tenant; a replica with another prefix hears nothing.
func TestTriageBus(t *testing.T) {
	r := testnodes.StartRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := freshPrefix()
	open := func(prefix string) *Store {
		s, err := Open(ctx, r.URL, Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b, elsewhere := open(p), open(p), open(freshPrefix())
	evs, err := b.SubscribeTriage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, err := elsewhere.SubscribeTriage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tr := alerts.NewTriage("binance", 42)
	ack := alerts.StatusAcknowledged
	ch, _ := tr.Set(&ack, nil, "key_1", time.Now())
	if err := a.PublishTriage(ctx, alerts.TriageEvent{Triage: tr, Changes: ch}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-evs:
		if ev.Triage.Tenant != "binance" || ev.Triage.Seq != 42 || ev.Triage.Status != ack || len(ev.Changes) != 1 || ev.Changes[0].From != "new" {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no triage event on the other replica")
	}
	select {
	case ev := <-other:
		t.Fatalf("a store with another prefix got %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	for range evs { // closed once ctx is done
	}
}
