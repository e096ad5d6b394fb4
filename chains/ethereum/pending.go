package ethereum

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sync/atomic"

	"github.com/chainhound/chainhound/chains"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/event"
)

var (
	selTransfer     = []byte{0xa9, 0x05, 0x9c, 0xbb} // transfer(address,uint256)
	selTransferFrom = []byte{0x23, 0xb8, 0x72, 0xdd} // transferFrom(address,address,uint256)
)

// watchPending subscribes to full pending transactions and forwards each
// raw notification to out (dropping, with a count, when Run is busy).
func (f *Follower) watchPending(ctx context.Context, n *node, out chan<- json.RawMessage) {
	in := make(chan json.RawMessage, 256)
	var dropped atomic.Uint64
	sub := event.ResubscribeErr(resubscribeMax, func(sctx context.Context, lastErr error) (event.Subscription, error) {
		if lastErr != nil {
			f.log.Warn("pending transaction subscription dropped; resubscribing", "err", lastErr)
		}
		s, err := n.rpc.EthSubscribe(sctx, in, "newPendingTransactions", true)
		if err != nil {
			return nil, err
		}
		f.log.Info("subscribed to pending transactions")
		return s, nil
	})
	defer sub.Unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return
		case raw := <-in:
			select {
			case out <- raw:
			default:
				if dropped.Add(1)%1000 == 1 {
					f.log.Warn("pending transactions dropped: the handler is slower than the mempool", "dropped", dropped.Load())
				}
			}
		}
	}
}

// pending emits one Pending event for a transaction not seen before
// (pending or mined). Nodes that send hashes only are asked for the
// transaction.
func (f *Follower) pending(ctx context.Context, n *node, h chains.Handler, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var hash common.Hash
		if err := json.Unmarshal(raw, &hash); err != nil {
			return fmt.Errorf("pending hash %s: %w", raw, err)
		}
		if f.seen.has(hash.Hex()) {
			return nil
		}
		raw = nil
		if err := n.rpc.CallContext(ctx, &raw, "eth_getTransactionByHash", hash); err != nil {
			return fmt.Errorf("get pending tx %s: %w", hash.Hex(), err)
		}
		if isNull(raw) {
			return nil // gone already
		}
	}
	var ptx rpcPendingTx
	if err := json.Unmarshal(raw, &ptx); err != nil {
		return fmt.Errorf("decode pending tx: %w", err)
	}
	if ptx.BlockHash != nil && *ptx.BlockHash != (common.Hash{}) {
		return nil // mined already: its block will carry it
	}
	tx := n.dec.pendingTx(&ptx)
	if f.seen.has(tx.Hash) {
		return nil
	}
	f.seen.add(tx.Hash)
	if len(tx.Transfers) == 0 {
		return nil
	}
	if err := h(ctx, chains.Event{Type: chains.Pending, Chain: chains.Ethereum, Tx: tx, Head: f.head}); err != nil {
		return &stopError{fmt.Errorf("ethereum: handler for pending tx %s: %w", tx.Hash, err)}
	}
	return nil
}

// pendingTx decodes a pending transaction's native value and an ERC-20
// transfer/transferFrom in its calldata. Index is -1: not in a block.
// Token names come from the same table as mined blocks' (mainnet only).
func (d decoder) pendingTx(p *rpcPendingTx) *chains.Tx {
	tx := &chains.Tx{Hash: p.Hash.Hex(), Index: -1, From: addr(p.From), GasPrice: (*big.Int)(p.GasPrice)}
	if p.To != nil {
		tx.To = addr(*p.To)
	}
	add := func(t chains.Transfer) {
		t.TxIndex, t.Seq, t.LogIndex = -1, len(tx.Transfers), -1
		tx.Transfers = append(tx.Transfers, t)
	}
	if p.Value != nil && p.Value.ToInt().Sign() > 0 {
		add(chains.Transfer{Kind: chains.Native, From: tx.From, To: tx.To, Asset: chains.ETH, Amount: p.Value.ToInt()})
	}
	if p.To == nil || len(p.Input) < 4 {
		return tx
	}
	in := p.Input
	token := d.asset(nil, *p.To)
	switch {
	case bytes.Equal(in[:4], selTransfer) && len(in) == 4+64:
		if to, ok := wordAddr(in[4:36]); ok {
			add(chains.Transfer{Kind: chains.Token, From: tx.From, To: to, Asset: token, Amount: new(big.Int).SetBytes(in[36:68])})
		}
	case bytes.Equal(in[:4], selTransferFrom) && len(in) == 4+96:
		from, ok1 := wordAddr(in[4:36])
		to, ok2 := wordAddr(in[36:68])
		if ok1 && ok2 {
			add(chains.Transfer{Kind: chains.Token, From: from, To: to, Asset: token, Amount: new(big.Int).SetBytes(in[68:100])})
		}
	}
	return tx
}

// wordAddr reads an ABI-encoded address; its top 12 bytes must be zero.
func wordAddr(w []byte) (string, bool) {
	for _, b := range w[:12] {
		if b != 0 {
			return "", false
		}
	}
	return addr(common.BytesToAddress(w[12:])), true
}

// seenSet remembers the last cap transaction hashes (pending or mined).
type seenSet struct {
	m    map[string]struct{}
	ring []string
	next int
}

func newSeenSet(n int) *seenSet {
	return &seenSet{m: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (s *seenSet) has(h string) bool { _, ok := s.m[h]; return ok }

func (s *seenSet) add(h string) {
	if s.has(h) {
		return
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.m, old)
	}
	s.ring[s.next] = h
	s.m[h] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
}
