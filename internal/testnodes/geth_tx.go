package testnodes

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
)

// NewAccount returns a fresh key funded with fund wei from g.Key; the
// funding transaction is mined before it returns.
func (g *Geth) NewAccount(tb testing.TB, fund *big.Int) *ecdsa.PrivateKey {
	tb.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		tb.Fatalf("testnodes: generate key: %v", err)
	}
	if fund != nil && fund.Sign() > 0 {
		g.SendETH(tb, g.Key, AddressOf(key), fund)
	}
	return key
}

// SendETH sends wei from from to to in a signed EIP-1559 transaction and
// waits for its receipt; the test fails unless it succeeded.
func (g *Geth) SendETH(tb testing.TB, from *ecdsa.PrivateKey, to common.Address, wei *big.Int) *types.Receipt {
	tb.Helper()
	r := g.Transact(tb, from, &to, wei, nil, 0)
	mustSucceed(tb, r, "send %s wei to %s", wei, to)
	return r
}

// Transact signs and sends any call or deployment (to nil = create) and
// waits for its receipt, whatever its status. gas 0 estimates the limit;
// for a call expected to revert pass a limit, so that it is mined and fails.
func (g *Geth) Transact(tb testing.TB, from *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte, gas uint64) *types.Receipt {
	tb.Helper()
	tx := g.SendTx(tb, from, to, value, data, gas)
	return g.WaitMined(tb, tx.Hash())
}

// SendTx signs and submits a transaction like Transact but does not wait
// for it to be mined, so a test can put several into one block (with
// WithPeriod) or watch the pending pool.
func (g *Geth) SendTx(tb testing.TB, from *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte, gas uint64) *types.Transaction {
	tb.Helper()
	return g.sendTx(tb, from, to, value, data, gas, nil)
}

// TransactAtGasPrice is Transact with a legacy transaction paying exactly
// gasPrice per gas (its effective gas price), as the Tornado Cash linking
// heuristics of gas prices need.
func (g *Geth) TransactAtGasPrice(tb testing.TB, from *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte, gasPrice *big.Int) *types.Receipt {
	tb.Helper()
	tx := g.sendTx(tb, from, to, value, data, 0, gasPrice)
	return g.WaitMined(tb, tx.Hash())
}

func (g *Geth) sendTx(tb testing.TB, from *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte, gas uint64, gasPrice *big.Int) *types.Transaction {
	tb.Helper()
	if value == nil {
		value = new(big.Int)
	}
	ctx, cancel := g.ctx(tb)
	defer cancel()
	sender := AddressOf(from)
	if gas == 0 {
		est, err := g.Client.EstimateGas(ctx, ethereum.CallMsg{From: sender, To: to, Value: value, Data: data})
		if err != nil {
			tb.Fatalf("testnodes: estimate gas for tx from %s to %v: %v (pass a gas limit for a call expected to revert)", sender, to, err)
		}
		gas = est + est/5 // headroom: estimates are exact for this state only
	}
	tip, err := g.Client.SuggestGasTipCap(ctx)
	if err != nil {
		tb.Fatalf("testnodes: eth_maxPriorityFeePerGas: %v", err)
	}
	head, err := g.Client.HeaderByNumber(ctx, nil)
	if err != nil {
		tb.Fatalf("testnodes: head header: %v", err)
	}
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)

	g.sendMu.Lock()
	defer g.sendMu.Unlock()
	// geth resets its transaction pool to a new head asynchronously: right
	// after a receipt, the pool may still see the sender's old balance or
	// nonce. Those two refusals are retried for a while with a fresh nonce.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		nonce, err := g.Client.PendingNonceAt(ctx, sender)
		if err != nil {
			tb.Fatalf("testnodes: pending nonce of %s: %v", sender, err)
		}
		var txd types.TxData = &types.DynamicFeeTx{
			ChainID:   g.ChainID,
			Nonce:     nonce,
			GasTipCap: tip,
			GasFeeCap: feeCap,
			Gas:       gas,
			To:        to,
			Value:     value,
			Data:      data,
		}
		if gasPrice != nil {
			txd = &types.LegacyTx{Nonce: nonce, GasPrice: gasPrice, Gas: gas, To: to, Value: value, Data: data}
		}
		tx, err := types.SignNewTx(from, types.LatestSignerForChainID(g.ChainID), txd)
		if err != nil {
			tb.Fatalf("testnodes: sign tx from %s: %v", sender, err)
		}
		err = g.Client.SendTransaction(ctx, tx)
		if err == nil {
			return tx
		}
		lagging := strings.Contains(err.Error(), "insufficient funds") || strings.Contains(err.Error(), "nonce too low")
		if !lagging || time.Now().After(deadline) {
			tb.Fatalf("testnodes: send tx %s from %s nonce %d: %v", tx.Hash(), sender, nonce, err)
		}
	}
}

