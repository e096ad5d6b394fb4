package tracer

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/holiman/uint256"
)

// The transfer index (docs/decisions/0014-transfer-index.md): every block
// the engine applies live is kept as a record, written in the block's
// batch and deleted with its undo, so that a late incident's catch-up and
// a trace replay what the daemon saw without the node, and the clean part
// of an address comes from the node's recent balance minus the flows the
// index holds since. It is never loaded into memory: Load skips its keys.
//
//	x/m/<chain>                          what the index holds (indexMeta, JSON)
//	x/b/<chain>/<height, 20 digits>      block record (tindex_codec.go)
//	x/a/<chain>/<address>/<height, 8 bytes>  an address's net flows in a block (account model);
//	                                         on Bitcoin, empty: an output of the block pays the address
//
// <address> is a tag byte and the address: 1 and its 20 bytes for 0x-hex,
// 0 and the string otherwise.

// IndexStore is a Store the transfer index can read: by key and by range.
type IndexStore interface {
	// GetTracer returns the value at key; nil when absent.
	GetTracer(ctx context.Context, key []byte) ([]byte, error)
	// ScanTracerRange calls fn for every key in [lo, hi) in key order (hi
	// nil: no upper bound). fn must copy what it keeps.
	ScanTracerRange(ctx context.Context, lo, hi []byte, fn func(key, val []byte) error) error
}

// IndexConfig configures the transfer index.
type IndexConfig struct {
	// Enabled keeps the index. The Store must implement IndexStore.
	Enabled bool
	// Retain prunes blocks older (block time) than this behind the newest
	// indexed block. Zero, with RetainBlocks zero: nothing is pruned.
	Retain time.Duration
	// RetainBlocks, when set, keeps this many blocks instead.
	RetainBlocks uint64
}

// indexPruneBatch bounds the blocks pruned per block written, so that a
// shortened retention or a gap catches up over the next blocks instead
// of in one huge batch.
const indexPruneBatch = 64

// indexMeta is what the index holds of a chain: the contiguous heights
// first…last, and a stale range left by a gap, pruned as blocks come.
type indexMeta struct {
	Has       bool      `json:"has"`
	First     uint64    `json:"first"`
	Last      uint64    `json:"last"`
	FirstTime time.Time `json:"first_time,omitzero"`
	LastTime  time.Time `json:"last_time,omitzero"`
	// StaleFrom…StaleTo (when Stale) are records of an earlier run of
	// the index, before a gap, still to delete.
	Stale     bool   `json:"stale,omitempty"`
	StaleFrom uint64 `json:"stale_from,omitempty"`
	StaleTo   uint64 `json:"stale_to,omitempty"`
}

// transferIndex is the engine's transfer index.
type transferIndex struct {
	cfg IndexConfig
	st  IndexStore

	mu   sync.Mutex
	meta map[chains.Chain]*indexMeta // loaded on first use
}

func idxMetaKey(c chains.Chain) []byte { return []byte("x/m/" + string(c)) }

func idxBlockKey(c chains.Chain, h uint64) []byte {
	return fmt.Appendf(nil, "x/b/%s/%020d", c, h)
}

// appendAddrPrefix appends the prefix of addr's entries.
func appendAddrPrefix(w []byte, c chains.Chain, addr string) []byte {
	w = append(append(append(w, "x/a/"...), c...), '/')
	if len(addr) == 42 && addr[0] == '0' && addr[1] == 'x' {
		var a addr20
		if decodeLowerHex(a[:], addr[2:]) {
			return append(append(w, 1), a[:]...)
		}
	}
	return append(append(append(w, 0), addr...), '/')
}

func appendAddrKey(w []byte, c chains.Chain, addr string, h uint64) []byte {
	return binary.BigEndian.AppendUint64(appendAddrPrefix(w, c, addr), h)
}

func idxAddrPrefix(c chains.Chain, addr string) []byte { return appendAddrPrefix(nil, c, addr) }

