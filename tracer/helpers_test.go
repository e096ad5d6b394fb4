package tracer_test

import (
	"context"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/tracertest"
	"github.com/chainhound/chainhound/watchlists"
)

// labelMap is an in-memory label set.
type labelMap map[string]watchlists.Entry

func (l labelMap) Lookup(c chains.Chain, addr string) []watchlists.Entry {
	if e, ok := l[string(c)+"|"+addr]; ok {
		return []watchlists.Entry{e}
	}
	return nil
}

func (l labelMap) add(c chains.Chain, addr string, kind watchlists.Kind, name string) {
	l[string(c)+"|"+addr] = watchlists.Entry{Chain: c, Address: addr, Kind: kind, Label: name, Owner: "o"}
}

// findingLog collects what the engine raises and retracts.
type findingLog struct {
	mu        sync.Mutex
	raised    []tracer.Finding
	retracted []tracer.Finding
}

func (s *findingLog) Raise(_ context.Context, fs []tracer.Finding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raised = append(s.raised, fs...)
	return nil
}

func (s *findingLog) Retract(_ context.Context, fs []tracer.Finding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retracted = append(s.retracted, fs...)
	return nil
}

// retractedOf returns the retracted findings of type t.
func (s *findingLog) retractedOf(t tracer.FindingType) []tracer.Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	return findingsOf(s.retracted, t)
}

// ofType returns the raised findings of type t.
func (s *findingLog) ofType(t tracer.FindingType) []tracer.Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	return findingsOf(s.raised, t)
}

func findingsOf(fs []tracer.Finding, t tracer.FindingType) []tracer.Finding {
	var out []tracer.Finding
	for _, f := range fs {
		if f.Type == t {
			out = append(out, f)
		}
	}
	return out
}

// balanceMap answers BalanceAt from a fixed table: address → balance
// before the first block of the test.
type balanceMap map[string]int64

func (b balanceMap) BalanceAt(_ context.Context, addr string, _ chains.Asset, _ uint64) (*big.Int, error) {
	return big.NewInt(b[addr]), nil
}

// xf is one account-model transfer in a test block.
type xf struct {
	from, to string
	amt      int64
	fee      bool
}

func blockHash(c chains.Chain, n uint64, salt string) string {
	return fmt.Sprintf("%s-%d%s", c, n, salt)
}

// ethBlock builds block n; each tx is a list of transfers, tx hashes are
// "0x<n>-<i>" unless named in names.
func ethBlock(n uint64, salt string, txs ...[]xf) *chains.Block {
	b := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: n, Hash: blockHash(chains.Ethereum, n, salt), Time: time.Unix(int64(1_700_000_000+n*12), 0).UTC()}}
	if n > 0 {
		b.Ref.Parent = blockHash(chains.Ethereum, n-1, salt)
	}
	for i, tr := range txs {
		tx := chains.Tx{Hash: fmt.Sprintf("0x%d-%d%s", n, i, salt), Index: i}
		for s, t := range tr {
			k := chains.Native
			to := t.to
			if t.fee {
				k, to = chains.Fee, chains.FeeSink
			}
			tx.Transfers = append(tx.Transfers, chains.Transfer{Kind: k, TxIndex: i, Seq: s, LogIndex: -1, From: t.from, To: to, Asset: chains.ETH, Amount: big.NewInt(t.amt)})
			if s == 0 {
				tx.From = t.from
			}
		}
		b.Txs = append(b.Txs, tx)
	}
	return b
}

// in and out describe a UTXO-model transaction in a test block.
type utx struct {
	ins  []chains.Outpoint
	outs []chains.Output
}

func op(tx string, i uint32) chains.Outpoint { return chains.Outpoint{Tx: tx, Index: i} }

func outs(pairs ...any) []chains.Output {
	var o []chains.Output
	for i := 0; i+1 < len(pairs); i += 2 {
		addr := pairs[i].(string)
		cl := chains.P2WPKH
		if len(addr) > 10 && addr[:10] == "op_return:" {
			cl = chains.NullData
		}
		o = append(o, chains.Output{Index: uint32(i / 2), Value: int64(pairs[i+1].(int)), Address: addr, Class: cl})
	}
	return o
}

// btcBlock builds block n; tx hashes are "b<n>-<i>".
func btcBlock(n uint64, salt string, txs ...utx) *chains.Block {
	b := &chains.Block{Chain: chains.Bitcoin, Ref: chains.BlockRef{Number: n, Hash: blockHash(chains.Bitcoin, n, salt), Time: time.Unix(int64(1_700_000_000+n*600), 0).UTC()}}
	if n > 0 {
		b.Ref.Parent = blockHash(chains.Bitcoin, n-1, salt)
	}
	for i, t := range txs {
		tx := chains.Tx{Hash: fmt.Sprintf("b%d-%d%s", n, i, salt), Index: i, Outputs: t.outs}
		for _, p := range t.ins {
			tx.Inputs = append(tx.Inputs, chains.Input{Prev: p})
		}
		b.Txs = append(b.Txs, tx)
	}
	return b
}

// prevoutMap resolves outpoints from the outputs of the blocks a test made.
type prevoutMap = tracertest.Prevouts

func connect(t testing.TB, e *tracer.Engine, b *chains.Block) {
	t.Helper()
	if err := e.Handle(context.Background(), chains.Event{Type: chains.Connected, Chain: b.Chain, Block: b, Ref: b.Ref}); err != nil {
		t.Fatalf("connect %s: %v", b.Ref, err)
	}
}

func disconnect(t testing.TB, e *tracer.Engine, b *chains.Block) {
	t.Helper()
	if err := e.Handle(context.Background(), chains.Event{Type: chains.Disconnected, Chain: b.Chain, Block: b, Ref: b.Ref}); err != nil {
		t.Fatalf("disconnect %s: %v", b.Ref, err)
	}
}

func open(t testing.TB, e *tracer.Engine, inc watchlists.Incident) {
	t.Helper()
	if inc.Status == "" {
		inc.Status = watchlists.Open
	}
	if err := e.OpenIncident(context.Background(), inc); err != nil {
		t.Fatalf("open incident: %v", err)
	}
}

// held returns the incident's taint per holder (address or txid:vout).
func held(t testing.TB, e *tracer.Engine, id string) map[string]int64 {
	t.Helper()
	s, ok := e.Summary(id)
	if !ok {
		t.Fatalf("no summary for %s", id)
	}
	m := map[string]int64{}
	for _, h := range s.Holders {
		m[h.Address] = h.Tainted.Int64()
	}
	return m
}
