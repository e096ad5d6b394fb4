package ethereum

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"

	"github.com/chainhound/chainhound/chains"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// errNotFound: the node does not (yet) have the block asked for. A node
// that reports a head it cannot serve is lagging; the caller waits.
var errNotFound = errors.New("block not found on node")

// node wraps the JSON-RPC calls the follower makes. It is safe for
// concurrent use.
type node struct {
	rpc    *rpc.Client
	dec    decoder
	traces atomic.Bool // fetch callTracer traces with each block
	// noBlockReceipts is set once eth_getBlockReceipts is found missing.
	noBlockReceipts atomic.Bool
}

// traceConfig asks the callTracer for logs too, so internal transfers and
// token logs interleave in execution order.
var traceConfig = map[string]any{"tracer": "callTracer", "tracerConfig": map[string]any{"withLog": true}}

func isMethodMissing(err error) bool {
	var re rpc.Error
	if errors.As(err, &re) && re.ErrorCode() == -32601 {
		return true
	}
	return false
}

func (n *node) chainID(ctx context.Context) (*big.Int, error) {
	var id hexutil.Big
	if err := n.rpc.CallContext(ctx, &id, "eth_chainId"); err != nil {
		return nil, fmt.Errorf("eth_chainId: %w", err)
	}
	return id.ToInt(), nil
}

func (n *node) head(ctx context.Context) (uint64, error) {
	var h hexutil.Uint64
	if err := n.rpc.CallContext(ctx, &h, "eth_blockNumber"); err != nil {
		return 0, fmt.Errorf("eth_blockNumber: %w", err)
	}
	return uint64(h), nil
}

// probeTraces reports whether debug_traceBlockByNumber with the
// callTracer answers on this node.
func (n *node) probeTraces(ctx context.Context) (bool, error) {
	var res json.RawMessage
	err := n.rpc.CallContext(ctx, &res, "debug_traceBlockByNumber", "latest", traceConfig)
	if err == nil {
		return true, nil
	}
	var re rpc.Error
	if errors.As(err, &re) {
		return false, nil // the node answered: no debug API (or no tracer)
	}
	return false, fmt.Errorf("probe debug_traceBlockByNumber: %w", err)
}

// header returns the ref of the canonical block at number.
func (n *node) header(ctx context.Context, number uint64) (chains.BlockRef, error) {
	var raw json.RawMessage
	if err := n.rpc.CallContext(ctx, &raw, "eth_getBlockByNumber", hexutil.EncodeUint64(number), false); err != nil {
		return chains.BlockRef{}, fmt.Errorf("get header %d: %w", number, err)
	}
	return parseRef(raw, fmt.Sprintf("header %d", number))
}

// headerByHash returns the ref of the block with hash (canonical or not).
func (n *node) headerByHash(ctx context.Context, hash string) (chains.BlockRef, error) {
	var raw json.RawMessage
	if err := n.rpc.CallContext(ctx, &raw, "eth_getBlockByHash", hash, false); err != nil {
		return chains.BlockRef{}, fmt.Errorf("get header %s: %w", hash, err)
	}
	return parseRef(raw, "block "+hash)
}