func idxAddrKey(c chains.Chain, addr string, h uint64) []byte { return appendAddrKey(nil, c, addr, h) }

// idxPrefix is the first key of the index's keyspace; idxEnd follows its last.
var idxPrefix, idxEnd = []byte("x/"), []byte("x0")

// metaOf returns c's meta, reading it from the store the first time.
// Call with x.mu held.
func (x *transferIndex) metaOf(ctx context.Context, c chains.Chain) (*indexMeta, error) {
	if m := x.meta[c]; m != nil {
		return m, nil
	}
	v, err := x.st.GetTracer(ctx, idxMetaKey(c))
	if err != nil {
		return nil, fmt.Errorf("read the %s transfer index: %w", c, err)
	}
	m := &indexMeta{}
	if v != nil {
		if err := json.Unmarshal(v, m); err != nil {
			return nil, fmt.Errorf("read the %s transfer index: %s: %w", c, idxMetaKey(c), err)
		}
	}
	x.meta[c] = m
	return m, nil
}

// covered returns the heights the index holds of c (ok false: none).
func (x *transferIndex) covered(ctx context.Context, c chains.Chain) (first, last uint64, ok bool, err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	m, err := x.metaOf(ctx, c)
	if err != nil || !m.Has {
		return 0, 0, false, err
	}
	return m.First, m.Last, true, nil
}

// netFlows is an address's net flow of each asset (by asset key) in a
// block, decoded.
type netFlows map[string]*big.Int

// assetFlow is what an address received and sent of one asset in a block.
type assetFlow struct {
	asset   string
	in, out uint256.Int
}

// addrFlows is an address's flows in a block, by asset in first-seen
// order: most addresses move one asset, kept inline.
type addrFlows struct {
	addr  string
	first assetFlow
	more  []assetFlow
	n     int // assets: 0, 1 (first) or 1+len(more)
}

func (f *addrFlows) at(i int) *assetFlow {
	if i == 0 {
		return &f.first
	}
	return &f.more[i-1]
}

func (f *addrFlows) of(asset string) *assetFlow {
	for i := 0; i < f.n; i++ {
		if x := f.at(i); x.asset == asset {
			return x
		}
	}
	f.n++
	if f.n == 1 {
		f.first.asset = asset
		return &f.first
	}
	f.more = append(f.more, assetFlow{asset: asset})
	return &f.more[len(f.more)-1]
}

// nonzero reports whether any asset's net flow is not zero.
func (f *addrFlows) nonzero() bool {
	for i := 0; i < f.n; i++ {
		if x := f.at(i); !x.in.Eq(&x.out) {
			return true
		}
	}
	return false
}

// blockNetFlows sums b's transfers per address and asset (encodeBlock).
func blockNetFlows(b *chains.Block) []addrFlows {
	_, f := encodeBlock(b, true)
	return f
}

// appendNetFlows appends f's encoding: the number of assets with a net
// flow, then per asset its key, a sign byte (0 in, 1 out) and the amount.
func appendNetFlows(w wbuf, f *addrFlows) wbuf {
	n := 0
	for i := 0; i < f.n; i++ {
		if x := f.at(i); !x.in.Eq(&x.out) {
			n++
		}
	}
	w.uvarint(uint64(n))
	var d uint256.Int
	for i := 0; i < f.n; i++ {
		x := f.at(i)
		if x.in.Eq(&x.out) {
			continue
		}
		w.hexStr(x.asset)
		if x.out.Gt(&x.in) {
			d.Sub(&x.out, &x.in)
			w = append(w, 1)
		} else {
			d.Sub(&x.in, &x.out)
			w = append(w, 0)
		}
		w.amt(&d)
	}
	return w
}

func decodeNetFlows(v []byte) (netFlows, error) {
	r := rbuf{b: v}
	n := r.count()
	f := make(netFlows, n)
	var a uint256.Int
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.hexStr()
		neg := r.u8() == 1
		r.amt(&a)
		x := a.ToBig()
		if neg {
			x.Neg(x)
		}
		f[k] = x
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes after the flows", len(r.b))
	}
	return f, r.err
}

