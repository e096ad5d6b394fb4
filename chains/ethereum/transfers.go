package ethereum

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// ErrBadResponse marks an answer from the node that cannot be a valid
// block, receipt or trace (missing fields, mismatched hashes or counts).
var ErrBadResponse = errors.New("bad response from node")

// errStale marks data that belongs to another block than the one asked
// for: the node switched branch between two calls. It is retried.
var errStale = errors.New("node answered for another block (reorg in progress)")

var (
	topicTransfer   = common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
	topicDeposit    = common.HexToHash("0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c")
	topicWithdrawal = common.HexToHash("0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65")
)

// MainnetWETH is the canonical WETH9 contract on mainnet.
var MainnetWETH = common.HexToAddress("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2")

// knownTokens are the few mainnet tokens whose symbol and decimals the
// follower fills in; other tokens carry only their contract.
var knownTokens = map[common.Address]chains.Asset{
	MainnetWETH: {Symbol: "WETH", Decimals: 18},
	common.HexToAddress("0xdac17f958d2ee523a2206206994597c13d831ec7"): {Symbol: "USDT", Decimals: 6},
	common.HexToAddress("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"): {Symbol: "USDC", Decimals: 6},
	common.HexToAddress("0x6b175474e89094c44da98b954eedeac495271d0f"): {Symbol: "DAI", Decimals: 18},
	common.HexToAddress("0x2260fac5e5542a773aa44fbcfedf7c193bc2c599"): {Symbol: "WBTC", Decimals: 8},
}

// decoder turns JSON-RPC blocks into chains.Blocks for one network.
type decoder struct {
	mainnet bool                 // WETH and known token symbols apply
	keep    map[common.Hash]bool // topic0s of the logs kept in chains.Tx.Logs
}

func newDecoder(mainnet bool, keep [][32]byte) decoder {
	d := decoder{mainnet: mainnet}
	if len(keep) > 0 {
		d.keep = make(map[common.Hash]bool, len(keep))
		for _, t := range keep {
			d.keep[t] = true
		}
	}
	return d
}

func addr(a common.Address) string { return hexutil.Encode(a[:]) }

// internalTransfer is the ETH a call frame of the trace moved.
func internalTransfer(f *callFrame) chains.Transfer {
	return chains.Transfer{Kind: chains.Internal, LogIndex: -1, From: addr(f.From), To: addr(*f.To), Asset: chains.ETH, Amount: f.Value.ToInt()}
}

// asset is token contract c as an asset, memoized in cache (nil: none).
func (d *decoder) asset(cache map[common.Address]chains.Asset, c common.Address) chains.Asset {
	if a, ok := cache[c]; ok {
		return a
	}
	a := chains.Asset{Contract: addr(c)}
	if k, ok := knownTokens[c]; ok && d.mainnet {
		a.Symbol, a.Decimals = k.Symbol, k.Decimals
	}
	if cache != nil {
		cache[c] = a
	}
	return a
}

