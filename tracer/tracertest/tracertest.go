// Package tracertest holds what tests of the tracer's recognisers share:
// a fixed label set, a finding sink that records what the engine raises
// and retracts, and readers of the ABI and event-log fixtures of the
// bridge decoders, a block source over a test's blocks, and the
// prevouts of a test's Bitcoin blocks.
package tracertest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// Prevouts resolves outpoints from the outputs of the blocks a test made
// (chains.PrevoutResolver); an unknown outpoint is an error.
type Prevouts map[chains.Outpoint]chains.Output

// Prevouts implements chains.PrevoutResolver.
func (p Prevouts) Prevouts(_ context.Context, ops []chains.Outpoint) ([]chains.Output, error) {
	out := make([]chains.Output, len(ops))
	for i, o := range ops {
		v, ok := p[o]
		if !ok {
			return nil, fmt.Errorf("unknown outpoint %s", o)
		}
		out[i] = v
	}
	return out, nil
}

// Add registers the outputs of b's transactions.
func (p Prevouts) Add(b *chains.Block) {
	for _, tx := range b.Txs {
		for _, o := range tx.Outputs {
			p[chains.Outpoint{Tx: tx.Hash, Index: o.Index}] = o
		}
	}
}

// Labels is a fixed label set keyed "chain|address" (tracer.Labels).
type Labels map[string]watchlists.Entry

// NewLabels returns the label set of es, each under its chain and address.
func NewLabels(es ...watchlists.Entry) Labels {
	l := Labels{}
	for _, e := range es {
		l[string(e.Chain)+"|"+e.Address] = e
	}
	return l
}

// Lookup implements tracer.Labels.
func (l Labels) Lookup(c chains.Chain, addr string) []watchlists.Entry {
	if e, ok := l[string(c)+"|"+addr]; ok {
		return []watchlists.Entry{e}
	}
	return nil
}

// Sink records the findings the engine raises and retracts (tracer.Sink).
type Sink struct {
	mu        sync.Mutex
	Raised    []tracer.Finding
	Retracted []tracer.Finding
	live      map[string]tracer.Finding
	order     []string // live ids, first raised first
}

// note keeps the live set as the alert raiser does: a finding raised
// again while live raises nothing; a retracted one raised again is new.
func (s *Sink) note(fs []tracer.Finding, raise bool) {
	if s.live == nil {
		s.live = map[string]tracer.Finding{}
	}
	for _, f := range fs {
		_, ok := s.live[f.ID]
		switch {
		case raise && !ok:
			s.live[f.ID] = f
			s.order = append(s.order, f.ID)
		case !raise && ok:
			delete(s.live, f.ID)
			s.order = slices.DeleteFunc(s.order, func(id string) bool { return id == f.ID })
		}
	}
}

// Live returns the findings of type t raised and not retracted since, in
// the order they were first raised.
func (s *Sink) Live(t tracer.FindingType) []tracer.Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []tracer.Finding
	for _, id := range s.order {
		if f := s.live[id]; f.Type == t {
			out = append(out, f)
		}
	}
	return out
}

// Raise implements tracer.Sink.
func (s *Sink) Raise(_ context.Context, fs []tracer.Finding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Raised = append(s.Raised, fs...)
	s.note(fs, true)
	return nil
}

// Retract implements tracer.Sink.
func (s *Sink) Retract(_ context.Context, fs []tracer.Finding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Retracted = append(s.Retracted, fs...)
	s.note(fs, false)
	return nil
}

// Of returns the raised findings of type t, in order.
func (s *Sink) Of(t tracer.FindingType) []tracer.Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []tracer.Finding
	for _, f := range s.Raised {
		if f.Type == t {
			out = append(out, f)
		}
	}
	return out
}

// ReadABI reads a contract ABI (JSON) from path.
func ReadABI(tb testing.TB, path string) abi.ABI {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	a, err := abi.JSON(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return a
}

// ReadLog reads an event log as eth_getTransactionReceipt writes it (a
// fixture file) into chainhound's Log, with its transaction hash.
func ReadLog(tb testing.TB, path string) (chains.Log, string) {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var j struct {
		Address string   `json:"address"`
		Topics  []string `json:"topics"`
		Data    string   `json:"data"`
		TxHash  string   `json:"transactionHash"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	l := chains.Log{Address: j.Address, Data: Unhex(tb, j.Data)}
	for _, s := range j.Topics {
		l.Topics = append(l.Topics, [32]byte(Unhex(tb, s)))
	}
	return l, j.TxHash
}

// Unhex decodes hex s, with or without 0x.
func Unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		tb.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// Blocks is a block source over blocks a test built (chains.BlockSource):
// the chain as the test's node would serve it, by height.
type Blocks map[uint64]*chains.Block

// NewBlocks indexes bs by height.
func NewBlocks(bs ...*chains.Block) Blocks {
	out := Blocks{}
	for _, b := range bs {
		out[b.Ref.Number] = b
	}
	return out
}

// BlockByNumber implements chains.BlockSource.
func (s Blocks) BlockByNumber(_ context.Context, n uint64) (*chains.Block, error) {
	b, ok := s[n]
	if !ok {
		return nil, fmt.Errorf("no block %d", n)
	}
	return b, nil
}

// HeadNumber implements chains.BlockSource.
func (s Blocks) HeadNumber(context.Context) (uint64, error) {
	var h uint64
	for n := range s {
		h = max(h, n)
	}
	return h, nil
}
