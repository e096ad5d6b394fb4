package ethereum

import (
	"context"
	"fmt"
	"math/big"

	"github.com/chainhound/chainhound/chains"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// Logs returns the logs address emitted with topic0 topic in blocks
// from..to of the canonical chain (eth_getLogs, which a full node serves
// for its whole history), in chain order.
func (f *Follower) Logs(ctx context.Context, address string, topic [32]byte, from, to uint64) ([]chains.TxLog, error) {
	a, err := ParseAddress("address", address)
	if err != nil {
		return nil, fmt.Errorf("ethereum: %w", err)
	}
	nd, err := f.node(ctx)
	if err != nil {
		return nil, err
	}
	q := map[string]any{
		"address":   a,
		"topics":    []common.Hash{topic},
		"fromBlock": hexutil.EncodeUint64(from),
		"toBlock":   hexutil.EncodeUint64(to),
	}
	var raw []struct {
		rpcLog
		BlockNumber *hexutil.Uint64 `json:"blockNumber"`
		TxHash      *common.Hash    `json:"transactionHash"`
	}
	if err := nd.rpc.CallContext(ctx, &raw, "eth_getLogs", q); err != nil {
		return nil, fmt.Errorf("ethereum: logs of %s in blocks %d..%d: %w", address, from, to, err)
	}
	out := make([]chains.TxLog, 0, len(raw))
	for i := range raw {
		l := &raw[i]
		if l.Removed {
			continue
		}
		if l.BlockNumber == nil || l.TxHash == nil {
			return nil, fmt.Errorf("ethereum: logs of %s in blocks %d..%d: a log without block or transaction: %w", address, from, to, ErrBadResponse)
		}
		out = append(out, chains.TxLog{Block: uint64(*l.BlockNumber), Tx: l.TxHash.Hex(), Log: chainLog(&l.rpcLog)})
	}
	return out, nil
}

// TxSender returns a mined transaction's sender and the gas price it paid
// (eth_getTransactionByHash; a mined EIP-1559 transaction's gasPrice is
// its effective price, as the follower reads it from the receipt).
func (f *Follower) TxSender(ctx context.Context, tx string) (string, *big.Int, error) {
	nd, err := f.node(ctx)
	if err != nil {
		return "", nil, err
	}
	var t *rpcTx
	if err := nd.rpc.CallContext(ctx, &t, "eth_getTransactionByHash", common.HexToHash(tx)); err != nil {
		return "", nil, fmt.Errorf("ethereum: transaction %s: %w", tx, err)
	}
	if t == nil {
		return "", nil, fmt.Errorf("ethereum: transaction %s not found", tx)
	}
	if t.GasPrice == nil {
		return "", nil, fmt.Errorf("ethereum: transaction %s without gasPrice: %w", tx, ErrBadResponse)
	}
	return addr(t.From), (*big.Int)(t.GasPrice), nil
}