// block builds the chains.Block of b. receipts must hold one receipt per
// transaction in block order; traces, when not nil, one callTracer result
// per transaction.
func (d *decoder) block(b *rpcBlock, receipts []rpcReceipt, traces []rpcTxTrace) (*chains.Block, error) {
	if b == nil || b.Number == nil || b.Hash == nil {
		return nil, fmt.Errorf("block without number or hash: %w", ErrBadResponse)
	}
	ref := chains.BlockRef{
		Number: uint64(*b.Number),
		Hash:   b.Hash.Hex(),
		Parent: b.ParentHash.Hex(),
		Time:   timeOf(uint64(b.Timestamp)),
	}
	where := func(format string, args ...any) error {
		return fmt.Errorf("block %d %s: %s: %w", ref.Number, ref.Hash, fmt.Sprintf(format, args...), ErrBadResponse)
	}
	if len(receipts) != len(b.Transactions) {
		return nil, where("%d receipts for %d transactions", len(receipts), len(b.Transactions))
	}
	if traces != nil && len(traces) != len(b.Transactions) {
		return nil, where("%d traces for %d transactions", len(traces), len(b.Transactions))
	}
	out := &chains.Block{Chain: chains.Ethereum, Ref: ref, Txs: make([]chains.Tx, len(b.Transactions))}
	assets := make(map[common.Address]chains.Asset)
	for i := range b.Transactions {
		tx, r := &b.Transactions[i], &receipts[i]
		if tx.TransactionIndex != nil && int(*tx.TransactionIndex) != i {
			return nil, where("transaction at position %d says index %d", i, uint64(*tx.TransactionIndex))
		}
		if r.TransactionHash != tx.Hash {
			return nil, where("receipt %d is for %s, want %s", i, r.TransactionHash.Hex(), tx.Hash.Hex())
		}
		if r.BlockHash != *b.Hash {
			return nil, fmt.Errorf("block %d %s: receipt %d belongs to block %s: %w", ref.Number, ref.Hash, i, r.BlockHash.Hex(), errStale)
		}
		if tx.Value == nil || r.Status == nil || r.GasUsed == nil {
			return nil, where("tx %s lacks value, status or gasUsed", tx.Hash.Hex())
		}
		var frame *callFrame
		if traces != nil {
			t := &traces[i]
			if t.TxHash != nil && *t.TxHash != tx.Hash {
				return nil, where("trace %d is for %s, want %s", i, t.TxHash.Hex(), tx.Hash.Hex())
			}
			if t.Error != "" || t.Result == nil {
				return nil, where("trace of tx %s failed: %q", tx.Hash.Hex(), t.Error)
			}
			frame = t.Result
		}
		if err := d.tx(&out.Txs[i], i, tx, r, frame, assets); err != nil {
			return nil, where("%s", err)
		}
	}
	return out, nil
}

// tx fills dst with the transaction and its transfers.
func (d *decoder) tx(dst *chains.Tx, i int, tx *rpcTx, r *rpcReceipt, frame *callFrame, assets map[common.Address]chains.Asset) error {
	from := addr(tx.From)
	price := (*big.Int)(r.EffectiveGasPrice)
	if price == nil {
		price = (*big.Int)(tx.GasPrice)
	}
	if price == nil {
		return fmt.Errorf("tx %s has no effectiveGasPrice nor gasPrice", tx.Hash.Hex())
	}
	ct := chains.Tx{Hash: tx.Hash.Hex(), Index: i, From: from, Failed: *r.Status == 0, GasPrice: price}
	switch {
	case tx.To != nil:
		ct.To = addr(*tx.To)
	case r.ContractAddress != nil:
		ct.To = addr(*r.ContractAddress)
	}
	n := 1 + len(r.Logs) // fee + one per log at most
	if !ct.Failed && tx.Value.ToInt().Sign() > 0 {
		n++
	}
	ts := make([]chains.Transfer, 0, n)
	seq := 0
	add := func(t chains.Transfer) {
		t.TxIndex, t.Seq = i, seq
		seq++
		ts = append(ts, t)
	}
	if !ct.Failed {
		if v := tx.Value.ToInt(); v.Sign() > 0 {
			add(chains.Transfer{Kind: chains.Native, LogIndex: -1, From: from, To: ct.To, Asset: chains.ETH, Amount: v})
		}
		logAt := func(k int) {
			if t, ok := d.logTransfer(&r.Logs[k], assets); ok {
				add(t)
			}
		}
		var steps []traceStep
		if frame != nil && frame.Error == "" {
			steps = walkFrame(frame, true, steps)
		}
		if nlogs := countLogSteps(steps); frame != nil && nlogs == len(r.Logs) {
			k := 0
			for _, s := range steps {
				if s.frame == nil {
					logAt(k)
					k++
					continue
				}
				add(internalTransfer(s.frame))
			}
		} else {
			// No trace, or one whose logs do not line up with the receipt:
			// internal calls first, then logs in block order.
			for _, s := range steps {
				if s.frame != nil {
					add(internalTransfer(s.frame))
				}
			}
			for k := range r.Logs {
				logAt(k)
			}
		}
	}
	if d.keep != nil && !ct.Failed {
		for k := range r.Logs {
			if l := &r.Logs[k]; !l.Removed && len(l.Topics) > 0 && d.keep[l.Topics[0]] {
				ct.Logs = append(ct.Logs, chainLog(l))
			}
		}
	}
	fee := new(big.Int).Mul(r.GasUsed.ToInt(), price)
	if r.BlobGasUsed != nil && r.BlobGasPrice != nil {
		fee.Add(fee, new(big.Int).Mul(r.BlobGasUsed.ToInt(), r.BlobGasPrice.ToInt()))
	}
	if fee.Sign() > 0 {
		add(chains.Transfer{Kind: chains.Fee, LogIndex: -1, From: from, To: chains.FeeSink, Asset: chains.ETH, Amount: fee})
	}
	ct.Transfers = ts
	*dst = ct
	return nil
}

