package tornado

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
)

// The recogniser's State keys, per pool:
//
//	p/<pool>             poolState: denomination, unmatched count, and
//	                     per incident the taint still in the pool
//	t/<pool>             the tainted deposits the heuristics may link
//	g/<pool>/<gas price> deposits paid at that gas price
//	a/<pool>/<depositor> deposits of that depositor not linked yet
//
// and across pools:
//
//	hs/<pool>            the block before the live pass first saw the pool:
//	                     its history ends there (history.go)
//	hd/<pool>            the history loaded so far: the next block to read,
//	                     or done
//	hg/<pool>/<gas>      history: deposits paid at that gas price
//	ha/<pool>/<depositor> history: deposits of that depositor
//	                     (the h keys but hs are written outside blocks)
//	pools                the pools holding tainted deposits
//	w/<recipient>        the recipient's withdrawals of the last 24 hours
//	                     (pool and time), for the multi-denomination match
//	l/<depositor>        a tainted depositor's transactions with each
//	                     counterparty outside Tornado, for the linked-address
//	                     match (kept while it has tainted deposits)
//
// Values are a compact binary encoding (stateVersion first): the pool's
// state is read and written at each of its events.
func poolKey(pool string) string                 { return "p/" + pool }
func taintedKey(pool string) string              { return "t/" + pool }
func gasKeyS(pool, gas string) string            { return "g/" + pool + "/" + gas }
func depositorKey(pool, depositor string) string { return "a/" + pool + "/" + depositor }

func gasKey(pool string, g *big.Int) string {
	if g == nil {
		return ""
	}
	return gasKeyS(pool, g.String())
}

const stateVersion = 1

// poolState is what the recogniser knows of one pool.
type poolState struct {
	Asset chains.Asset
	Denom *big.Int
	// Unmatched deposits: deposited and not yet withdrawn.
	Unmatched uint64
	// Partial: Unmatched counts only what was seen (the pool's balance
	// could not be read); it is set from the balance when it can be.
	Partial bool
	// Decay is the sum of ln((n−1)/n) over the withdrawals the baseline
	// spread over n unmatched deposits: a deposit made when it was d is
	// still unmatched with probability e^(Decay−d).
	Decay float64
	// Groups hold the incidents' taint in the pool, per place it parked.
	Groups []group
}

// group is an incident's taint parked at one place (the pool or a
// router) through this pool, and the expected number of its deposits
// still unmatched.
type group struct {
	Incident, Parked string
	Taint            *big.Int
	Weight           float64
}

// taintedDeposit is one deposit paid with an incident's taint, kept so a
// heuristic can tie a withdrawal to it.
type taintedDeposit struct {
	Incident, Parked string
	Depositor        string
	GasPrice         string
	Block            uint64
	Time             int64 // block time, unix seconds
	// Taint it carried in, and the pool's Decay then.
	Taint *big.Int
	Decay float64
}

// weight is the chance d is still unmatched.
func (d *taintedDeposit) weight(p *poolState) float64 { return math.Exp(p.Decay - d.Decay) }

func (p *poolState) group(inc, parked string) *group {
	for i := range p.Groups {
		if p.Groups[i].Incident == inc && p.Groups[i].Parked == parked {
			return &p.Groups[i]
		}
	}
	p.Groups = append(p.Groups, group{Incident: inc, Parked: parked, Taint: new(big.Int)})
	return &p.Groups[len(p.Groups)-1]
}

// encoder and decoder of the binary values.
type encoder []byte

func (e *encoder) uvarint(v uint64) { *e = binary.AppendUvarint(*e, v) }
func (e *encoder) float(f float64)  { *e = binary.LittleEndian.AppendUint64(*e, math.Float64bits(f)) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); *e = append(*e, s...) }
func (e *encoder) bigint(x *big.Int) {
	b := x.Bytes()
	e.uvarint(uint64(len(b)))
	*e = append(*e, b...)
}

