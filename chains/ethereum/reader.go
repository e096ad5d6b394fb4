package ethereum

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/chainhound/chainhound/chains"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// BlockByNumber fetches the canonical block n with its transfers
// (chains.BlockSource).
func (f *Follower) BlockByNumber(ctx context.Context, n uint64) (*chains.Block, error) {
	nd, err := f.node(ctx)
	if err != nil {
		return nil, err
	}
	b, err := nd.blockByNumber(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("ethereum: %w", err)
	}
	return b, nil
}

// HeadNumber returns the node's head (chains.BlockSource).
func (f *Follower) HeadNumber(ctx context.Context) (uint64, error) {
	nd, err := f.node(ctx)
	if err != nil {
		return 0, err
	}
	return nd.head(ctx)
}

// Check dials the node and checks it as Run does first: its chain id
// against the network, and its trace API when traces is on.
func (f *Follower) Check(ctx context.Context) error {
	_, err := f.node(ctx)
	return err
}

// ParseAddress checks a 0x-prefixed 20-byte hex address (any case) and
// returns it.
func ParseAddress(field, s string) (common.Address, error) {
	if !common.IsHexAddress(s) || !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return common.Address{}, fmt.Errorf("%s %q: not a 0x-prefixed 20-byte hex address", field, s)
	}
	return common.HexToAddress(s), nil
}

// BalanceAt reads address's balance of asset at block: eth_getBalance for
// ETH, balanceOf by eth_call for a token (chains.BalanceReader).
func (f *Follower) BalanceAt(ctx context.Context, address string, asset chains.Asset, block uint64) (*big.Int, error) {
	q, err := balanceCall(address, asset, block)
	if err != nil {
		return nil, fmt.Errorf("ethereum: %w", err)
	}
	nd, err := f.node(ctx)
	if err != nil {
		return nil, err
	}
	if err := nd.rpc.CallContext(ctx, q.Result, q.Method, q.Args...); err != nil {
		return nil, fmt.Errorf("ethereum: %s: %w", describeCall(address, asset, block), asStateUnavailable(err, block))
	}
	return balanceResult(q, address, asset, block)
}

// BalanceBatch bounds the calls of one JSON-RPC batch of BalancesAt, well
// under geth's default batch limit (1,000 requests).
const BalanceBatch = 100

// BalancesAt reads the balances qs name at block, BalanceBatch calls to a
// JSON-RPC batch (chains.BatchBalanceReader).
func (f *Follower) BalancesAt(ctx context.Context, qs []chains.BalanceQuery, block uint64) ([]*big.Int, error) {
	calls := make([]rpc.BatchElem, len(qs))
	for i, q := range qs {
		c, err := balanceCall(q.Address, q.Asset, block)
		if err != nil {
			return nil, fmt.Errorf("ethereum: %w", err)
		}
		calls[i] = c
	}
	nd, err := f.node(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*big.Int, len(qs))
	for lo := 0; lo < len(calls); lo += BalanceBatch {
		batch := calls[lo:min(lo+BalanceBatch, len(calls))]
		if err := nd.rpc.BatchCallContext(ctx, batch); err != nil {
			return nil, fmt.Errorf("ethereum: node %s: batch of %d balances at block %d, from %s: %w", f.cfg.RPC, len(batch), block, describeCall(qs[lo].Address, qs[lo].Asset, block), err)
		}
		for i := range batch {
			q := qs[lo+i]
			if batch[i].Error != nil {
				return nil, fmt.Errorf("ethereum: node %s: %s: %w", f.cfg.RPC, describeCall(q.Address, q.Asset, block), asStateUnavailable(batch[i].Error, block))
			}
			bal, err := balanceResult(batch[i], q.Address, q.Asset, block)
			if err != nil {
				return nil, fmt.Errorf("ethereum: node %s: %w", f.cfg.RPC, err)
			}
			out[lo+i] = bal
		}
	}
	return out, nil
}

