package chainstest

import (
	"context"
	"sync"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// SyncLog is a checkpoint store that records, by block number, whether
// each checkpoint was saved with chains.DeferSync (decision 0019).
type SyncLog struct {
	chains.CheckpointStore
	mu       sync.Mutex
	deferred map[uint64]bool
}

// NewSyncLog records the checkpoints saved to cp.
func NewSyncLog(cp chains.CheckpointStore) *SyncLog {
	return &SyncLog{CheckpointStore: cp, deferred: map[uint64]bool{}}
}

// SaveCheckpoint records whether ctx defers the sync and saves ref.
func (s *SyncLog) SaveCheckpoint(ctx context.Context, c chains.Chain, ref chains.BlockRef) error {
	s.mu.Lock()
	s.deferred[ref.Number] = chains.SyncDeferred(ctx)
	s.mu.Unlock()
	return s.CheckpointStore.SaveCheckpoint(ctx, c, ref)
}

// CheckBackfill checks a catch-up from block first to the node's head,
// then one block connected live: every block from first to head+1 has a
// checkpoint deferred as its handler was (handled, by block number), the
// first block, the head and the live block are synced, and at least half
// of head blocks deferred their sync.
func (s *SyncLog) CheckBackfill(t testing.TB, handled map[uint64]bool, first, head uint64) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	deferred := 0
	for n := first; n <= head+1; n++ {
		d, ok := s.deferred[n]
		if !ok {
			t.Fatalf("no checkpoint of block %d", n)
		}
		if handled[n] != d {
			t.Fatalf("block %d: handler deferred %v, checkpoint deferred %v", n, handled[n], d)
		}
		if d {
			deferred++
		}
	}
	if s.deferred[first] || s.deferred[head] || s.deferred[head+1] {
		t.Fatalf("deferred: first block %v, head %v, live block %v; want all synced", s.deferred[first], s.deferred[head], s.deferred[head+1])
	}
	if deferred < int(head/2) {
		t.Fatalf("%d of %d backfilled blocks deferred their sync; want most", deferred, head)
	}
}
