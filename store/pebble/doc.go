// Package pebble is chainhound's embedded store: one pebble database in the
// data directory that implements the store interfaces declared by the domain
// packages (chains.CheckpointStore, watchlists.Store, tracer.Store,
// alerts.Store, alerts.WebhookStore, alerts.TriageStore, notify.Store,
// apikey.Store). Each domain owns a key prefix; see keys.go. It depends on
// those packages' types only, none of them on HTTP (decision 0028).
//
// The directory holds a schema version. A directory written by a newer
// chainhound is refused rather than misread, and pebble's own lock file
// keeps a second process out ("in use").
package pebble
