package tracer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// errPruned is what a full node says of a block whose state it dropped.
var errPruned = errors.New("historical state is not available")

// prunedNode is a full node over a recorded chain: blocks and balances
// below head-keep are gone (as geth's debug_traceBlockByHash and
// eth_getBalance fail on them), the rest is answered.
type prunedNode struct {
	chain *chainLog
	bals  chains.BalanceReader
	keep  uint64
	asked []uint64 // balance heights asked for
}

func (p *prunedNode) head() uint64 { h, _ := p.chain.HeadNumber(context.Background()); return h }

func (p *prunedNode) BlockByNumber(ctx context.Context, n uint64) (*chains.Block, error) {
	if n+p.keep < p.head() {
		return nil, fmt.Errorf("trace block %d: %w", n, errPruned)
	}
	return p.chain.BlockByNumber(ctx, n)
}

func (p *prunedNode) HeadNumber(ctx context.Context) (uint64, error) { return p.chain.HeadNumber(ctx) }

func (p *prunedNode) BalanceAt(ctx context.Context, addr string, a chains.Asset, n uint64) (*big.Int, error) {
	p.asked = append(p.asked, n)
	if n+p.keep < p.head() {
		return nil, &chains.StateUnavailableError{Chain: chains.Ethereum, Block: n, NodeMessage: errPruned.Error()}
	}
	return p.bals.BalanceAt(ctx, addr, a, n)
}

func (p *prunedNode) Prevouts(ctx context.Context, ops []chains.Outpoint) ([]chains.Output, error) {
	return nil, fmt.Errorf("prevouts: %w", errPruned)
}

func openStore(t testing.TB, dir string) *pebble.Store {
	t.Helper()
	s, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestIndexCatchUpOnFullNode: a late incident on a node that kept only
// the last blocks' state catches up from the transfer index — blocks and
// clean balances — and ends where an incident open from the start ends,
// with the same findings; without the index it fails naming the range.
func TestIndexCatchUpOnFullNode(t *testing.T) {
	for _, w := range worlds(17) {
		t.Run(string(w.chain), func(t *testing.T) {
			chain := &chainLog{}
			if w.chain == chains.Ethereum {
				chain.add(ethBlock(0, ""))
			} else {
				chain.add(btcBlock(0, ""))
			}
			for _, b := range w.blocks {
				chain.add(b)
			}
			seed := "0x1-0"
			if w.chain == chains.Bitcoin {
				seed = "b1-0"
			}
			inc := watchlists.Incident{ID: "inc_late", Chain: w.chain, Seeds: []watchlists.Seed{{Tx: seed}}}

			ref, refLog := newWorldEngine(t, w, watchlists.Haircut, nil)
			open(t, ref, inc)
			for _, b := range chain.blocks {
				connect(t, ref, b)
			}

			run := func(index bool) (*tracer.Engine, *findingLog, *prunedNode) {
				deps := w.deps()
				node := &prunedNode{chain: chain, bals: deps.Balances, keep: 3}
				if w.chain == chains.Ethereum {
					deps.Balances = node
				}
				log := &findingLog{}
				deps.Sink, deps.Store = log, openStore(t, t.TempDir())
				deps.Sources = map[chains.Chain]chains.BlockSource{w.chain: node}
				deps.Locators = map[chains.Chain]chains.TxLocator{w.chain: chain}
				e, err := tracer.New(tracer.Config{Index: tracer.IndexConfig{Enabled: index, Retain: 30 * 24 * time.Hour}, FinalityDepth: map[chains.Chain]int{w.chain: 100}}, deps)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { e.Close() })
				if err := e.Load(context.Background()); err != nil {
					t.Fatal(err)
				}
				for _, b := range chain.blocks {
					connect(t, e, b)
				}
				open(t, e, inc)
				waitFor(t, "catch-up", func() bool { s, _ := e.Summary("inc_late"); return s.CatchUp.Done || s.CatchUp.Error != "" })
				return e, log, node
			}

			// The old way: the node's pruned state stops the catch-up.
			e, _, _ := run(false)
			s, _ := e.Summary("inc_late")
			if !strings.Contains(s.CatchUp.Error, errPruned.Error()) || !strings.Contains(s.CatchUp.Error, "blocks 1–") {
				t.Fatalf("without the index the catch-up error is %q, want the node's error and the range", s.CatchUp.Error)
			}

			e, log, node := run(true)
			s, _ = e.Summary("inc_late")
			if s.CatchUp.Error != "" || !s.CatchUp.Done {
				t.Fatalf("catch-up from the index: %+v", s.CatchUp)
			}
			rs, _ := ref.Summary("inc_late")
			if got, want := held(t, e, "inc_late"), held(t, ref, "inc_late"); !reflect.DeepEqual(got, want) || len(rs.Stolen) == 0 {
				t.Fatalf("after catch-up\n got %v\nwant %v (stolen %v)", got, want, rs.Stolen)
			}
			if s, _ := e.Summary("inc_late"); fmt.Sprint(s.Stolen, s.Tainted, s.Services) != fmt.Sprint(rs.Stolen, rs.Tainted, rs.Services) {
				t.Fatalf("summary after catch-up\n got %v %v %v\nwant %v %v %v", s.Stolen, s.Tainted, s.Services, rs.Stolen, rs.Tainted, rs.Services)
			}
			log.mu.Lock()
			got := findingIDs(log.raised, "inc_late")
			log.mu.Unlock()
			if want := findingIDs(refLog.raised, "inc_late"); !reflect.DeepEqual(got, want) || len(want) == 0 {
				t.Fatalf("findings: got %v, want %v", got, want)
			}
			if w.chain == chains.Ethereum {
				for _, h := range node.asked {
					if h+node.keep < node.head() {
						t.Fatalf("the node was asked for the balance at pruned block %d", h)
					}
				}
				if len(node.asked) == 0 {
					t.Fatal("no clean balance was read")
				}
			}
		})
	}
}

