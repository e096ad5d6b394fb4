package pebble

import (
	"context"
	"fmt"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/cockroachdb/pebble"
)

var _ tracer.Store = (*Store)(nil)

func tracerKey(k []byte) []byte {
	return append(append(make([]byte, 0, len(prefixTracer)+len(k)), prefixTracer...), k...)
}

// SaveTracer writes the tracer's puts and deletes in one atomic, synced
// batch (one per block); not synced when ctx says chains.SyncDeferred.
func (s *Store) SaveTracer(ctx context.Context, puts []tracer.KV, deletes [][]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	if err := addTracer(b, puts, deletes); err != nil {
		return err
	}
	if err := b.Commit(writeOpts(ctx)); err != nil {
		return fmt.Errorf("commit tracer batch (%d puts, %d deletes): %w", len(puts), len(deletes), err)
	}
	return nil
}

// writeOpts is pebble.Sync unless ctx defers the sync to a later write
// (chains.DeferSync): pebble's single write-ahead log keeps the order.
func writeOpts(ctx context.Context) *pebble.WriteOptions {
	if chains.SyncDeferred(ctx) {
		return pebble.NoSync
	}
	return pebble.Sync
}

// addTracer adds the tracer's deletes, then its puts, to b.
func addTracer(b *pebble.Batch, puts []tracer.KV, deletes [][]byte) error {
	for _, k := range deletes {
		if err := b.Delete(tracerKey(k), nil); err != nil {
			return fmt.Errorf("tracer batch delete %q: %w", k, err)
		}
	}
	for _, kv := range puts {
		if err := b.Set(tracerKey(kv.Key), kv.Value, nil); err != nil {
			return fmt.Errorf("tracer batch set %q: %w", kv.Key, err)
		}
	}
	return nil
}

// ScanTracer calls fn for every tracer key (without the store's prefix) in
// key order.
func (s *Store) ScanTracer(ctx context.Context, fn func(key, val []byte) error) error {
	return s.scan(ctx, prefixTracer, func(key, val []byte) error {
		return fn(key[len(prefixTracer):], val)
	})
}

var _ tracer.IndexStore = (*Store)(nil)

// GetTracer returns the tracer value at key; nil when absent.
func (s *Store) GetTracer(ctx context.Context, key []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, ok, err := s.get(tracerKey(key))
	if err != nil {
		return nil, fmt.Errorf("read tracer key %q: %w", key, err)
	}
	if ok && v == nil {
		v = []byte{}
	}
	return v, nil
}

// ScanTracerRange calls fn for every tracer key in [lo, hi) (hi nil: to
// the end of the tracer's keys), in key order.
func (s *Store) ScanTracerRange(ctx context.Context, lo, hi []byte, fn func(key, val []byte) error) error {
	upper := prefixEnd(prefixTracer)
	if hi != nil {
		upper = tracerKey(hi)
	}
	return s.scanRange(ctx, tracerKey(lo), upper, func(key, val []byte) error {
		return fn(key[len(prefixTracer):], val)
	})
}