func parseRef(raw json.RawMessage, what string) (chains.BlockRef, error) {
	if isNull(raw) {
		return chains.BlockRef{}, fmt.Errorf("%s: %w", what, errNotFound)
	}
	var b struct {
		Number     *hexutil.Uint64 `json:"number"`
		Hash       *common.Hash    `json:"hash"`
		ParentHash common.Hash     `json:"parentHash"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return chains.BlockRef{}, fmt.Errorf("%s: %v: %w", what, err, ErrBadResponse)
	}
	if b.Number == nil || b.Hash == nil {
		return chains.BlockRef{}, fmt.Errorf("%s: no number or hash: %w", what, ErrBadResponse)
	}
	return chains.BlockRef{Number: uint64(*b.Number), Hash: b.Hash.Hex(), Parent: b.ParentHash.Hex()}, nil
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// blockByNumber fetches the canonical block at number with its receipts
// (and traces), checking that all of them belong to the same block.
func (n *node) blockByNumber(ctx context.Context, number uint64) (*chains.Block, error) {
	return n.fetch(ctx, "eth_getBlockByNumber", hexutil.EncodeUint64(number), true, fmt.Sprintf("block %d", number))
}

// blockByHash fetches a block by hash, canonical or not (to disconnect an
// orphaned block the follower no longer holds).
func (n *node) blockByHash(ctx context.Context, hash string) (*chains.Block, error) {
	return n.fetch(ctx, "eth_getBlockByHash", hash, false, "block "+hash)
}

func (n *node) fetch(ctx context.Context, method string, sel any, canonical bool, what string) (*chains.Block, error) {
	var raw json.RawMessage
	if err := n.rpc.CallContext(ctx, &raw, method, sel, true); err != nil {
		return nil, fmt.Errorf("get %s: %w", what, err)
	}
	if isNull(raw) {
		return nil, fmt.Errorf("get %s: %w", what, errNotFound)
	}
	var b rpcBlock
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("decode %s: %v: %w", what, err, ErrBadResponse)
	}
	if b.Hash == nil || b.Number == nil {
		return nil, fmt.Errorf("decode %s: no number or hash: %w", what, ErrBadResponse)
	}
	if len(b.Transactions) == 0 {
		return n.dec.block(&b, nil, nil)
	}
	what = fmt.Sprintf("block %d %s", uint64(*b.Number), b.Hash.Hex())
	var (
		receipts []rpcReceipt
		traces   []rpcTxTrace
		batch    []rpc.BatchElem
	)
	// Read once: another worker may switch to per-transaction receipts
	// meanwhile, and batch[0] must stay what this fetch asked for.
	blockReceipts := !n.noBlockReceipts.Load()
	if blockReceipts {
		batch = append(batch, rpc.BatchElem{Method: "eth_getBlockReceipts", Args: []any{rpc.BlockNumberOrHashWithHash(*b.Hash, canonical)}, Result: &receipts})
	}
	withTraces := n.traces.Load()
	if withTraces {
		batch = append(batch, rpc.BatchElem{Method: "debug_traceBlockByHash", Args: []any{*b.Hash, traceConfig}, Result: &traces})
	}
	if len(batch) > 0 {
		if err := n.rpc.BatchCallContext(ctx, batch); err != nil {
			return nil, fmt.Errorf("get receipts of %s: %w", what, err)
		}
	}
	if blockReceipts {
		if err := batch[0].Error; err != nil {
			if !isMethodMissing(err) {
				return nil, fmt.Errorf("eth_getBlockReceipts %s: %w", what, err)
			}
			n.noBlockReceipts.Store(true)
			blockReceipts = false
		}
		batch = batch[1:]
	}
	if !blockReceipts {
		var err error
		if receipts, err = n.txReceipts(ctx, &b, what); err != nil {
			return nil, err
		}
	}
	if withTraces {
		if err := batch[0].Error; err != nil {
			return nil, fmt.Errorf("debug_traceBlockByHash %s: %w", what, asStateUnavailable(err, uint64(*b.Number)))
		}
		if traces == nil {
			return nil, fmt.Errorf("debug_traceBlockByHash %s: null: %w", what, ErrBadResponse)
		}
	}
	if receipts == nil {
		// null: the block is no longer canonical (or unknown).
		return nil, fmt.Errorf("receipts of %s: %w", what, errStale)
	}
	return n.dec.block(&b, receipts, traces)
}

// txReceipts fetches one receipt per transaction in one batch, for nodes
// without eth_getBlockReceipts.
func (n *node) txReceipts(ctx context.Context, b *rpcBlock, what string) ([]rpcReceipt, error) {
	receipts := make([]rpcReceipt, len(b.Transactions))
	present := make([]json.RawMessage, len(b.Transactions))
	batch := make([]rpc.BatchElem, len(b.Transactions))
	for i := range b.Transactions {
		batch[i] = rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{b.Transactions[i].Hash}, Result: &present[i]}
	}
	if err := n.rpc.BatchCallContext(ctx, batch); err != nil {
		return nil, fmt.Errorf("get receipts of %s: %w", what, err)
	}
	for i := range batch {
		if batch[i].Error != nil {
			return nil, fmt.Errorf("receipt of tx %s in %s: %w", b.Transactions[i].Hash.Hex(), what, batch[i].Error)
		}
		if isNull(present[i]) {
			return nil, fmt.Errorf("receipt of tx %s in %s: not found: %w", b.Transactions[i].Hash.Hex(), what, errStale)
		}
		if err := json.Unmarshal(present[i], &receipts[i]); err != nil {
			return nil, fmt.Errorf("receipt of tx %s in %s: %v: %w", b.Transactions[i].Hash.Hex(), what, err, ErrBadResponse)
		}
	}
	return receipts, nil
}
