package ethereum

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

func indexEngine(tb testing.TB, index bool) *tracer.Engine {
	tb.Helper()
	st, err := pebble.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	e, err := tracer.New(tracer.Config{Index: tracer.IndexConfig{Enabled: index}}, tracer.Deps{Store: st})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close() })
	return e
}

// TestIndexMainnetRoundTrip: two real mainnet blocks come back from the
// transfer index as the follower made them.
func TestIndexMainnetRoundTrip(t *testing.T) {
	e := indexEngine(t, true)
	ctx := context.Background()
	var want []*chains.Block
	for _, n := range fixtureBlocks {
		b := decodeFixture(t, n)
		want = append(want, b)
		if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: b.Chain, Block: b, Ref: b.Ref}); err != nil {
			t.Fatal(err)
		}
	}
	src := e.Source(chains.Ethereum, nil)
	for _, b := range want {
		got, err := src.BlockByNumber(ctx, b.Ref.Number)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", b) {
			t.Fatalf("block %d from the index differs from the follower's", b.Ref.Number)
		}
	}
}

// BenchmarkIndex: the transfer index's bytes per transfer on two mainnet
// blocks (no call traces in the fixture: no internal transfers), the bare
// cost of encoding them, and the engine's block (apply and its synced
// batch) with the index off and on. One op is one block.
func BenchmarkIndex(b *testing.B) {
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.DiscardHandler))
	for _, n := range fixtureBlocks {
		blk := decodeFixture(b, n)
		transfers := 0
		for _, tx := range blk.Txs {
			transfers += len(tx.Transfers)
		}
		kvs := tracer.IndexKVs(blk)
		rec, entries := 0, 0
		for i, kv := range kvs {
			if i == 0 {
				rec = len(kv.Key) + len(kv.Value)
			} else {
				entries += len(kv.Key) + len(kv.Value)
			}
		}
		b.Run(fmt.Sprintf("%d/encode", n), func(b *testing.B) {
			for b.Loop() {
				tracer.IndexKVs(blk)
			}
			b.ReportMetric(float64(transfers), "transfers")
			b.ReportMetric(float64(rec)/float64(transfers), "record-B/transfer")
			b.ReportMetric(float64(entries)/float64(transfers), "address-B/transfer")
			b.ReportMetric(float64(len(kvs)-1), "address-entries")
		})
		connect := func(b *testing.B, e *tracer.Engine, h uint64) {
			c := *blk
			c.Ref = chains.BlockRef{Number: h, Hash: fmt.Sprintf("0x%064x", h), Time: blk.Ref.Time}
			if err := e.Handle(context.Background(), chains.Event{Type: chains.Connected, Chain: c.Chain, Block: &c, Ref: c.Ref}); err != nil {
				b.Fatal(err)
			}
		}
		theft := func(b *testing.B, e *tracer.Engine) {
			// Taint in play: the block's first transaction is a theft.
			if err := e.OpenIncident(context.Background(), watchlists.Incident{ID: "inc_b", Chain: chains.Ethereum, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: blk.Txs[0].Hash}}}); err != nil {
				b.Fatal(err)
			}
		}
		// The engine's apply alone, without a store.
		b.Run(fmt.Sprintf("%d/apply", n), func(b *testing.B) {
			e, err := tracer.New(tracer.Config{}, tracer.Deps{})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			theft(b, e)
			h := uint64(0)
			for b.Loop() {
				h++
				connect(b, e, h)
			}
		})
		for _, index := range []bool{false, true} {
			b.Run(fmt.Sprintf("%d/block/index=%v", n, index), func(b *testing.B) {
				e := indexEngine(b, index)
				theft(b, e)
				h := uint64(0)
				for b.Loop() {
					h++
					connect(b, e, h)
				}
			})
		}
		// A catch-up's read of the block from the index (Get and decode),
		// beside the follower's decoding of the node's JSON in the same
		// run (a lower bound of fetching it from the node).
		b.Run(fmt.Sprintf("%d/read", n), func(b *testing.B) {
			e := indexEngine(b, true)
			for h := uint64(1); h <= 64; h++ {
				connect(b, e, h)
			}
			src := e.Source(chains.Ethereum, failingNode{})
			h := uint64(0)
			for b.Loop() {
				h = h%64 + 1
				if _, err := src.BlockByNumber(context.Background(), h); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%d/node-json", n), func(b *testing.B) {
			raw := readFixture(b, n)
			d := decoder{mainnet: true}
			for b.Loop() {
				var fx fixture
				if err := json.Unmarshal(raw, &fx); err != nil {
					b.Fatal(err)
				}
				if _, err := d.block(&fx.Block, fx.Receipts, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		// Bytes on disk: 400 blocks written with the index on and off; the
		// difference in table files per transfer (pebble compresses them;
		// its write-ahead logs are a bounded few memtables, left out).
		b.Run(fmt.Sprintf("%d/disk", n), func(b *testing.B) {
			const blocks = 400
			size := map[bool]int64{}
			for _, index := range []bool{false, true} {
				dir := b.TempDir()
				st, err := pebble.Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				e, err := tracer.New(tracer.Config{Index: tracer.IndexConfig{Enabled: index}}, tracer.Deps{Store: st})
				if err != nil {
					b.Fatal(err)
				}
				for h := uint64(1); h <= blocks; h++ {
					connect(b, e, h)
				}
				e.Close()
				st.Close()
				size[index] = dirSize(b, dir)
			}
			for b.Loop() {
			}
			b.ReportMetric(float64(size[true]-size[false])/float64(blocks*transfers), "disk-B/transfer")
		})
	}
}

func dirSize(tb testing.TB, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(d.Name()) != ".sst" {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			if os.Getenv("INDEX_DISK_FILES") != "" {
				fmt.Println(d.Name(), fi.Size())
			}
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestIndexReorgOnSimulatedChain: the follower and the engine with its
// transfer index over go-ethereum's simulated chain (which keeps every
// state, as an archive node does). A 2-block-deep reorg replaces the
// blocks that paid B with blocks that pay C: afterwards the index serves
// the canonical block at every height, and its balance of every account
// at every block equals the node's own historical answer, to the wei —
// the orphaned blocks' flows are gone from it.
func TestIndexReorgOnSimulatedChain(t *testing.T) {
	key, _ := crypto.GenerateKey()
	a := crypto.PubkeyToAddress(key.PublicKey)
	b, c := common.HexToAddress("0x00000000000000000000000000000000000000bb"), common.HexToAddress("0x00000000000000000000000000000000000000cc")
	ether := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	sim := startSim(t, types.GenesisAlloc{a: {Balance: new(big.Int).Mul(big.NewInt(1000), ether)}})
	ctx := context.Background()
	send := func(to common.Address, wei *big.Int) {
		t.Helper()
		sim.send(t, key, to, wei)
		sim.Commit()
	}
	for range 3 {
		send(b, ether)
	}

	st := openStore(t, t.TempDir())
	e, err := tracer.New(tracer.Config{Index: tracer.IndexConfig{Enabled: true}}, tracer.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := &recorder{}
	f, err := New(Config{Network: "dev", RPC: sim.WS, StartBlock: "1", Confirmations: 1, Traces: TracesAuto, Checkpoints: st, Logger: testLogger(t), PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- f.Run(runCtx, func(ctx context.Context, ev chains.Event) error {
			if err := e.Handle(ctx, ev); err != nil {
				return err
			}
			return r.Handle(ctx, ev)
		})
	}()
	defer func() { cancel(); <-done; f.Close() }()
	waitTip(t, r, sim)

	// Blocks 2 and 3 paid B; the new branch from block 1 pays C.
	if err := sim.Fork(common.HexToHash(sim.hashAt(t, 1))); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		send(c, new(big.Int).Mul(big.NewInt(2), ether))
	}
	waitTip(t, r, sim)
	if got, _ := r.Since(0); !slices.Contains(got, "-3") || !slices.Contains(got, "-2") {
		t.Fatalf("no reorg seen: %v", got)
	}

	head, _ := sim.headHash(t)
	src := e.Source(chains.Ethereum, failingNode{})
	br := e.BalanceReader(chains.Ethereum, f)
	for n := uint64(1); n <= head; n++ {
		blk, err := src.BlockByNumber(ctx, n)
		if err != nil || blk.Ref.Hash != strings.ToLower(sim.hashAt(t, n)) {
			t.Fatalf("block %d from the index: %v, %v; canonical %s", n, blk, err, sim.hashAt(t, n))
		}
	}
	for n := uint64(0); n < head; n++ {
		for _, acct := range []common.Address{a, b, c} {
			want, err := sim.Client().BalanceAt(ctx, acct, new(big.Int).SetUint64(n))
			if err != nil {
				t.Fatal(err)
			}
			got, err := br.BalanceAt(ctx, strings.ToLower(acct.Hex()), chains.ETH, n)
			if err != nil || got.Cmp(want) != 0 {
				t.Fatalf("balance of %s at %d from the index: %v, %v; the node says %s", acct.Hex(), n, got, err, want)
			}
		}
	}
}

type failingNode struct{}

func (failingNode) BlockByNumber(_ context.Context, n uint64) (*chains.Block, error) {
	return nil, fmt.Errorf("node asked for block %d", n)
}
func (failingNode) HeadNumber(context.Context) (uint64, error) { return 0, fmt.Errorf("node asked") }
