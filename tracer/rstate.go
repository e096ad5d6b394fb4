package tracer

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/chainhound/chainhound/chains"
)

// State is a recogniser's own state on one chain: small values by key
// (a mixer pool's unmatched deposits, a bridge's pending swaps). The
// engine keeps it with the chain's taint: a write is journaled in the
// block being applied, undone with it on a reorg, written in the block's
// batch and loaded back at start. A recogniser that keeps everything here
// needs no Undoer and loses nothing across restarts.
type State interface {
	// Get returns the value at key (ok false: absent). The caller must not
	// change the returned bytes.
	Get(key string) (val []byte, ok bool)
	// Put sets key to val (the engine keeps val; the caller must not
	// change it afterwards).
	Put(key string, val []byte)
	// Delete removes key.
	Delete(key string)
	// Lane is "" on the live pass. In an incident's catch-up over blocks
	// the live stream already applied (or an automatic incident's first
	// block) it is that incident's id: the recogniser sees the
	// transactions that deposit its taint into a service and those that
	// carry kept logs, must change only that incident's share of its
	// state, and must not count the block's events again.
	Lane() string
	// On is the recogniser's state on another chain followed by the
	// engine, for joins across chains (a swap's deposit on one, its
	// payout on the other): written in the block being applied, undone
	// with it. Nil when the engine follows no such chain.
	On(chain chains.Chain) State
	// Live reports whether incident id is followed on the live pass (open
	// and caught up): the live pass must leave the share of an incident
	// still catching up to that incident's own lane, since the engine
	// drops the moves of incidents not in the pass applied.
	Live(id string) bool
}

// stateOf is State for recogniser name on chain cs (nil: the chain being
// applied), journaled in the block being applied.
type stateOf struct {
	ap   *applier
	name string
	cs   *chainState
}

func (s stateOf) chain() *chainState {
	if s.cs != nil {
		return s.cs
	}
	return s.ap.cs
}

func (s stateOf) On(c chains.Chain) State {
	if c == s.ap.cs.chain {
		return stateOf{ap: s.ap, name: s.name}
	}
	if s.ap.e.chains[c] == nil && s.ap.e.deps.Sources[c] == nil {
		return nil
	}
	return stateOf{ap: s.ap, name: s.name, cs: s.ap.e.chainState(c)}
}

func (s stateOf) Lane() string {
	if s.ap.live || s.ap.only == nil {
		return ""
	}
	return s.ap.only.def.ID
}

func (s stateOf) Live(id string) bool {
	inc := s.ap.e.incidents[id]
	return inc != nil && inc.active()
}

func (s stateOf) key(k string) string { return s.name + "/" + k }

func (s stateOf) Get(k string) ([]byte, bool) {
	v, ok := s.chain().rstate[s.key(k)]
	return v, ok
}

func (s stateOf) Put(k string, v []byte) {
	key := s.key(k)
	cs := s.chain()
	if old, ok := cs.rstate[key]; ok && bytes.Equal(old, v) {
		return
	}
	s.ap.e.touchRState(s.ap.j, cs, key)
	cs.rstate[key] = v
}

func (s stateOf) Delete(k string) {
	key := s.key(k)
	cs := s.chain()
	if _, ok := cs.rstate[key]; !ok {
		return
	}
	s.ap.e.touchRState(s.ap.j, cs, key)
	delete(cs.rstate, key)
}

// touchRState records recogniser state key before it changes.
func (e *Engine) touchRState(j *journal, cs *chainState, key string) {
	k := hkey{a: key}
	id := recID{kind: recRState, chain: cs.chain, k: k}
	if _, ok := j.seenSet()[id]; ok {
		return
	}
	var prior any
	if v, ok := cs.rstate[key]; ok {
		prior = v
	}
	j.recordNew(id, rec{kind: recRState, chain: cs.chain, k: k, prior: prior})
}

// rstateKey is the store key of recogniser state key (name/key) on chain c.
func rstateKey(c string, key string) []byte { return []byte("r/" + c + "/" + key) }

// RecogniserState returns recogniser name's value at key on chain, as its
// State would (ok false: absent).
func (e *Engine) RecogniserState(chain chains.Chain, name, key string) ([]byte, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cs := e.chains[chain]
	if cs == nil {
		return nil, false
	}
	v, ok := cs.rstate[name+"/"+key]
	return bytes.Clone(v), ok
}

// RecogniserKeys returns recogniser name's keys on chain that start with
// prefix, sorted.
func (e *Engine) RecogniserKeys(chain chains.Chain, name, prefix string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	cs := e.chains[chain]
	if cs == nil {
		return nil
	}
	var out []string
	p := name + "/" + prefix
	for k := range cs.rstate {
		if strings.HasPrefix(k, p) {
			out = append(out, k[len(name)+1:])
		}
	}
	slices.Sort(out)
	return out
}

// PutRecogniserState writes values (nil: delete) into recogniser name's
// state on chain outside any block, in one batch: what a recogniser
// learned from final history (a pool's deposits before the daemon saw
// it). No block journals it, so a reorg leaves it; blocks must not write
// the same keys.
func (e *Engine) PutRecogniserState(ctx context.Context, chain chains.Chain, name string, values map[string][]byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	cs := e.chainState(chain)
	var puts []KV
	var dels [][]byte
	keys := slices.Sorted(maps.Keys(values))
	for _, k := range keys {
		key := name + "/" + k
		if v := values[k]; v != nil {
			puts = append(puts, KV{rstateKey(string(chain), key), v})
		} else {
			dels = append(dels, rstateKey(string(chain), key))
		}
	}
	if e.deps.Store != nil {
		if err := e.deps.Store.SaveTracer(ctx, puts, dels); err != nil {
			return fmt.Errorf("save %s state on %s: %w", name, chain, err)
		}
	}
	for _, k := range keys {
		if v := values[k]; v != nil {
			cs.rstate[name+"/"+k] = bytes.Clone(v)
		} else {
			delete(cs.rstate, name+"/"+k)
		}
	}
	return nil
}