// logTransfer decodes an ERC-20 or ERC-721 Transfer or a WETH
// Deposit/Withdrawal. Any other log, or one of the wrong shape, is not a
// transfer (ok false).
func (d *decoder) logTransfer(l *rpcLog, assets map[common.Address]chains.Asset) (chains.Transfer, bool) {
	if l.Removed || len(l.Topics) == 0 {
		return chains.Transfer{}, false
	}
	t := chains.Transfer{LogIndex: int(l.LogIndex)}
	switch l.Topics[0] {
	case topicTransfer:
		switch {
		case len(l.Topics) == 3 && len(l.Data) == 32:
			t.Kind, t.Amount = chains.Token, new(big.Int).SetBytes(l.Data)
		case len(l.Topics) == 4 && len(l.Data) == 0:
			t.Kind, t.Amount = chains.NFT, new(big.Int).SetBytes(l.Topics[3][:])
		default:
			return chains.Transfer{}, false
		}
		t.From, t.To = topicAddr(l.Topics[1]), topicAddr(l.Topics[2])
	case topicDeposit, topicWithdrawal:
		if !d.mainnet || l.Address != MainnetWETH || len(l.Topics) != 2 || len(l.Data) != 32 {
			return chains.Transfer{}, false
		}
		t.Amount = new(big.Int).SetBytes(l.Data)
		if l.Topics[0] == topicDeposit {
			t.Kind, t.From, t.To = chains.Wrap, addr(l.Address), topicAddr(l.Topics[1])
		} else {
			t.Kind, t.From, t.To = chains.Unwrap, topicAddr(l.Topics[1]), addr(l.Address)
		}
	default:
		return chains.Transfer{}, false
	}
	t.Asset = d.asset(assets, l.Address)
	return t, true
}

// chainLog copies l for a consumer.
func chainLog(l *rpcLog) chains.Log {
	out := chains.Log{Index: int(l.LogIndex), Address: addr(l.Address), Topics: make([][32]byte, len(l.Topics)), Data: append([]byte(nil), l.Data...)}
	for i, t := range l.Topics {
		out.Topics[i] = t
	}
	return out
}

func topicAddr(h common.Hash) string { return hexutil.Encode(h[12:]) }

// traceStep is one value movement or log in execution order: frame set
// for an internal transfer, nil for the next log of the transaction.
type traceStep struct{ frame *callFrame }

// walkFrame appends, in execution order, the value-bearing frames below
// the top level and the logs, skipping reverted subtrees (their value and
// logs were undone).
func walkFrame(f *callFrame, top bool, steps []traceStep) []traceStep {
	if f.Error != "" && !top {
		return steps
	}
	if !top && f.To != nil && f.Value != nil && f.Value.ToInt().Sign() > 0 {
		switch f.Type {
		case "CALL", "CREATE", "CREATE2", "SELFDESTRUCT":
			steps = append(steps, traceStep{frame: f})
		}
	}
	li := 0
	for ci := range f.Calls {
		for li < len(f.Logs) && int(f.Logs[li].Position) <= ci {
			steps = append(steps, traceStep{})
			li++
		}
		steps = walkFrame(&f.Calls[ci], false, steps)
	}
	for ; li < len(f.Logs); li++ {
		steps = append(steps, traceStep{})
	}
	return steps
}

func countLogSteps(steps []traceStep) int {
	n := 0
	for _, s := range steps {
		if s.frame == nil {
			n++
		}
	}
	return n
}

func timeOf(unix uint64) time.Time { return time.Unix(int64(unix), 0).UTC() }
