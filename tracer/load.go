package tracer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/holiman/uint256"
)

func encodeRef(r chains.BlockRef) []byte {
	b, _ := json.Marshal(r)
	return b
}

func encodeDrain(d *drainWindow) []byte {
	var w wbuf
	w.amt(&d.base)
	w.boolean(d.hasBase)
	w.boolean(d.raised)
	w.uvarint(uint64(len(d.outs)))
	for _, o := range d.outs {
		w.uvarint(o.block)
		w.uvarint(uint64(o.time.UnixNano()))
		w.str(o.tx)
		w.str(o.to)
		w.amt(&o.amt)
	}
	return w
}

func decodeDrain(b []byte) (*drainWindow, error) {
	r := rbuf{b: b}
	d := &drainWindow{}
	r.amt(&d.base)
	d.hasBase = r.boolean()
	d.raised = r.boolean()
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		var o drainOut
		o.block = r.uvarint()
		o.time = time.Unix(0, int64(r.uvarint())).UTC()
		o.tx = r.str()
		o.to = r.str()
		r.amt(&o.amt)
		d.outs = append(d.outs, o)
	}
	return d, r.err
}

// encodeJournal stores a journal: its refs, its records with their prior
// values, and its findings.
func (a *arena) encodeJournal(j *journal) []byte {
	var w wbuf
	w.str(string(encodeRef(j.ref)))
	w.str(string(encodeRef(j.prev)))
	w.boolean(j.hadPrev)
	w.uvarint(uint64(len(j.recs)))
	for i := range j.recs {
		r := &j.recs[i]
		w.uvarint(uint64(r.kind))
		w.str(string(r.chain))
		switch r.kind {
		case recHop:
			w.str(a.hopRef(r.h))
			continue
		case recIncident:
			w.str(r.inc.def.ID)
			w.str(string(encodeIncRuntime(r.inc, r.prior.(incRuntime))))
			continue
		}
		w.str(r.k.a)
		w.str(r.k.b)
		w.uvarint(uint64(r.k.n))
		if r.inc != nil {
			w.str(r.inc.def.ID)
		} else {
			w.str("")
		}
		w.boolean(r.prior != nil)
		if r.prior == nil {
			continue
		}
		switch p := r.prior.(type) {
		case *holdingVal:
			w.str(string(a.encodeHolding(p)))
		case *parked:
			w.str(string(a.encodeParked(p)))
		case *drainWindow:
			w.str(string(encodeDrain(p)))
		case []byte:
			w.str(string(p))
		}
	}
	fs, _ := json.Marshal(j.findings)
	w.str(string(fs))
	w.uvarint(j.seq) // absent in journals written before it: 0
	return w
}

// loader rebuilds the state from stored records.
type loader struct {
	e    *Engine
	hops map[string]hopID
	raw  map[string][]byte // hop key → encoded hop, until linked
}

// newHop allocates the hop named by key (tx, seq, incident and chain).
func (l *loader) newHop(key string) (hopID, error) {
	parts := strings.SplitN(key, "/", 5)
	if len(parts) != 5 {
		return 0, fmt.Errorf("hop key %q malformed", key)
	}
	seq, err := strconv.ParseInt(parts[3], 10, 32)
	if err != nil {
		return 0, fmt.Errorf("hop key %q: %w", key, err)
	}
	inc := l.e.incidents[parts[4]]
	if inc == nil {
		return 0, fmt.Errorf("hop %s: unknown incident", key)
	}
	a := l.e.a
	id := hopID(a.hops.alloc())
	*a.hops.at(int32(id)) = hop{chainID: chainID(chains.Chain(parts[1])), tx: a.txID(parts[2]), seq: int32(seq), inc: inc.idx, flags: hopLive}
	return id, nil
}

func (l *loader) hop(key string) (hopID, error) {
	if key == "" {
		return 0, nil
	}
	if h := l.hops[key]; h != 0 {
		return h, nil
	}
	v, ok := l.raw[key]
	if !ok {
		return 0, fmt.Errorf("hop %s missing", key)
	}
	id, err := l.newHop(key)
	if err != nil {
		return 0, err
	}
	a := l.e.a
	l.hops[key] = id // before the parent: a chain of hops cannot cycle, but guard anyway
	r := rbuf{b: v}
	parent := r.str()
	depth := uint16(r.uvarint())
	block := uint32(r.uvarint())
	from := r.str()
	to, _ := toAddr20(r.str(), true)
	var amt uint256.Int
	r.amt(&amt)
	var doubt uint16
	if len(r.b) > 0 {
		doubt = uint16(r.uvarint())
	}
	if r.err != nil {
		return 0, fmt.Errorf("hop %s: %w", key, r.err)
	}
	h := a.hop(id)
	h.depth, h.block, h.to, h.doubt = depth, block, to, doubt
	a.set(&h.amt, &amt)
	if parent != "" {
		p, err := l.hop(parent)
		if err != nil {
			return 0, err
		}
		a.hop(id).parent = p
	}
	if p := a.hop(id).parent; p == 0 || !a.hop(p).to.is(from) {
		a.setRoot(id, from)
	}
	return id, nil
}

