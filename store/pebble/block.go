package pebble

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chainhound/chainhound/store"
	"github.com/cockroachdb/pebble"
)

var _ store.Backend = (*Store)(nil)

// WriteBlock writes a block's tracer batch, alerts and checkpoint in one
// synced batch (not synced when ctx says chains.SyncDeferred and the block
// raises no alerts).
func (s *Store) WriteBlock(ctx context.Context, blk store.Block) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	if err := addTracer(b, blk.Puts, blk.Deletes); err != nil {
		return err
	}
	if blk.Alerts != nil {
		if err := addAlerts(b, *blk.Alerts); err != nil {
			return err
		}
	}
	if blk.Checkpoint != nil {
		v, err := json.Marshal(*blk.Checkpoint)
		if err != nil {
			return err
		}
		if err := b.Set(checkpointKey(blk.Chain), v, nil); err != nil {
			return err
		}
	}
	opts := writeOpts(ctx)
	if blk.Alerts != nil {
		opts = pebble.Sync // alerts go out once written
	}
	if err := b.Commit(opts); err != nil {
		return fmt.Errorf("write %s block batch: %w", blk.Chain, err)
	}
	return nil
}