// IndexKVs returns the keys and values the transfer index writes for b:
// its record and, on the account model, one entry per address it moves
// value of (the figures of docs/decisions/0014-transfer-index.md); on
// Bitcoin one empty entry per address its outputs pay, for screening
// (docs/decisions/0022-screening.md).
func IndexKVs(b *chains.Block) []KV { return blockKVs(b) }

func blockKVs(b *chains.Block) []KV {
	if b.Chain == chains.Bitcoin {
		// The UTXO model reads no balances: the entries name the block
		// only, for screening's hops.
		rec, _ := encodeBlock(b, false)
		addrs := utxoPayees(b)
		kvs := make([]KV, 1, 1+len(addrs))
		kvs[0] = KV{idxBlockKey(b.Chain, b.Ref.Number), rec}
		for _, a := range addrs {
			kvs = append(kvs, KV{idxAddrKey(b.Chain, a, b.Ref.Number), []byte{}})
		}
		return kvs
	}
	rec, flows := encodeBlock(b, true)
	kvs := make([]KV, 1, 1+len(flows))
	kvs[0] = KV{idxBlockKey(b.Chain, b.Ref.Number), rec}
	// Keys and values share one buffer.
	buf := make(wbuf, 0, len(flows)*96)
	type span struct{ k0, k1, v1 int }
	spans := make([]span, 0, len(flows))
	for i := range flows {
		f := &flows[i]
		if !f.nonzero() {
			continue
		}
		k0 := len(buf)
		buf = appendAddrKey(buf, b.Chain, f.addr, b.Ref.Number)
		k1 := len(buf)
		buf = appendNetFlows(buf, f)
		spans = append(spans, span{k0, k1, len(buf)})
	}
	for _, s := range spans {
		kvs = append(kvs, KV{buf[s.k0:s.k1:s.k1], buf[s.k1:s.v1:s.v1]})
	}
	return kvs
}

// storedKeys returns the keys of the stored record of c at h (nil when
// there is none) and its block reference.
func (x *transferIndex) storedKeys(ctx context.Context, c chains.Chain, h uint64) ([][]byte, chains.BlockRef, error) {
	v, err := x.st.GetTracer(ctx, idxBlockKey(c, h))
	if err != nil || v == nil {
		return nil, chains.BlockRef{}, err
	}
	keys := [][]byte{idxBlockKey(c, h)}
	b, err := decodeBlockRecord(c, v)
	if err != nil {
		// Unreadable: delete the record; its address keys stay (pruned
		// nowhere, harmless: balances and screening read only blocks
		// held).
		if c == chains.Bitcoin {
			ref, err := decodeRecordRef(v)
			return keys, ref, err
		}
		return keys, chains.BlockRef{Number: h}, nil
	}
	if c == chains.Bitcoin {
		for _, a := range utxoPayees(b) {
			keys = append(keys, idxAddrKey(c, a, h))
		}
		return keys, b.Ref, nil
	}
	flows := blockNetFlows(b)
	for i := range flows {
		if flows[i].nonzero() {
			keys = append(keys, idxAddrKey(c, flows[i].addr, h))
		}
	}
	return keys, b.Ref, nil
}