func (l *loader) holding(inc *incident, v []byte) (*holdingVal, error) {
	r := rbuf{b: v}
	h := &holdingVal{inc: inc}
	r.amt(&h.bal)
	r.amt(&h.taint)
	via := r.str()
	if r.boolean() {
		h.fifo = &[]segment{}
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			var s segment
			s.tainted = r.boolean()
			r.amt(&s.amt)
			sv := r.str()
			if r.err == nil && sv != "" {
				p, err := l.hop(sv)
				if err != nil {
					return nil, err
				}
				s.via = p
			}
			*h.fifo = append(*h.fifo, s)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	p, err := l.hop(via)
	if err != nil {
		return nil, err
	}
	h.via = p
	return h, nil
}

func (l *loader) parked(v []byte) (*parked, error) {
	r := rbuf{b: v}
	p := &parked{}
	r.amt(&p.amt)
	via := r.str()
	if r.err != nil {
		return nil, r.err
	}
	h, err := l.hop(via)
	p.via = h
	return p, err
}

// Load reads the engine's state from the Store: incidents, holdings,
// provenance, drain windows, journals and the last block of each chain.
// Incidents still catching up resume in the background.
func (e *Engine) Load(ctx context.Context) error {
	if e.deps.Store == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	byDomain := map[byte][][2][]byte{}
	keep := func(key, val []byte) error {
		if len(key) < 2 || key[0] == 'x' {
			return nil // the transfer index is read where needed, never loaded
		}
		byDomain[key[0]] = append(byDomain[key[0]], [2][]byte{bytes.Clone(key), bytes.Clone(val)})
		return nil
	}
	var err error
	if st, ok := e.deps.Store.(IndexStore); ok {
		// Around the index's keys, without reading them.
		if err = st.ScanTracerRange(ctx, nil, idxPrefix, keep); err == nil {
			err = st.ScanTracerRange(ctx, idxEnd, nil, keep)
		}
	} else {
		err = e.deps.Store.ScanTracer(ctx, keep)
	}
	if err != nil {
		return fmt.Errorf("load tracer state: %w", err)
	}
	for _, kv := range byDomain['i'] {
		j, rt, err := decodeIncRuntime(kv[1])
		if err != nil {
			return fmt.Errorf("load incident %s: %w", kv[0], err)
		}
		inc, err := e.newIncident(j.Def)
		if err != nil {
			return fmt.Errorf("load incident %s: %w", kv[0], err)
		}
		inc.rt = rt
		inc.start, inc.hasStart = j.Start, j.HasStart
		e.incidents[j.Def.ID] = inc
		e.a.register(inc)
	}
	l := &loader{e: e, hops: map[string]hopID{}, raw: map[string][]byte{}}
	for _, kv := range byDomain['p'] {
		l.raw[string(kv[0])] = kv[1]
	}
	for _, kv := range byDomain['h'] {
		parts := strings.SplitN(string(kv[0]), "/", 6)
		if len(parts) != 6 {
			return fmt.Errorf("load holding: key %q malformed", kv[0])
		}
		n, err := strconv.ParseUint(parts[4], 10, 32)
		if err != nil {
			return fmt.Errorf("load holding %q: %w", kv[0], err)
		}
		inc := e.incidents[parts[5]]
		if inc == nil {
			continue // its incident is gone
		}
		h, err := l.holding(inc, kv[1])
		if err != nil {
			return fmt.Errorf("load holding %q: %w", kv[0], err)
		}
		e.chainState(chains.Chain(parts[1])).putVal(hkey{a: parts[2], b: parts[3], n: uint32(n)}, h)
	}
	for _, kv := range byDomain['k'] {
		parts := strings.SplitN(string(kv[0]), "/", 5)
		if len(parts) != 5 || e.incidents[parts[4]] == nil {
			continue
		}
		p, err := l.parked(kv[1])
		if err != nil {
			return fmt.Errorf("load parked %q: %w", kv[0], err)
		}
		e.chainState(chains.Chain(parts[1])).parked[parkKey{inc: e.incidents[parts[4]], service: parts[2], asset: parts[3]}] = p
	}
	for _, kv := range byDomain['d'] {
		parts := strings.SplitN(string(kv[0]), "/", 4)
		if len(parts) != 4 {
			continue
		}
		d, err := decodeDrain(kv[1])
		if err != nil {
			return fmt.Errorf("load drain %q: %w", kv[0], err)
		}
		e.chainState(chains.Chain(parts[1])).drains[hkey{a: parts[2], b: parts[3]}] = d
	}
	for _, kv := range byDomain['r'] {
		parts := strings.SplitN(string(kv[0]), "/", 3)
		if len(parts) != 3 {
			return fmt.Errorf("load recogniser state: key %q malformed", kv[0])
		}
		e.chainState(chains.Chain(parts[1])).rstate[parts[2]] = kv[1]
	}
	for _, kv := range byDomain['l'] {
		var ref chains.BlockRef
		if err := json.Unmarshal(kv[1], &ref); err != nil {
			return fmt.Errorf("load %s: %w", kv[0], err)
		}
		cs := e.chainState(chains.Chain(kv[0][2:]))
		cs.last, cs.hasLast = ref, true
	}
	for _, kv := range byDomain['j'] {
		j, err := l.journal(kv[1])
		if err != nil {
			return fmt.Errorf("load journal %q: %w", kv[0], err)
		}
		parts := strings.SplitN(string(kv[0]), "/", 3)
		e.chainState(chains.Chain(parts[1])).journals[j.ref.Number] = j
	}
	ids := make([]string, 0, len(e.incidents))
	for id := range e.incidents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if inc := e.incidents[id]; !inc.rt.joined && !inc.rt.closed {
			e.startCatchUp(inc)
		}
	}
	return nil
}