type decoder struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated")

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errShort
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) float() float64 {
	if d.err != nil || len(d.b) < 8 {
		d.err = errShort
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return f
}

func (d *decoder) str() string      { return string(d.bytes()) }
func (d *decoder) bigint() *big.Int { return new(big.Int).SetBytes(d.bytes()) }

func (p *poolState) encode() []byte {
	e := encoder{stateVersion}
	e.str(p.Asset.Symbol)
	e.str(p.Asset.Contract)
	e.uvarint(uint64(p.Asset.Decimals))
	e.bigint(p.Denom)
	e.uvarint(p.Unmatched)
	partial := uint64(0)
	if p.Partial {
		partial = 1
	}
	e.uvarint(partial)
	e.float(p.Decay)
	e.uvarint(uint64(len(p.Groups)))
	for _, g := range p.Groups {
		e.str(g.Incident)
		e.str(g.Parked)
		e.bigint(g.Taint)
		e.float(g.Weight)
	}
	return e
}

// versioned is a decoder past b's version byte, or an error for a version
// this build does not know.
func versioned(b []byte) (decoder, error) {
	if len(b) == 0 || b[0] != stateVersion {
		return decoder{}, fmt.Errorf("unknown version")
	}
	return decoder{b: b[1:]}, nil
}

// versionedList is versioned followed by a list's length, checked against
// the bytes left (each element takes at least one).
func versionedList(b []byte) (decoder, uint64, error) {
	d, err := versioned(b)
	if err != nil {
		return d, 0, err
	}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return d, 0, errShort
	}
	return d, n, nil
}

func decodePool(b []byte) (*poolState, error) {
	d, err := versioned(b)
	if err != nil {
		return nil, err
	}
	p := &poolState{}
	p.Asset.Symbol = d.str()
	p.Asset.Contract = d.str()
	p.Asset.Decimals = uint8(d.uvarint())
	p.Denom = d.bigint()
	p.Unmatched = d.uvarint()
	p.Partial = d.uvarint() == 1
	p.Decay = d.float()
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, errShort
	}
	p.Groups = make([]group, 0, n)
	for range n {
		p.Groups = append(p.Groups, group{Incident: d.str(), Parked: d.str(), Taint: d.bigint(), Weight: d.float()})
	}
	if d.err == nil && p.Denom.Sign() <= 0 {
		d.err = errors.New("no denomination")
	}
	return p, d.err
}

func encodeTainted(ts []taintedDeposit) []byte {
	e := encoder{stateVersion}
	e.uvarint(uint64(len(ts)))
	for _, t := range ts {
		e.str(t.Incident)
		e.str(t.Parked)
		e.str(t.Depositor)
		e.str(t.GasPrice)
		e.uvarint(t.Block)
		e.uvarint(uint64(t.Time))
		e.bigint(t.Taint)
		e.float(t.Decay)
	}
	return e
}

func decodeTainted(b []byte) ([]taintedDeposit, error) {
	d, n, err := versionedList(b)
	if err != nil {
		return nil, err
	}
	ts := make([]taintedDeposit, 0, n)
	for range n {
		ts = append(ts, taintedDeposit{Incident: d.str(), Parked: d.str(), Depositor: d.str(), GasPrice: d.str(),
			Block: d.uvarint(), Time: int64(d.uvarint()), Taint: d.bigint(), Decay: d.float()})
	}
	return ts, d.err
}

func loadPool(st tracer.State, pool string) (*poolState, error) {
	v, ok := st.Get(poolKey(pool))
	if !ok {
		return nil, nil
	}
	p, err := decodePool(v)
	if err != nil {
		return nil, fmt.Errorf("tornado pool %s: stored state unreadable: %w", pool, err)
	}
	return p, nil
}

func savePool(st tracer.State, pool string, p *poolState) {
	groups := p.Groups[:0]
	for _, g := range p.Groups {
		if g.Taint.Sign() > 0 {
			groups = append(groups, g)
		}
	}
	p.Groups = groups
	st.Put(poolKey(pool), p.encode())
}

