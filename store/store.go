// Package store names what a chainhound store backend is: one object that
// implements every store interface the domain packages declare. The
// backends are store/pebble (embedded, one process) and store/redis
// (shared by replicas); store/storetest holds the conformance suite both
// pass.
package store

import (
	"context"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/notify"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// Backend is a store: every domain's interface, one object.
type Backend interface {
	chains.CheckpointStore
	watchlists.Store
	tracer.Store
	alerts.Store
	alerts.WebhookStore
	alerts.TriageStore
	notify.Store
	apikey.Store
	BlockWriter
	Close() error
}

// Block is what one block changes across domains: the tracer's batch, the
// alert log and the follower's checkpoint. Nil or empty parts are left
// alone.
type Block struct {
	Chain      chains.Chain
	Puts       []tracer.KV
	Deletes    [][]byte
	Alerts     *alerts.AlertWrite
	Checkpoint *chains.BlockRef
}

// BlockWriter writes a Block atomically and durably: all of it or none.
type BlockWriter interface {
	WriteBlock(ctx context.Context, b Block) error
}