// balanceCall is the JSON-RPC call that reads address's balance of asset
// at block.
func balanceCall(address string, asset chains.Asset, block uint64) (rpc.BatchElem, error) {
	a, err := ParseAddress("address", address)
	if err != nil {
		return rpc.BatchElem{}, err
	}
	at := hexutil.EncodeUint64(block)
	if asset.Contract == "" {
		return rpc.BatchElem{Method: "eth_getBalance", Args: []any{a, at}, Result: new(hexutil.Big)}, nil
	}
	c, err := ParseAddress("asset contract", asset.Contract)
	if err != nil {
		return rpc.BatchElem{}, err
	}
	data := append([]byte{0x70, 0xa0, 0x82, 0x31}, common.LeftPadBytes(a[:], 32)...) // balanceOf(address)
	call := map[string]any{"to": c, "data": hexutil.Bytes(data)}
	return rpc.BatchElem{Method: "eth_call", Args: []any{call, at}, Result: new(hexutil.Bytes)}, nil
}

// balanceResult decodes the answer to balanceCall.
func balanceResult(q rpc.BatchElem, address string, asset chains.Asset, block uint64) (*big.Int, error) {
	switch r := q.Result.(type) {
	case *hexutil.Big:
		return new(big.Int).Set(r.ToInt()), nil
	case *hexutil.Bytes:
		if len(*r) < 32 {
			return nil, fmt.Errorf("ethereum: %s returned %d bytes, want 32: not an ERC-20", describeCall(address, asset, block), len(*r))
		}
		return new(big.Int).SetBytes((*r)[:32]), nil
	}
	return nil, fmt.Errorf("ethereum: %s: unexpected result %T", describeCall(address, asset, block), q.Result)
}

// describeCall names a balance read for errors.
func describeCall(address string, asset chains.Asset, block uint64) string {
	if asset.Contract == "" {
		return fmt.Sprintf("balance of %s at block %d", address, block)
	}
	return fmt.Sprintf("balanceOf(%s) on %s at block %d", address, asset.Contract, block)
}

// TxBlock returns the canonical block that holds tx (chains.TxLocator).
func (f *Follower) TxBlock(ctx context.Context, tx string) (chains.BlockRef, error) {
	if len(tx) != 66 || !strings.HasPrefix(tx, "0x") {
		return chains.BlockRef{}, fmt.Errorf("ethereum: tx %q: want a 0x-prefixed 32-byte hash", tx)
	}
	hash := common.HexToHash(tx)
	if hash.Hex() != strings.ToLower(tx) {
		return chains.BlockRef{}, fmt.Errorf("ethereum: tx %q: not hex", tx)
	}
	nd, err := f.node(ctx)
	if err != nil {
		return chains.BlockRef{}, err
	}
	var raw json.RawMessage
	if err := nd.rpc.CallContext(ctx, &raw, "eth_getTransactionReceipt", hash); err != nil {
		return chains.BlockRef{}, fmt.Errorf("ethereum: receipt of %s: %w", tx, err)
	}
	if isNull(raw) {
		return chains.BlockRef{}, &chains.TxNotFoundError{Chain: chains.Ethereum, Tx: tx}
	}
	var r struct {
		BlockHash   *common.Hash    `json:"blockHash"`
		BlockNumber *hexutil.Uint64 `json:"blockNumber"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.BlockHash == nil || r.BlockNumber == nil {
		return chains.BlockRef{}, fmt.Errorf("ethereum: receipt of %s: no block: %w", tx, ErrBadResponse)
	}
	var hraw json.RawMessage
	if err := nd.rpc.CallContext(ctx, &hraw, "eth_getBlockByHash", *r.BlockHash, false); err != nil {
		return chains.BlockRef{}, fmt.Errorf("ethereum: block %s of tx %s: %w", r.BlockHash.Hex(), tx, err)
	}
	ref, err := parseRef(hraw, "block "+r.BlockHash.Hex())
	if err != nil {
		return chains.BlockRef{}, fmt.Errorf("ethereum: tx %s: %w", tx, err)
	}
	var ts struct {
		Timestamp hexutil.Uint64 `json:"timestamp"`
	}
	_ = json.Unmarshal(hraw, &ts)
	ref.Time = timeOf(uint64(ts.Timestamp))
	canon, err := nd.header(ctx, ref.Number)
	if err != nil {
		return chains.BlockRef{}, fmt.Errorf("ethereum: tx %s: %w", tx, err)
	}
	if canon.Hash != ref.Hash {
		return chains.BlockRef{}, fmt.Errorf("ethereum: tx %s is in block %d %s, which is no longer canonical (%s is); retry", tx, ref.Number, ref.Hash, canon.Hash)
	}
	return ref, nil
}
