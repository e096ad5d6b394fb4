package pebble

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chainhound/chainhound/chains"
)

var _ chains.CheckpointStore = (*Store)(nil)

func checkpointKey(chain chains.Chain) []byte {
	return append(append([]byte(nil), prefixCheckpoint...), chain...)
}

// Checkpoint returns the last acknowledged block of chain.
func (s *Store) Checkpoint(ctx context.Context, chain chains.Chain) (chains.BlockRef, bool, error) {
	v, ok, err := s.get(checkpointKey(chain))
	if err != nil || !ok {
		return chains.BlockRef{}, false, err
	}
	var ref chains.BlockRef
	if err := json.Unmarshal(v, &ref); err != nil {
		return chains.BlockRef{}, false, fmt.Errorf("decode %s checkpoint: %w", chain, err)
	}
	return ref, true, nil
}

// SaveCheckpoint durably records ref as chain's last acknowledged block;
// when ctx says chains.SyncDeferred, durably once a later synced write is.
func (s *Store) SaveCheckpoint(ctx context.Context, chain chains.Chain, ref chains.BlockRef) error {
	v, err := json.Marshal(ref)
	if err != nil {
		return err
	}
	if err := s.db.Set(checkpointKey(chain), v, writeOpts(ctx)); err != nil {
		return fmt.Errorf("save %s checkpoint %d: %w", chain, ref.Number, err)
	}
	return nil
}
