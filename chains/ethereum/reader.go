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
	a, err := ParseAddress("address", address)
	if err != nil {
		return nil, fmt.Errorf("ethereum: %w", err)
	}
	nd, err := f.node(ctx)
	if err != nil {
		return nil, err
	}
	at := hexutil.EncodeUint64(block)
	if asset.Contract == "" {
		var bal hexutil.Big
		if err := nd.rpc.CallContext(ctx, &bal, "eth_getBalance", a, at); err != nil {
			return nil, fmt.Errorf("ethereum: balance of %s at block %d: %w", address, block, asStateUnavailable(err, block))
		}
		return bal.ToInt(), nil
	}
	c, err := ParseAddress("asset contract", asset.Contract)
	if err != nil {
		return nil, fmt.Errorf("ethereum: %w", err)
	}
	data := append([]byte{0x70, 0xa0, 0x82, 0x31}, common.LeftPadBytes(a[:], 32)...) // balanceOf(address)
	var out hexutil.Bytes
	call := map[string]any{"to": c, "data": hexutil.Bytes(data)}
	if err := nd.rpc.CallContext(ctx, &out, "eth_call", call, at); err != nil {
		return nil, fmt.Errorf("ethereum: balanceOf(%s) on %s at block %d: %w", address, asset.Contract, block, asStateUnavailable(err, block))
	}
	if len(out) < 32 {
		return nil, fmt.Errorf("ethereum: balanceOf(%s) on %s at block %d returned %d bytes, want 32: not an ERC-20", address, asset.Contract, block, len(out))
	}
	return new(big.Int).SetBytes(out[:32]), nil
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
