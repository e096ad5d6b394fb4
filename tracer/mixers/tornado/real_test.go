package tornado_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
	"github.com/chainhound/chainhound/tracer/tracertest"
	"github.com/chainhound/chainhound/watchlists"
)

// The mainnet 100 ETH pool's real events (testdata/README.md), replayed
// through the recogniser as the follower would hand them over: one
// transaction per event, grouped into their blocks.

const realPool = "0xa160cdab225685da1d56aa342ad8841c3b53f291"

type realDeposit struct {
	Block int    `json:"blockNumber"`
	Tx    string `json:"transactionHash"`
}

type realWithdrawal struct {
	Block int    `json:"blockNumber"`
	Tx    string `json:"transactionHash"`
	To    string `json:"to"`
	Fee   string `json:"fee"`
}

func readZipJSON(tb testing.TB, path string, v any) []byte {
	tb.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer z.Close()
	if len(z.File) != 1 {
		tb.Fatalf("%s: %d files, want 1", path, len(z.File))
	}
	f, err := z.File[0].Open()
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	raw, err := io.ReadAll(f)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return raw
}

// realBlocks turns the event files into blocks (deposits before
// withdrawals within a block; the files do not give the order), with the
// number of events. The first theft deposits (every 100th up to theft
// notes) are the incident's.
func realBlocks(tb testing.TB) (blocks []*chains.Block, events int, raw [][]byte) {
	tb.Helper()
	var ds []realDeposit
	var ws []realWithdrawal
	raw = append(raw, readZipJSON(tb, "testdata/deposits_eth_100.json.zip", &ds))
	raw = append(raw, readZipJSON(tb, "testdata/withdrawals_eth_100.json.zip", &ws))
	denom := new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18))
	type ev struct {
		key int // block×2, +1 for a withdrawal: after the block's deposits
		tx  chains.Tx
	}
	var evs []ev
	for i, d := range ds {
		from := fmt.Sprintf("0x%040x", i+1) // the files do not name the sender
		evs = append(evs, ev{2 * d.Block, chains.Tx{Hash: d.Tx, From: from,
			Transfers: []chains.Transfer{{Kind: chains.Native, LogIndex: -1, From: from, To: realPool, Asset: chains.ETH, Amount: denom}},
			Logs:      []chains.Log{tornado.DepositLog(realPool)}}})
	}
	for _, w := range ws {
		fee, ok := new(big.Int).SetString(w.Fee, 10)
		if !ok {
			tb.Fatalf("withdrawal %s: fee %q", w.Tx, w.Fee)
		}
		to := strings.ToLower(w.To)
		tx := chains.Tx{Hash: w.Tx, From: relayer,
			Transfers: []chains.Transfer{{Kind: chains.Internal, LogIndex: -1, From: realPool, To: to, Asset: chains.ETH, Amount: new(big.Int).Sub(denom, fee)}}}
		rel := "0x0000000000000000000000000000000000000000"
		if fee.Sign() > 0 {
			rel = relayer
			tx.Transfers = append(tx.Transfers, chains.Transfer{Kind: chains.Internal, LogIndex: -1, From: realPool, To: relayer, Asset: chains.ETH, Amount: fee})
		} else {
			tx.From = to
		}
		tx.Logs = []chains.Log{tornado.WithdrawalLog(realPool, to, rel, fee)}
		evs = append(evs, ev{2*w.Block + 1, tx})
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].key < evs[j].key })
	for _, e := range evs {
		n := uint64(e.key / 2)
		if len(blocks) == 0 || blocks[len(blocks)-1].Ref.Number != n {
			blocks = append(blocks, &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: n, Hash: fmt.Sprint(n)}})
		}
		b := blocks[len(blocks)-1]
		e.tx.Index = len(b.Txs)
		b.Txs = append(b.Txs, e.tx)
	}
	return blocks, len(ds) + len(ws), raw
}

// mapState is the recogniser's State as a plain map, for driving the
// recogniser alone (the engine's own State journals and persists it).
type mapState map[string][]byte

func (m mapState) Get(k string) ([]byte, bool)  { v, ok := m[k]; return v, ok }
func (m mapState) Put(k string, v []byte)       { m[k] = v }
func (m mapState) Delete(k string)              { delete(m, k) }
func (m mapState) Lane() string                 { return "" }
func (m mapState) On(chains.Chain) tracer.State { return nil }
func (m mapState) Live(string) bool             { return true }

