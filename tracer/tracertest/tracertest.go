// Package tracertest holds what tests of the tracer's recognisers share:
// a fixed label set and a finding sink that records what the engine
// raises and retracts.
package tracertest

import (
	"context"
	"sync"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

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
}

// Raise implements tracer.Sink.
func (s *Sink) Raise(_ context.Context, fs []tracer.Finding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Raised = append(s.Raised, fs...)
	return nil
}

// Retract implements tracer.Sink.
func (s *Sink) Retract(_ context.Context, fs []tracer.Finding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Retracted = append(s.Retracted, fs...)
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
