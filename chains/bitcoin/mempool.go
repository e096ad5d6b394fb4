package bitcoin

import (
	"context"
	"fmt"

	"github.com/chainhound/chainhound/chains"
)

// maxPendingPerPoll bounds the transactions fetched per mempool poll, so a
// large mempool at start does not hold back blocks; the rest follow on the
// next polls.
const maxPendingPerPoll = 5000

// pollMempool emits Pending once for each transaction that entered the
// node's mempool since the last poll. A transaction that left it (mined,
// which Connected reports, or evicted) is forgotten.
func (f *Follower) pollMempool(ctx context.Context, h chains.Handler) error {
	var ids []string
	if err := f.node.callInto(ctx, &ids, "getrawmempool"); err != nil {
		return err
	}
	now := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		now[id] = struct{}{}
	}
	for id := range f.pending {
		if _, ok := now[id]; !ok {
			delete(f.pending, id)
		}
	}
	var fresh []string
	for _, id := range ids {
		if _, seen := f.pending[id]; !seen && len(fresh) < maxPendingPerPoll {
			fresh = append(fresh, id)
		}
	}
	for start := 0; start < len(fresh); start += maxBatch {
		batch := fresh[start:min(start+maxBatch, len(fresh))]
		raws, errs, err := f.node.rawTxs(ctx, batch)
		if err != nil {
			return err
		}
		for i, id := range batch {
			if errs[i] != nil {
				continue // left the mempool since getrawmempool: mined or evicted
			}
			tx, err := DecodeTx(raws[i], f.params)
			if err != nil {
				return fmt.Errorf("getrawtransaction %s: %w: %v", id, errBadAnswer, err)
			}
			if tx.Hash != id {
				return fmt.Errorf("getrawtransaction %s: %w: got transaction %s", id, errBadAnswer, tx.Hash)
			}
			if err := f.emit(ctx, h, chains.Event{Type: chains.Pending, Tx: tx}); err != nil {
				return err
			}
			f.pending[id] = struct{}{}
		}
	}
	return nil
}
