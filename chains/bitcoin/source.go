package bitcoin

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/chainhound/chainhound/chains"
)

// BlockByNumber fetches and decodes the node's canonical block at height n.
func (f *Follower) BlockByNumber(ctx context.Context, n uint64) (*chains.Block, error) {
	b, err := f.fetchBlock(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("bitcoin: block %d: %w", n, err)
	}
	return b, nil
}

// HeadNumber is the node's best block height.
func (f *Follower) HeadNumber(ctx context.Context) (uint64, error) {
	var n int64
	if err := f.node.callInto(ctx, &n, "getblockcount"); err != nil {
		return 0, fmt.Errorf("bitcoin: head: %w", err)
	}
	if n < 0 {
		return 0, fmt.Errorf("bitcoin: getblockcount: %w: %d", errBadAnswer, n)
	}
	return uint64(n), nil
}

// Prevouts resolves the value and address of each outpoint, in order,
// from the node's transaction index (getrawtransaction, the transactions
// not in the cache fetched in one JSON-RPC batch) through a bounded cache
// of recently resolved transactions.
func (f *Follower) Prevouts(ctx context.Context, ops []chains.Outpoint) ([]chains.Output, error) {
	byTx := make(map[string][]chains.Output, len(ops))
	var missing []string
	for _, op := range ops {
		if _, done := byTx[op.Tx]; done {
			continue
		}
		if outs, ok := f.txs.get(op.Tx); ok {
			byTx[op.Tx] = outs
			continue
		}
		if _, err := chainhash.NewHashFromStr(op.Tx); err != nil || len(op.Tx) != 64 {
			return nil, fmt.Errorf("bitcoin: transaction id %q: want 64 hex digits", op.Tx)
		}
		byTx[op.Tx] = nil
		missing = append(missing, op.Tx)
	}
	if len(missing) > 0 {
		raws, errs, err := f.node.rawTxs(ctx, missing)
		if err != nil {
			return nil, fmt.Errorf("bitcoin: resolve %d transactions: %w", len(missing), err)
		}
		for i, txid := range missing {
			if errs[i] != nil {
				return nil, fmt.Errorf("bitcoin: transaction %s not found (%v); if it exists, %s", txid, errs[i], txIndexHelp)
			}
			tx, err := DecodeTx(raws[i], f.params)
			if err != nil {
				return nil, fmt.Errorf("bitcoin: getrawtransaction %s: %w", txid, err)
			}
			if tx.Hash != txid {
				return nil, fmt.Errorf("bitcoin: getrawtransaction %s: node returned transaction %s", txid, tx.Hash)
			}
			// tx.Hash, not txid: txid may be a substring of a block's
			// string of spent txids, which the cache must not keep alive.
			f.txs.put(tx.Hash, tx.Outputs)
			byTx[txid] = tx.Outputs
		}
	}
	out := make([]chains.Output, len(ops))
	for i, op := range ops {
		outs := byTx[op.Tx]
		if int(op.Index) >= len(outs) {
			return nil, fmt.Errorf("bitcoin: outpoint %s: transaction has only %d outputs", op, len(outs))
		}
		out[i] = outs[op.Index]
	}
	return out, nil
}

// TxBlock finds the main-chain block that holds transaction tx.
func (f *Follower) TxBlock(ctx context.Context, tx string) (chains.BlockRef, error) {
	var v struct {
		BlockHash string `json:"blockhash"`
	}
	res, err := f.node.call(ctx, "getrawtransaction", tx, 1)
	if err != nil {
		if _, answered := rpcCode(err); answered {
			return chains.BlockRef{}, &chains.TxNotFoundError{Chain: chains.Bitcoin, Tx: tx, Hint: fmt.Sprintf("the node said %v; if it exists, %s", err, txIndexHelp)}
		}
		return chains.BlockRef{}, fmt.Errorf("bitcoin: transaction %s: %w", tx, err)
	}
	if err := json.Unmarshal(res, &v); err != nil {
		return chains.BlockRef{}, fmt.Errorf("bitcoin: getrawtransaction %s: %w: %v", tx, errBadAnswer, err)
	}
	if v.BlockHash == "" {
		return chains.BlockRef{}, fmt.Errorf("bitcoin: transaction %s is not in a block yet (mempool)", tx)
	}
	hash, err := chainhash.NewHashFromStr(v.BlockHash)
	if err != nil {
		return chains.BlockRef{}, fmt.Errorf("bitcoin: getrawtransaction %s: %w: block hash %q", tx, errBadAnswer, v.BlockHash)
	}
	hd, err := f.node.header(ctx, *hash)
	if err != nil {
		return chains.BlockRef{}, fmt.Errorf("bitcoin: block of transaction %s: %w", tx, err)
	}
	if hd.Confirmations < 0 {
		return chains.BlockRef{}, fmt.Errorf("bitcoin: transaction %s is only in orphaned block %s", tx, hd.Hash)
	}
	return hd.ref(), nil
}

// txCache is a bounded LRU of transaction outputs by txid.
type txCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *cacheEntry, most recent first
	byID  map[string]*list.Element
}

type cacheEntry struct {
	txid string
	outs []chains.Output
}

func newTxCache(max int) *txCache {
	return &txCache{max: max, order: list.New(), byID: map[string]*list.Element{}}
}

func (c *txCache) get(txid string) ([]chains.Output, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[txid]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).outs, true
}

func (c *txCache) put(txid string, outs []chains.Output) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[txid]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.byID[txid] = c.order.PushFront(&cacheEntry{txid, outs})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byID, last.Value.(*cacheEntry).txid)
	}
}

func (c *txCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