// TestIndexBalancesExact: the index's balance at every past block equals
// the chain's, for every address, and a block the index does not cover
// is an error naming the archive node and the range.
func TestIndexBalancesExact(t *testing.T) {
	w := worlds(5)[0]
	chain := &chainLog{}
	chain.add(ethBlock(0, ""))
	for _, b := range w.blocks {
		chain.add(b)
	}
	truth := w.deps().Balances
	node := &prunedNode{chain: chain, bals: truth, keep: 0}
	deps := w.deps()
	deps.Balances, deps.Store = node, openStore(t, t.TempDir())
	e, err := tracer.New(tracer.Config{Index: tracer.IndexConfig{Enabled: true, RetainBlocks: 20}}, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, b := range chain.blocks {
		connect(t, e, b)
	}
	br := e.BalanceReader(chains.Ethereum, nil)
	head := node.head()
	first := head - 19
	ctx := context.Background()
	addrs := []string{"0xv", "0xex", "0xmix"}
	for i := 0; i < 25; i++ {
		addrs = append(addrs, fmt.Sprintf("0x%02x", i))
	}
	for _, a := range addrs {
		for n := first - 1; n <= head; n++ {
			got, err := br.BalanceAt(ctx, a, chains.ETH, n)
			if err != nil {
				t.Fatalf("balance of %s at %d: %v", a, n, err)
			}
			want, _ := truth.BalanceAt(ctx, a, chains.ETH, n)
			if got.Cmp(want) != 0 {
				t.Fatalf("balance of %s at %d: got %s, want %s", a, n, got, want)
			}
		}
	}
	_, err = br.BalanceAt(ctx, "0xv", chains.ETH, first-2)
	if !errors.Is(err, tracer.ErrIndexNotCovering) || !strings.Contains(err.Error(), "archive node") || !strings.Contains(err.Error(), fmt.Sprintf("blocks %d–%d", first, head)) {
		t.Fatalf("balance before the index: %v", err)
	}
}

// indexKeys lists the store's transfer index keys.
func indexKeys(t testing.TB, s *pebble.Store) []string {
	t.Helper()
	var out []string
	if err := s.ScanTracerRange(context.Background(), []byte("x/"), []byte("x0"), func(k, _ []byte) error {
		out = append(out, string(k))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func has(keys []string, prefix string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// TestIndexReorgUndoes: a block undone leaves the index (its record and
// its address entries) and the block that replaces it is what the index
// serves.
func TestIndexReorgUndoes(t *testing.T) {
	store := openStore(t, t.TempDir())
	deps := tracer.Deps{Store: store, Balances: balanceMap{}}
	e, err := tracer.New(tracer.Config{Index: tracer.IndexConfig{Enabled: true}}, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	b1 := ethBlock(1, "", []xf{{"0xa", "0xb", 10, false}})
	b2 := ethBlock(2, "", []xf{{"0xb", "0xorphan", 4, false}})
	b2x := ethBlock(2, "x", []xf{{"0xb", "0xc", 3, false}})
	b2x.Ref.Parent = b1.Ref.Hash
	connect(t, e, b1)
	connect(t, e, b2)
	if !has(indexKeys(t, store), "x/a/ethereum/\x000xorphan/") {
		t.Fatal("no address entry for the orphan's receiver")
	}
	disconnect(t, e, b2)
	keys := indexKeys(t, store)
	if has(keys, "x/a/ethereum/\x000xorphan/") || has(keys, "x/b/ethereum/00000000000000000002") {
		t.Fatalf("the undone block is still indexed: %q", keys)
	}
	connect(t, e, b2x)
	src := e.Source(chains.Ethereum, failingSource{})
	got, err := src.BlockByNumber(context.Background(), 2)
	if err != nil || got.Ref.Hash != b2x.Ref.Hash || got.Txs[0].Transfers[0].To != "0xc" {
		t.Fatalf("block 2 from the index: %+v, %v", got, err)
	}
	// 0xb's balance at block 1 is what it holds now minus what block 2
	// (the new one) took: the orphan's flow is gone.
	br := e.BalanceReader(chains.Ethereum, headBalances{"0xb": 7})
	if bal, err := br.BalanceAt(context.Background(), "0xb", chains.ETH, 1); err != nil || bal.Int64() != 10 {
		t.Fatalf("balance of 0xb at 1 = %v, %v; want 10", bal, err)
	}
}

// failingSource is a node that answers nothing.
type failingSource struct{}

func (failingSource) BlockByNumber(_ context.Context, n uint64) (*chains.Block, error) {
	return nil, fmt.Errorf("node down (block %d)", n)
}
func (failingSource) HeadNumber(context.Context) (uint64, error) { return 0, errors.New("node down") }

// headBalances answers every block with the same balance (the head's).
type headBalances map[string]int64

func (h headBalances) BalanceAt(_ context.Context, a string, _ chains.Asset, _ uint64) (*big.Int, error) {
	return big.NewInt(h[a]), nil
}

// TestIndexRetention: blocks past the retention (in blocks or in block
// time) leave the index with their address entries; a block no longer
// held comes from the node, whose error names what the index holds.
func TestIndexRetention(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  tracer.IndexConfig
	}{
		{"blocks", tracer.IndexConfig{Enabled: true, RetainBlocks: 4}},
		{"time", tracer.IndexConfig{Enabled: true, Retain: 36 * time.Second}}, // 12 s blocks: 4 blocks
	} {
		t.Run(c.name, func(t *testing.T) {
			store := openStore(t, t.TempDir())
			e, err := tracer.New(tracer.Config{Index: c.cfg}, tracer.Deps{Store: store})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			for n := uint64(1); n <= 10; n++ {
				connect(t, e, ethBlock(n, "", []xf{{"0xa", fmt.Sprintf("0xr%d", n), 1, false}}))
			}
			keys := indexKeys(t, store)
			for n := 1; n <= 10; n++ {
				rec := has(keys, fmt.Sprintf("x/b/ethereum/%020d", n))
				addr := has(keys, fmt.Sprintf("x/a/ethereum/\x000xr%d/", n))
				if want := n >= 7; rec != want || addr != want {
					t.Fatalf("block %d: record %v, address entry %v; want %v (keys %q)", n, rec, addr, want, keys)
				}
			}
			_, err = e.Source(chains.Ethereum, failingSource{}).BlockByNumber(context.Background(), 6)
			if err == nil || !strings.Contains(err.Error(), "holds blocks 7–10") || !strings.Contains(err.Error(), "node down") {
				t.Fatalf("block 6: %v", err)
			}
		})
	}
}

// scanCounter counts the index keys a Load reads.
type scanCounter struct {
	*pebble.Store
	indexKeys int
}

func (s *scanCounter) ScanTracer(ctx context.Context, fn func(k, v []byte) error) error {
	return s.Store.ScanTracer(ctx, func(k, v []byte) error {
		if bytes.HasPrefix(k, []byte("x/")) {
			s.indexKeys++
		}
		return fn(k, v)
	})
}

func (s *scanCounter) ScanTracerRange(ctx context.Context, lo, hi []byte, fn func(k, v []byte) error) error {
	return s.Store.ScanTracerRange(ctx, lo, hi, func(k, v []byte) error {
		if bytes.HasPrefix(k, []byte("x/")) {
			s.indexKeys++
		}
		return fn(k, v)
	})
}

// TestIndexRestart: the index outlives a restart, which does not read it.
func TestIndexRestart(t *testing.T) {
	dir := t.TempDir()
	store := openStore(t, dir)
	cfg := tracer.Config{Index: tracer.IndexConfig{Enabled: true}}
	e, err := tracer.New(cfg, tracer.Deps{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	for n := uint64(1); n <= 5; n++ {
		connect(t, e, ethBlock(n, "", []xf{{"0xa", "0xb", int64(n), false}}))
	}
	e.Close()
	store.Close()

	sc := &scanCounter{Store: openStore(t, dir)}
	defer sc.Close()
	e, err = tracer.New(cfg, tracer.Deps{Store: sc})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sc.indexKeys != 0 {
		t.Fatalf("Load read %d index keys", sc.indexKeys)
	}
	connect(t, e, ethBlock(6, "", []xf{{"0xa", "0xb", 6, false}}))
	src := e.Source(chains.Ethereum, failingSource{})
	for n := uint64(1); n <= 6; n++ {
		b, err := src.BlockByNumber(context.Background(), n)
		if err != nil || b.Ref.Hash != blockHash(chains.Ethereum, n, "") {
			t.Fatalf("block %d after the restart: %v", n, err)
		}
	}
	// The balance reads the flows written before and after the restart.
	br := e.BalanceReader(chains.Ethereum, headBalances{"0xb": 21})
	if bal, err := br.BalanceAt(context.Background(), "0xb", chains.ETH, 0); err != nil || bal.Sign() != 0 {
		t.Fatalf("balance of 0xb at 0 = %v, %v; want 0", bal, err)
	}
}

// TestIndexNeedsIndexStore: the index on a store that cannot read by key
// is refused at once.
func TestIndexNeedsIndexStore(t *testing.T) {
	_, err := tracer.New(tracer.Config{Index: tracer.IndexConfig{Enabled: true}}, tracer.Deps{Store: plainStore{}})
	if err == nil || !strings.Contains(err.Error(), "transfer index") {
		t.Fatalf("got %v", err)
	}
}

type plainStore struct{}

func (plainStore) SaveTracer(context.Context, []tracer.KV, [][]byte) error { return nil }
func (plainStore) ScanTracer(context.Context, func(k, v []byte) error) error {
	return nil
}

// TestIndexGap: blocks that do not follow the newest indexed one (an
// offline replay's skipped heights, a daemon restarted from a later start
// block) start a new run of the index; the old run is deleted as blocks
// come and is never read as if it were contiguous with the new one.
func TestIndexGap(t *testing.T) {
	store := openStore(t, t.TempDir())
	e, err := tracer.New(tracer.Config{Index: tracer.IndexConfig{Enabled: true}}, tracer.Deps{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for n := uint64(1); n <= 5; n++ {
		connect(t, e, ethBlock(n, "", []xf{{"0xa", fmt.Sprintf("0xr%d", n), 1, false}}))
	}
	b := ethBlock(20, "", []xf{{"0xa", "0xr20", 1, false}})
	b.Ref.Parent = ""
	connect(t, e, b)
	keys := indexKeys(t, store)
	if has(keys, "x/b/ethereum/00000000000000000003") || has(keys, "x/a/ethereum/\x000xr3/") || !has(keys, "x/b/ethereum/00000000000000000020") {
		t.Fatalf("after the gap: %q", keys)
	}
	_, err = e.Source(chains.Ethereum, failingSource{}).BlockByNumber(context.Background(), 3)
	if err == nil || !strings.Contains(err.Error(), "holds blocks 20–20") {
		t.Fatalf("block 3 after the gap: %v", err)
	}
}

// TestIndexBitcoinAddressEntries: a Bitcoin block's index entries name
// each address its outputs pay (once, however many outputs), for
// screening; they are undone with the block on a reorg and pruned with
// it past the retention, and AddressBlocks reads them.
func TestIndexBitcoinAddressEntries(t *testing.T) {
	store := openStore(t, t.TempDir())
	e, err := tracer.New(tracer.Config{Index: tracer.IndexConfig{Enabled: true, RetainBlocks: 3}}, tracer.Deps{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	pays := func(n uint64, salt string, to ...string) *chains.Block {
		var outs []chains.Output
		for i, a := range to {
			outs = append(outs, chains.Output{Index: uint32(i), Value: 1000, Address: a, Class: chains.P2WPKH})
		}
		return btcBlock(n, salt, utx{ins: []chains.Outpoint{op(fmt.Sprintf("prev%d", n), 0)}, outs: outs})
	}
	b1, b2, b2x := pays(1, "", "bc1qpayee", "bc1qpayee", "bc1qother"), pays(2, "", "bc1qorphan"), pays(2, "x", "bc1qpayee")
	b2x.Ref.Parent = b1.Ref.Hash
	connect(t, e, b1)
	connect(t, e, b2)
	keys := indexKeys(t, store)
	if !has(keys, "x/a/bitcoin/\x00bc1qpayee/") || !has(keys, "x/a/bitcoin/\x00bc1qother/") || !has(keys, "x/a/bitcoin/\x00bc1qorphan/") {
		t.Fatalf("no address entries for the payees: %q", keys)
	}
	if n := len(keys); n != 1+2+3 {
		t.Fatalf("%d index keys, want the meta, 2 records and 3 entries: %q", n, keys)
	}
	disconnect(t, e, b2)
	if keys := indexKeys(t, store); has(keys, "x/a/bitcoin/\x00bc1qorphan/") || has(keys, "x/b/bitcoin/00000000000000000002") {
		t.Fatalf("the undone block is still indexed: %q", keys)
	}
	connect(t, e, b2x)
	r := tracer.NewIndexReader(store)
	if hs, err := r.AddressBlocks(context.Background(), chains.Bitcoin, "bc1qpayee", 0); err != nil || fmt.Sprint(hs) != "[1 2]" {
		t.Fatalf("payee's blocks %v, %v; want [1 2]", hs, err)
	}
	for n := uint64(3); n <= 6; n++ {
		connect(t, e, pays(n, "x", "bc1qlater"))
	}
	keys = indexKeys(t, store)
	if has(keys, "x/a/bitcoin/\x00bc1qpayee/") || has(keys, "x/a/bitcoin/\x00bc1qother/") || has(keys, "x/b/bitcoin/00000000000000000003") {
		t.Fatalf("blocks past the retention still indexed: %q", keys)
	}
	if hs, err := r.AddressBlocks(context.Background(), chains.Bitcoin, "bc1qlater", 0); err != nil || fmt.Sprint(hs) != "[4 5 6]" {
		t.Fatalf("later's blocks %v, %v; want [4 5 6]", hs, err)
	}
}