func (l *loader) journal(v []byte) (*journal, error) {
	r := rbuf{b: v}
	j := &journal{}
	if err := json.Unmarshal([]byte(r.str()), &j.ref); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(r.str()), &j.prev); err != nil {
		return nil, err
	}
	j.hadPrev = r.boolean()
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		rc := rec{kind: recKind(r.uvarint()), chain: chains.Chain(r.str())}
		switch rc.kind {
		case recHop:
			key := r.str()
			h, err := l.hop(key)
			if err != nil {
				// Undone already or never saved: a placeholder that is deleted on undo.
				if h, err = l.newHop(key); err != nil {
					continue
				}
			}
			rc.h, rc.inc = h, l.e.a.hopInc(h)
			j.record(rc)
			continue
		case recIncident:
			id := r.str()
			_, rt, err := decodeIncRuntime([]byte(r.str()))
			if err != nil {
				return nil, err
			}
			rc.inc = l.e.incidents[id]
			if rc.inc == nil {
				continue
			}
			rc.prior = rt
			j.record(rc)
			continue
		}
		rc.k = hkey{a: r.str(), b: r.str(), n: uint32(r.uvarint())}
		id := r.str()
		if id != "" {
			rc.inc = l.e.incidents[id]
		}
		if r.boolean() {
			pv := []byte(r.str())
			var err error
			switch rc.kind {
			case recHolding:
				rc.prior, err = l.holding(rc.inc, pv)
			case recParked:
				rc.prior, err = l.parked(pv)
			case recDrain:
				rc.prior, err = decodeDrain(pv)
			case recRState:
				rc.prior = pv
			}
			if err != nil {
				return nil, err
			}
		}
		if rc.kind != recDrain && rc.kind != recRState && rc.inc == nil {
			continue
		}
		j.record(rc)
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := json.Unmarshal([]byte(r.str()), &j.findings); err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	if len(r.b) > 0 {
		j.seq = r.uvarint()
		if r.err != nil {
			return nil, fmt.Errorf("seq: %w", r.err)
		}
		l.e.jseq = max(l.e.jseq, j.seq)
	}
	j.seen = nil // an applied journal keeps no seen set
	return j, nil
}

// stateKVs encodes the whole state (not the journals) as sorted key/value
// pairs: two engines are in the same state when these are equal.
func (e *Engine) stateKVs() []KV {
	var out []KV
	a := e.a
	hops := map[hopID]bool{}
	addHop := func(h hopID) {
		for ; h != 0 && !hops[h]; h = a.hop(h).parent {
			hops[h] = true
			out = append(out, KV{a.hopKey(h), a.encodeHop(h)})
		}
	}
	for _, cs := range e.chains {
		cs.eachHead(func(k hkey, head holdID) {
			for id := head; id != 0; id = cs.next(id) {
				h := a.view(id)
				out = append(out, KV{holdingKey(cs.chain, k, h.inc), a.encodeHolding(h)})
				addHop(h.via)
				for _, s := range fifoSegs(h) {
					addHop(s.via)
				}
			}
		})
		for pk, p := range cs.parked {
			out = append(out, KV{parkedKey(cs.chain, pk), a.encodeParked(p)})
			addHop(p.via)
		}
		for k, d := range cs.drains {
			out = append(out, KV{drainKey(cs.chain, k), encodeDrain(d)})
		}
		for k, v := range cs.rstate {
			out = append(out, KV{rstateKey(string(cs.chain), k), v})
		}
		if cs.hasLast {
			out = append(out, KV{lastKey(cs.chain), encodeRef(cs.last)})
		}
	}
	for _, inc := range e.incidents {
		out = append(out, KV{incidentKey(inc.def.ID), encodeIncident(inc)})
	}
	sort.Slice(out, func(i, k int) bool { return bytes.Compare(out[i].Key, out[k].Key) < 0 })
	return out
}
