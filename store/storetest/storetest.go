// Package storetest is the conformance suite of chainhound's store
// backends: the same cases for every store interface the domain packages
// declare, run by store/pebble and store/redis on themselves.
package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/chainhound/chainhound/store"
)

// Harness gives the suite one fresh, empty store location.
type Harness struct {
	// Open opens the store at the location; the suite closes what it
	// opens, and opens again after a close to see what was kept.
	Open func(t *testing.T) (store.Backend, error)
	// SetSchema writes schema version v at the location, as a newer
	// build would (no store is open).
	SetSchema func(t *testing.T, v uint64)
	// SchemaVersion is the version this build writes; ErrNewerSchema is
	// what Open returns for a newer one.
	SchemaVersion  uint64
	ErrNewerSchema error
	// Another opens a second store on the location while the first is
	// open, as another process sharing it would (replicas on one Redis);
	// nil for a backend one process holds alone. The cases that need it
	// are skipped without it.
	Another func(t *testing.T) (store.Backend, error)
}

// Run runs every case, each on a fresh location from fresh.
func Run(t *testing.T, fresh func(t *testing.T) Harness) {
	cases := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"Schema", testSchema},
		{"Checkpoints", testCheckpoints},
		{"Tracer", testTracer},
		{"TransferIndex", testTransferIndex},
		{"Block", testBlock},
		{"Watchlists", testWatchlists},
		{"WatchlistRegistry", testWatchlistRegistry},
		{"Incidents", testIncidents},
		{"AlertLog", testAlertLog},
		{"AlertPages", testAlertPages},
		{"AlertPrune", testAlertPrune},
		{"AlertRetention", testAlertRetention},
		{"AlertSeqShared", testAlertSeqShared},
		{"APIKeys", testAPIKeys},
		{"Webhooks", testWebhooks},
		{"DeliveryQueue", testDeliveryQueue},
		{"Triage", testTriage},
		{"Channels", testChannels},
		{"ChannelDeliveries", testChannelDeliveries},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, fresh(t)) })
	}
}

// open opens h's store, failing the test on error; the store is closed
// at cleanup unless the case closed it first.
func open(t *testing.T, h Harness) store.Backend {
	t.Helper()
	s, err := h.Open(t)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	c := &closer{Backend: s}
	t.Cleanup(func() { c.Close() })
	return c
}

// closer closes its store once.
type closer struct {
	store.Backend
	closed bool
}

func (c *closer) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.Backend.Close()
}

// reopen closes s and opens h's store again.
func reopen(t *testing.T, h Harness, s store.Backend) store.Backend {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	return open(t, h)
}

func testSchema(t *testing.T, h Harness) {
	s := open(t, h)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The same version opens again; a newer one is refused.
	s = open(t, h)
	s.Close()
	h.SetSchema(t, h.SchemaVersion+1)
	if s, err := h.Open(t); !errors.Is(err, h.ErrNewerSchema) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("open a store of schema %d: %v, want %v", h.SchemaVersion+1, err, h.ErrNewerSchema)
	}
	h.SetSchema(t, h.SchemaVersion)
	s = open(t, h)
	s.Close()
}

var ctx = context.Background()
