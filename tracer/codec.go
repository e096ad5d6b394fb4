package tracer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/holiman/uint256"
)

// Store keys. Every key starts with a one-letter domain and the chain.
//
//	h/<chain>/<a>/<b>/<n>/<incident>   holding
//	p/<chain>/<tx>/<seq>/<incident>    hop (provenance)
//	i/<incident>                        incident and its runtime state
//	k/<chain>/<service>/<asset>/<incident> taint parked at a service
//	d/<chain>/<address>/<asset>         treasury drain window
//	l/<chain>                           last applied block
//	j/<chain>/<height>                  journal of a block
func holdingKey(c chains.Chain, k hkey, inc *incident) []byte {
	return []byte("h/" + string(c) + "/" + k.a + "/" + k.b + "/" + strconv.FormatUint(uint64(k.n), 10) + "/" + inc.def.ID)
}

func hopKeyString(c chains.Chain, tx string, seq int32, incID string) string {
	return "p/" + string(c) + "/" + tx + "/" + strconv.FormatInt(int64(seq), 10) + "/" + incID
}

func (a *arena) hopKey(id hopID) []byte { return []byte(a.hopRef(id)) }

func incidentKey(id string) []byte { return []byte("i/" + id) }

func parkedKey(c chains.Chain, pk parkKey) []byte {
	return []byte("k/" + string(c) + "/" + pk.service + "/" + pk.asset + "/" + pk.inc.def.ID)
}

func drainKey(c chains.Chain, k hkey) []byte {
	return []byte("d/" + string(c) + "/" + k.a + "/" + k.b)
}

func lastKey(c chains.Chain) []byte { return []byte("l/" + string(c)) }

func journalKey(c chains.Chain, height uint64) []byte {
	return []byte(fmt.Sprintf("j/%s/%020d", c, height))
}

// wbuf and rbuf are a minimal binary codec: uvarints, length-prefixed
// strings and minimal big-endian amounts.
type wbuf []byte

func (w *wbuf) uvarint(v uint64) { *w = binary.AppendUvarint(*w, v) }
func (w *wbuf) str(s string)     { w.uvarint(uint64(len(s))); *w = append(*w, s...) }
func (w *wbuf) amt(a *uint256.Int) {
	b := a.Bytes32() // on the stack: Bytes would allocate
	n := (a.BitLen() + 7) / 8
	*w = append(*w, byte(n))
	*w = append(*w, b[32-n:]...)
}
func (w *wbuf) boolean(b bool) {
	if b {
		*w = append(*w, 1)
	} else {
		*w = append(*w, 0)
	}
}

var errShort = errors.New("truncated value")

type rbuf struct {
	b   []byte
	err error
}

func (r *rbuf) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rbuf) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if uint64(len(r.b)) < n {
		r.err = errShort
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *rbuf) amt(a *uint256.Int) {
	if r.err != nil {
		return
	}
	if len(r.b) < 1 || len(r.b) < 1+int(r.b[0]) || r.b[0] > 32 {
		r.err = errShort
		return
	}
	n := int(r.b[0])
	a.SetBytes(r.b[1 : 1+n])
	r.b = r.b[1+n:]
}

func (r *rbuf) boolean() bool {
	if r.err != nil {
		return false
	}
	if len(r.b) < 1 {
		r.err = errShort
		return false
	}
	v := r.b[0] != 0
	r.b = r.b[1:]
	return v
}

// hopRef encodes a reference to a hop: its key, or "" for none.
func (a *arena) hopRef(id hopID) string {
	if id == 0 {
		return ""
	}
	h := a.hop(id)
	return hopKeyString(chainIDs[h.chainID], a.txs[h.tx], h.seq, a.incs[h.inc].def.ID)
}

func (a *arena) encodeHop(id hopID) []byte {
	h := a.hop(id)
	amt := a.get(h.amt)
	var w wbuf
	w.str(a.hopRef(h.parent))
	w.uvarint(uint64(h.depth))
	w.uvarint(uint64(h.block))
	w.str(a.from(id))
	w.str(h.to.String())
	w.amt(&amt)
	if h.doubt != 0 {
		w.uvarint(uint64(h.doubt)) // absent: certain (and in hops stored before doubts)
	}
	return w
}

func (a *arena) encodeSegments(w *wbuf, segs []segment) {
	w.uvarint(uint64(len(segs)))
	for i := range segs {
		w.boolean(segs[i].tainted)
		w.amt(&segs[i].amt)
		w.str(a.hopRef(segs[i].via))
	}
}

func (a *arena) encodeHolding(h *holdingVal) []byte {
	var w wbuf
	w.amt(&h.bal)
	w.amt(&h.taint)
	w.str(a.hopRef(h.via))
	w.boolean(h.fifo != nil)
	if h.fifo != nil {
		a.encodeSegments(&w, *h.fifo)
	}
	return w
}

func (a *arena) encodeParked(p *parked) []byte {
	var w wbuf
	w.amt(&p.amt)
	w.str(a.hopRef(p.via))
	return w
}

// incidentJSON is the stored form of an incident with its runtime state.
type incidentJSON struct {
	Def        watchlists.Incident `json:"def"`
	Stolen     map[string]string   `json:"stolen"`
	Joined     bool                `json:"joined"`
	Cursor     uint64              `json:"cursor"`
	Closed     bool                `json:"closed"`
	Start      uint64              `json:"start"`
	HasStart   bool                `json:"has_start"`
	VictimOuts []string            `json:"victim_outs,omitempty"`
	Absent     bool                `json:"absent,omitempty"` // a journal prior: the block opened the incident
}

func encodeIncident(inc *incident) []byte {
	return encodeIncRuntime(inc, inc.rt)
}

func encodeIncRuntime(inc *incident, rt incRuntime) []byte {
	j := incidentJSON{Def: inc.def, Stolen: map[string]string{}, Joined: rt.joined, Cursor: rt.cursor, Closed: rt.closed, Start: inc.start, HasStart: inc.hasStart, Absent: rt.absent}
	for k, v := range rt.stolen {
		j.Stolen[k] = v.Dec()
	}
	for op := range rt.victimOuts {
		j.VictimOuts = append(j.VictimOuts, op.String())
	}
	sort.Strings(j.VictimOuts)
	b, _ := json.Marshal(j)
	return b
}

func decodeIncRuntime(b []byte) (incidentJSON, incRuntime, error) {
	var j incidentJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return j, incRuntime{}, err
	}
	rt := incRuntime{stolen: map[string]*uint256.Int{}, joined: j.Joined, cursor: j.Cursor, closed: j.Closed, absent: j.Absent}
	for k, v := range j.Stolen {
		a, err := uint256.FromDecimal(v)
		if err != nil {
			return j, rt, fmt.Errorf("stolen %s: %w", k, err)
		}
		rt.stolen[k] = a
	}
	for _, s := range j.VictimOuts {
		op, err := parseOutpoint(s)
		if err != nil {
			return j, rt, err
		}
		if rt.victimOuts == nil {
			rt.victimOuts = map[chains.Outpoint]bool{}
		}
		rt.victimOuts[op] = true
	}
	return j, rt, nil
}

// parseOutpoint parses "txid:vout".
func parseOutpoint(s string) (chains.Outpoint, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return chains.Outpoint{}, fmt.Errorf("outpoint %q: want txid:vout", s)
	}
	n, err := strconv.ParseUint(s[i+1:], 10, 32)
	if err != nil {
		return chains.Outpoint{}, fmt.Errorf("outpoint %q: bad output index", s)
	}
	return chains.Outpoint{Tx: s[:i], Index: uint32(n)}, nil
}