func loadTainted(st tracer.State, pool string) ([]taintedDeposit, error) {
	v, ok := st.Get(taintedKey(pool))
	if !ok {
		return nil, nil
	}
	ts, err := decodeTainted(v)
	if err != nil {
		return nil, fmt.Errorf("tornado pool %s: stored deposits unreadable: %w", pool, err)
	}
	return ts, nil
}

func getCount(st tracer.State, key string) int {
	v, ok := st.Get(key)
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(string(v))
	return n
}

// addCount adds d to the count at key, deleting it at zero. A count may
// go below zero: it is then what was taken from the pool's history
// (history.go), which blocks never write.
func addCount(st tracer.State, key string, d int) {
	if key == "" {
		return
	}
	n := getCount(st, key) + d
	if n == 0 {
		st.Delete(key)
		return
	}
	st.Put(key, strconv.AppendInt(nil, int64(n), 10))
}

// gasCount is the pool's deposits at gas price gas not linked yet: seen
// live, and before that in the pool's history.
func gasCount(st tracer.State, pool, gas string) int {
	return getCount(st, gasKeyS(pool, gas)) + getCount(st, histGasKey(pool, gas))
}

// depositorCount is depositor's deposits into pool not linked yet.
func depositorCount(st tracer.State, pool, depositor string) int {
	return getCount(st, depositorKey(pool, depositor)) + getCount(st, histDepositorKey(pool, depositor))
}

// withdrawalSeen is one withdrawal of a recipient: its pool and time.
type withdrawalSeen struct {
	Pool string
	Time int64
}

func loadStrings(st tracer.State, key string) []string {
	v, ok := st.Get(key)
	if !ok {
		return nil
	}
	d := decoder{b: v}
	n := d.uvarint()
	var out []string
	for i := uint64(0); i < n && d.err == nil; i++ {
		out = append(out, d.str())
	}
	return out
}

func saveStrings(st tracer.State, key string, ss []string) {
	if len(ss) == 0 {
		st.Delete(key)
		return
	}
	var e encoder
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
	st.Put(key, e)
}

func loadSeen(st tracer.State, key string) []withdrawalSeen {
	v, ok := st.Get(key)
	if !ok {
		return nil
	}
	d := decoder{b: v}
	n := d.uvarint()
	var out []withdrawalSeen
	for i := uint64(0); i < n && d.err == nil; i++ {
		out = append(out, withdrawalSeen{Pool: d.str(), Time: int64(d.uvarint())})
	}
	return out
}

func saveSeen(st tracer.State, key string, ws []withdrawalSeen) {
	if len(ws) == 0 {
		st.Delete(key)
		return
	}
	var e encoder
	e.uvarint(uint64(len(ws)))
	for _, w := range ws {
		e.str(w.Pool)
		e.uvarint(uint64(w.Time))
	}
	st.Put(key, e)
}

func interactKey(depositor string) string { return "l/" + depositor }

// peer is a counterparty of a tainted depositor: the transactions the
// depositor sent it and those it sent the depositor, outside Tornado.
type peer struct {
	Addr     string
	Sent     uint32
	Received uint32
}

func encodePeers(ps []peer) []byte {
	e := encoder{stateVersion}
	e.uvarint(uint64(len(ps)))
	for _, p := range ps {
		e.str(p.Addr)
		e.uvarint(uint64(p.Sent))
		e.uvarint(uint64(p.Received))
	}
	return e
}

func decodePeers(b []byte) ([]peer, error) {
	d, n, err := versionedList(b)
	if err != nil {
		return nil, err
	}
	ps := make([]peer, 0, n)
	for range n {
		ps = append(ps, peer{Addr: d.str(), Sent: uint32(d.uvarint()), Received: uint32(d.uvarint())})
	}
	return ps, d.err
}
