package watchlists

import (
	"context"

	"github.com/chainhound/chainhound/chains"
)

// EntryKey identifies an entry: one address may carry one entry per
// (owner, kind). Adding an entry with the key of an existing one replaces it.
type EntryKey struct {
	Chain   chains.Chain
	Address string
	Owner   string
	Kind    Kind
}

// Key returns the entry's identity.
func (e Entry) Key() EntryKey {
	return EntryKey{Chain: e.Chain, Address: e.Address, Owner: e.Owner, Kind: e.Kind}
}

// Store persists watchlist entries and incidents. store/pebble and
// store/redis implement it. Each call is atomic: all of it is stored, or
// none.
type Store interface {
	// PutEntries stores entries, replacing those with the same key.
	PutEntries(ctx context.Context, entries []Entry) error
	// DeleteEntries removes the entries with these keys (absent ones are
	// ignored).
	DeleteEntries(ctx context.Context, keys []EntryKey) error
	// Entries calls fn for every stored entry.
	Entries(ctx context.Context, fn func(Entry) error) error

	// PutIncident stores inc, replacing the incident with its ID.
	PutIncident(ctx context.Context, inc Incident) error
	// Incidents returns every stored incident, oldest first.
	Incidents(ctx context.Context) ([]Incident, error)
}