func realLabels() tracertest.Labels {
	return tracertest.NewLabels(watchlists.Entry{Chain: chains.Ethereum, Address: realPool, Kind: watchlists.Mixer, Label: "Tornado.Cash: 100 ETH", Protocol: tornado.Protocol, Owner: "shipped"})
}

// run feeds the blocks to a fresh recogniser; theft marks the deposits
// (by index among deposits, every one whose index%theftEvery == 0 while
// fewer than theft) paid with an incident's taint. It calls at(unmatched)
// before each withdrawal when set.
func run(tb testing.TB, blocks []*chains.Block, theft, theftEvery int, at func(st mapState)) (mapState, int) {
	r := tornado.New(realLabels(), nil, nil)
	st := mapState{}
	ctx := context.Background()
	deposits, moves := 0, 0
	for _, b := range blocks {
		for i := range b.Txs {
			tx := &b.Txs[i]
			var deps []tracer.Deposit
			if tx.Logs[0].Topics[0] == tornado.DepositTopic {
				if deposits%theftEvery == 0 && deposits/theftEvery < theft {
					deps = []tracer.Deposit{{Incident: "inc", Service: realPool, Asset: chains.ETH, Amount: tx.Transfers[0].Amount, Tainted: tx.Transfers[0].Amount}}
				}
				deposits++
			} else if at != nil {
				at(st)
			}
			ms, err := r.Recognise(ctx, st, b, tx, deps)
			if err != nil {
				tb.Fatal(err)
			}
			moves += len(ms)
		}
	}
	return st, moves
}

func unmatchedOf(tb testing.TB, st mapState) uint64 {
	n, ok, err := tornado.Unmatched(st, realPool)
	if err != nil || !ok {
		tb.Fatalf("pool state: %v (present %v)", err, ok)
	}
	return n
}

// TestRealPoolAnonymitySets replays the 100 ETH pool's whole history: the
// pool never pays out more notes than were paid in, ends with deposits −
// withdrawals unmatched, and a theft of 100 notes (every 50th deposit,
// from the start) is still partly in the pool at the end, each
// withdrawal's share of it in (0, 1]. It logs the anonymity sets a
// withdrawal met.
func TestRealPoolAnonymitySets(t *testing.T) {
	blocks, events, _ := realBlocks(t)
	var sizes []uint64
	st, moves := run(t, blocks, 100, 50, func(st mapState) {
		sizes = append(sizes, unmatchedOf(t, st))
	})
	if n := unmatchedOf(t, st); n != 27_544-25_608 {
		t.Fatalf("after %d events: %d unmatched, want %d", events, n, 27_544-25_608)
	}
	if slices.Min(sizes) == 0 {
		t.Fatal("a withdrawal from an empty pool")
	}
	if moves == 0 {
		t.Fatal("no withdrawal carried the theft's taint")
	}
	slices.Sort(sizes)
	q := func(f float64) uint64 { return sizes[int(f*float64(len(sizes)-1))] }
	t.Logf("100 ETH pool: %d withdrawals met anonymity sets of min %d, p10 %d, median %d, p90 %d, max %d unmatched deposits; %d moves of the theft's taint",
		len(sizes), sizes[0], q(0.1), q(0.5), q(0.9), sizes[len(sizes)-1], moves)
}

// BenchmarkRealPool: the recogniser over the 100 ETH pool's 53,152 real
// events — clean (the daemon's steady state) and with a theft of 100
// notes in the pool — beside the bare cost of decoding the event files.
// events/s is per core; B/unmatched and B/deposit are the recogniser's
// state (keys and values) at the end per unmatched deposit and per
// deposit ever made (the per-depositor counts stay for every depositor;
// with taint in the pool, each recipient's withdrawals of the last day
// too).
func BenchmarkRealPool(b *testing.B) {
	blocks, events, raw := realBlocks(b)
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			var ds []realDeposit
			var ws []realWithdrawal
			if err := json.Unmarshal(raw[0], &ds); err != nil {
				b.Fatal(err)
			}
			if err := json.Unmarshal(raw[1], &ws); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	for _, c := range []struct {
		name  string
		theft int
	}{{"clean", 0}, {"theft100", 100}} {
		b.Run(c.name, func(b *testing.B) {
			var st mapState
			for b.Loop() {
				st, _ = run(b, blocks, c.theft, 50, nil)
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			size := 0
			for k, v := range st {
				size += len(k) + len(v)
			}
			b.ReportMetric(float64(size)/float64(unmatchedOf(b, st)), "B/unmatched")
			b.ReportMetric(float64(size)/27_544, "B/deposit")
			runtime.KeepAlive(st)
		})
	}
}