// utxoPayees returns the distinct addresses b's outputs pay, in block
// order: the Bitcoin address entries of b.
func utxoPayees(b *chains.Block) []string {
	seen := map[string]bool{}
	var out []string
	for i := range b.Txs {
		for k := range b.Txs[i].Outputs {
			a := b.OutputAddress(&b.Txs[i].Outputs[k])
			if a == "" || seen[a] {
				continue
			}
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// idxOp is a block written (b set) or undone (b nil) in one step.
type idxOp struct {
	b      *chains.Block
	kvs    func() []KV // b's index entries (nil: encoded when written)
	undone bool        // a record stored before the step is deleted first
}

func (op *idxOp) entries() []KV {
	if op.kvs != nil {
		return op.kvs()
	}
	return blockKVs(op.b)
}

// encodeAhead starts encoding b's index entries while the engine applies
// it (the engine only reads an account-model block); a UTXO block is
// encoded when written, as encoding derives its deferred addresses.
func encodeAhead(b *chains.Block) func() []KV {
	if b.Chain == chains.Bitcoin {
		return nil
	}
	ch := make(chan []KV, 1)
	go func() { ch <- blockKVs(b) }()
	return sync.OnceValue(func() []KV { return <-ch })
}

// batch returns the puts and deletes that write the step's index
// changes, and the metas to keep once they are written.
func (x *transferIndex) batch(ctx context.Context, ops map[chains.Chain]map[uint64]*idxOp) (puts []KV, dels [][]byte, metas map[chains.Chain]indexMeta, err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	cs := make([]chains.Chain, 0, len(ops))
	for c := range ops {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	metas = map[chains.Chain]indexMeta{}
	for _, c := range cs {
		cur, err := x.metaOf(ctx, c)
		if err != nil {
			return nil, nil, nil, err
		}
		m := *cur
		hs := make([]uint64, 0, len(ops[c]))
		for h := range ops[c] {
			hs = append(hs, h)
		}
		slices.Sort(hs)
		// Undone blocks, newest first: their stored keys go, and the
		// index ends below them.
		for i := len(hs) - 1; i >= 0; i-- {
			h, op := hs[i], ops[c][hs[i]]
			if !op.undone {
				continue
			}
			var put map[string]bool
			if op.b != nil {
				put = map[string]bool{}
				for _, kv := range op.entries() {
					put[string(kv.Key)] = true
				}
			}
			keys, _, err := x.storedKeys(ctx, c, h)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("undo %s block %d in the transfer index: %w", c, h, err)
			}
			for _, k := range keys {
				if !put[string(k)] {
					dels = append(dels, k)
				}
			}
			if m.Has && m.Last >= h {
				if h == 0 || h <= m.First {
					m.Has = false
				} else {
					m.Last = h - 1
					m.LastTime = time.Time{}
				}
			}
		}
		for _, h := range hs {
			op := ops[c][h]
			if op.b == nil {
				continue
			}
			puts = append(puts, op.entries()...)
			switch {
			case m.Has && h == m.Last+1:
				m.Last, m.LastTime = h, op.b.Ref.Time
			case m.Has && h >= m.First && h <= m.Last:
				// Written again in place (applied again after a rewind).
			default:
				// A gap: a new run starts; the old one is deleted as blocks come.
				old := m
				m = indexMeta{Has: true, First: h, Last: h, FirstTime: op.b.Ref.Time, LastTime: op.b.Ref.Time}
				if old.Has {
					m.Stale, m.StaleFrom, m.StaleTo = true, old.First, old.Last
					if old.Stale {
						m.StaleFrom, m.StaleTo = min(old.First, old.StaleFrom), max(old.Last, old.StaleTo)
					}
				} else if old.Stale {
					m.Stale, m.StaleFrom, m.StaleTo = true, old.StaleFrom, old.StaleTo
				}
				if m.Stale && m.StaleTo >= h {
					// Never delete what the new run writes.
					if m.StaleFrom >= h {
						m.Stale = false
					} else {
						m.StaleTo = h - 1
					}
				}
			}
		}
		pd, err := x.prune(ctx, c, &m, ops[c])
		if err != nil {
			return nil, nil, nil, err
		}
		dels = append(dels, pd...)
		v, _ := json.Marshal(m)
		puts = append(puts, KV{idxMetaKey(c), v})
		metas[c] = m
	}
	return puts, dels, metas, nil
}

// expired reports whether m's first block is past the retention.
func (x *transferIndex) expired(m *indexMeta) bool {
	if !m.Has || m.First >= m.Last {
		return false // the newest block stays
	}
	if x.cfg.RetainBlocks > 0 {
		return m.Last-m.First+1 > x.cfg.RetainBlocks
	}
	if x.cfg.Retain <= 0 || m.FirstTime.IsZero() || m.LastTime.IsZero() {
		return false
	}
	return m.FirstTime.Before(m.LastTime.Add(-x.cfg.Retain))
}

// prune deletes, at most indexPruneBatch blocks at a time, the stale run
// and the blocks past the retention, moving m's first block on. A block
// the step writes (ops) is not deleted.
func (x *transferIndex) prune(ctx context.Context, c chains.Chain, m *indexMeta, ops map[uint64]*idxOp) ([][]byte, error) {
	var dels [][]byte
	storedKeys := func(ctx context.Context, c chains.Chain, h uint64) ([][]byte, chains.BlockRef, error) {
		if op := ops[h]; op != nil && op.b != nil {
			return nil, chains.BlockRef{}, nil
		}
		return x.storedKeys(ctx, c, h)
	}
	n := 0
	for ; m.Stale && n < indexPruneBatch; n++ {
		keys, _, err := storedKeys(ctx, c, m.StaleFrom)
		if err != nil {
			return nil, fmt.Errorf("prune the %s transfer index at %d: %w", c, m.StaleFrom, err)
		}
		dels = append(dels, keys...)
		if m.StaleFrom == m.StaleTo {
			m.Stale, m.StaleFrom, m.StaleTo = false, 0, 0
			break
		}
		m.StaleFrom++
	}
	for ; x.expired(m) && n < indexPruneBatch; n++ {
		keys, _, err := storedKeys(ctx, c, m.First)
		if err != nil {
			return nil, fmt.Errorf("prune the %s transfer index at %d: %w", c, m.First, err)
		}
		dels = append(dels, keys...)
		m.First++
		m.FirstTime = time.Time{}
		// The new first block's time (absent heights are skipped).
		for m.First < m.Last {
			if op := ops[m.First]; op != nil && op.b != nil {
				m.FirstTime = op.b.Ref.Time // written by this step
				break
			}
			v, err := x.st.GetTracer(ctx, idxBlockKey(c, m.First))
			if err != nil {
				return nil, fmt.Errorf("prune the %s transfer index at %d: %w", c, m.First, err)
			}
			if v != nil {
				if ref, err := decodeRecordRef(v); err == nil {
					m.FirstTime = ref.Time
				}
				break
			}
			m.First++
		}
	}
	return dels, nil
}

// commit keeps the metas of a written batch.
func (x *transferIndex) commit(metas map[chains.Chain]indexMeta) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for c, m := range metas {
		x.meta[c] = &m
	}
}

// block returns c's block at h from the index (nil: not held).
func (x *transferIndex) block(ctx context.Context, c chains.Chain, h uint64) (*chains.Block, error) {
	first, last, ok, err := x.covered(ctx, c)
	if err != nil || !ok || h < first || h > last {
		return nil, err
	}
	v, err := x.st.GetTracer(ctx, idxBlockKey(c, h))
	if err != nil || v == nil {
		return nil, err
	}
	return decodeBlockRecord(c, v)
}

// flowsAfter sums addr's net flow of asset in blocks after..to.
func (x *transferIndex) flowsAfter(ctx context.Context, c chains.Chain, addr, asset string, after, to uint64) (*big.Int, error) {
	p := idxAddrPrefix(c, addr)
	lo := binary.BigEndian.AppendUint64(slices.Clip(p), after+1)
	hi := binary.BigEndian.AppendUint64(slices.Clip(p), to+1)
	if to == ^uint64(0) {
		hi = nil
	}
	sum := new(big.Int)
	err := x.st.ScanTracerRange(ctx, lo, hi, func(key, val []byte) error {
		f, err := decodeNetFlows(val)
		if err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
		if v := f[asset]; v != nil {
			sum.Add(sum, v)
		}
		return nil
	})
	return sum, err
}

// indexedSource reads blocks from the index where it holds them, else
// from the node.
type indexedSource struct {
	x     *transferIndex
	chain chains.Chain
	node  chains.BlockSource
}

func (s *indexedSource) BlockByNumber(ctx context.Context, n uint64) (*chains.Block, error) {
	b, err := s.x.block(ctx, s.chain, n)
	if err != nil {
		return nil, fmt.Errorf("%s block %d from the transfer index: %w", s.chain, n, err)
	}
	if b != nil {
		return b, nil
	}
	if s.node == nil {
		return nil, fmt.Errorf("%s block %d: not in the transfer index and no node to ask", s.chain, n)
	}
	b, err = s.node.BlockByNumber(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("%s block %d is not in the transfer index (%s): the node failed: %w", s.chain, n, s.x.describe(ctx, s.chain), err)
	}
	return b, nil
}

func (s *indexedSource) HeadNumber(ctx context.Context) (uint64, error) {
	if s.node == nil {
		_, last, ok, err := s.x.covered(ctx, s.chain)
		if err == nil && !ok {
			err = fmt.Errorf("%s: the transfer index holds no block", s.chain)
		}
		return last, err
	}
	return s.node.HeadNumber(ctx)
}

// describe names what the index holds of c, for errors.
func (x *transferIndex) describe(ctx context.Context, c chains.Chain) string {
	first, last, ok, err := x.covered(ctx, c)
	switch {
	case err != nil:
		return "unreadable: " + err.Error()
	case !ok:
		return "it holds no block"
	}
	return fmt.Sprintf("it holds blocks %d–%d", first, last)
}

// ErrIndexNotCovering wraps a balance the node could not give for a block
// the transfer index does not cover either.
var ErrIndexNotCovering = errors.New("the transfer index does not cover the range: an archive node (or a longer index: index.retain) is needed")

// indexedBalances reads a balance at an old block as the node's balance
// at the newest indexed block minus the net flows the index holds after
// the block asked for, and asks the node for that block only where the
// index does not cover the range.
type indexedBalances struct {
	x     *transferIndex
	chain chains.Chain
	node  chains.BalanceReader
}

func (r *indexedBalances) BalanceAt(ctx context.Context, addr string, asset chains.Asset, block uint64) (*big.Int, error) {
	first, last, ok, err := r.x.covered(ctx, r.chain)
	if err != nil {
		return nil, err
	}
	if !ok || block >= last || block+1 < first {
		bal, err := r.node.BalanceAt(ctx, addr, asset, block)
		if err != nil && ok && block < last {
			return nil, fmt.Errorf("balance of %s at %s block %d: %w (it holds blocks %d–%d): %w", addr, r.chain, block, ErrIndexNotCovering, first, last, err)
		}
		if err != nil && !ok {
			return nil, fmt.Errorf("balance of %s at %s block %d: %w (it holds no block): %w", addr, r.chain, block, ErrIndexNotCovering, err)
		}
		return bal, err
	}
	now, err := r.node.BalanceAt(ctx, addr, asset, last)
	if err != nil {
		return nil, fmt.Errorf("balance of %s at %s block %d, the newest indexed: %w", addr, r.chain, last, err)
	}
	flows, err := r.x.flowsAfter(ctx, r.chain, addr, asset.Key(), block, last)
	if err != nil {
		return nil, fmt.Errorf("flows of %s in %s blocks %d–%d from the transfer index: %w", addr, r.chain, block+1, last, err)
	}
	bal := new(big.Int).Sub(now, flows)
	if bal.Sign() < 0 {
		return nil, fmt.Errorf("balance of %s at %s block %d: the transfer index holds %s more in flows after it than the balance at block %d (%s): it misses flows (fee recipient, withdrawals or internal transfers without traces?)", addr, r.chain, block, new(big.Int).Neg(bal), last, now)
	}
	return bal, nil
}