// WaitMined polls for the receipt of hash until it is mined (60s at most).
func (g *Geth) WaitMined(tb testing.TB, hash common.Hash) *types.Receipt {
	tb.Helper()
	ctx, cancel := g.ctx(tb)
	defer cancel()
	for {
		r, err := g.Client.TransactionReceipt(ctx, hash)
		if err == nil {
			return r
		}
		// Right after start geth answers "transaction indexing is in
		// progress" until its indexer catches up: as good as not found.
		if !errors.Is(err, ethereum.NotFound) && !strings.Contains(err.Error(), "indexing is in progress") {
			tb.Fatalf("testnodes: receipt of %s: %v", hash, err)
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("testnodes: tx %s not mined: %v", hash, context.Cause(ctx))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// MineBlocks advances the chain by n blocks with zero-value transactions
// from g.Key to itself (each mined in its own block when the period is 0),
// for tests that need confirmations.
func (g *Geth) MineBlocks(tb testing.TB, n int) {
	tb.Helper()
	self := AddressOf(g.Key)
	for i := 0; i < n; i++ {
		start := g.BlockNumber(tb)
		g.SendETH(tb, g.Key, self, new(big.Int))
		WaitFor(tb, 60*time.Second, "a new geth block", func() bool { return g.BlockNumber(tb) > start })
	}
}

func mustSucceed(tb testing.TB, r *types.Receipt, format string, args ...any) {
	tb.Helper()
	if r.Status != types.ReceiptStatusSuccessful {
		args = append(args, r.TxHash, r.BlockNumber, r.GasUsed)
		tb.Fatalf("testnodes: "+format+": tx %s reverted in block %v (gas used %d)", args...)
	}
}

// FillBlocks advances the chain by at least n blocks, one zero-value
// transfer from g.Key to itself in each (geth may seal an empty block
// between two), and returns how long that took. It needs
// WithOneTransferPerBlock: the transfers are signed ahead (consecutive
// nonces, 21,000 gas), sent in batches that keep at most 32 of them in
// the pool, and geth seals a block for each.
func (g *Geth) FillBlocks(tb testing.TB, n int) time.Duration {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 10*time.Minute)
	defer cancel()
	g.sendMu.Lock()
	defer g.sendMu.Unlock()
	began := time.Now()
	head, err := g.Client.HeaderByNumber(ctx, nil)
	if err != nil {
		tb.Fatalf("testnodes: head header: %v", err)
	}
	if head.GasLimit >= 2*21_000 {
		tb.Fatalf("testnodes: FillBlocks needs geth started WithOneTransferPerBlock (block gas limit %d)", head.GasLimit)
	}
	self := AddressOf(g.Key)
	first, err := g.Client.PendingNonceAt(ctx, self)
	if err != nil {
		tb.Fatalf("testnodes: pending nonce of %s: %v", self, err)
	}
	tip, err := g.Client.SuggestGasTipCap(ctx)
	if err != nil {
		tb.Fatalf("testnodes: eth_maxPriorityFeePerGas: %v", err)
	}
	// The base fee grows by at most 1/168,000 a block under the cap: 4×
	// today's covers any run a test makes.
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(4)), tip)
	signer := types.LatestSignerForChainID(g.ChainID)
	mined := func() uint64 {
		m, err := g.Client.NonceAt(ctx, self, nil)
		if err != nil {
			tb.Fatalf("testnodes: nonce of %s: %v", self, err)
		}
		return m
	}
	const ahead, batch = 32, 32
	last := first + uint64(n)
	for nonce := first; nonce < last; {
		if nonce-mined() >= ahead {
			time.Sleep(2 * time.Millisecond)
			continue
		}
		elems := make([]rpc.BatchElem, 0, batch)
		for ; nonce < last && len(elems) < batch; nonce++ {
			tx, err := types.SignNewTx(g.Key, signer, &types.DynamicFeeTx{
				ChainID: g.ChainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: 21_000, To: &self, Value: new(big.Int),
			})
			if err != nil {
				tb.Fatalf("testnodes: sign filler tx nonce %d: %v", nonce, err)
			}
			raw, err := tx.MarshalBinary()
			if err != nil {
				tb.Fatalf("testnodes: encode filler tx: %v", err)
			}
			elems = append(elems, rpc.BatchElem{Method: "eth_sendRawTransaction", Args: []any{hexutil.Bytes(raw)}, Result: new(common.Hash)})
		}
		if err := g.RPC.BatchCallContext(ctx, elems); err != nil {
			tb.Fatalf("testnodes: send %d filler txs: %v", len(elems), err)
		}
		for _, e := range elems {
			if e.Error != nil {
				tb.Fatalf("testnodes: send filler tx: %v", e.Error)
			}
		}
	}
	for mined() < last {
		select {
		case <-ctx.Done():
			tb.Fatalf("testnodes: FillBlocks: %d of %d transfers mined: %v", mined()-first, n, context.Cause(ctx))
		case <-time.After(2 * time.Millisecond):
		}
	}
	return time.Since(began)
}
