package daemon_test

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/ethereum/go-ethereum/crypto"
)

// Chain shape of BenchmarkCatchUp (issue 16): a day of Ethereum blocks.
const (
	catchUpBlocks      = 7200
	catchUpTxsPerBlock = 100
)

var (
	catchUpChainOnce  sync.Once
	catchUpChainBuilt *benchChain
	catchUpSender     string // a native sender of every block: the compromised wallet
)

// followed runs the daemon (pebble, traces off, the index on) over c from
// c.first until it has applied c.head, and returns it running; the
// returned stop ends it.
func followed(tb testing.TB, c *benchChain) (*daemon.Daemon, func()) {
	tb.Helper()
	d, done, cancel := runBench(tb, benchConfig(tb, c, ""))
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			tb.Error(err)
		}
	}
	for d.ChainStatus()[chains.Ethereum].Processed < c.head {
		select {
		case err := <-done:
			tb.Fatalf("daemon stopped during backfill: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return d, stop
}

// catchUp opens an incident with seed on d and returns how long its
// catch-up took to reach the head; the incident is closed then.
func catchUp(tb testing.TB, d *daemon.Daemon, c *benchChain, seed watchlists.Seed) time.Duration {
	tb.Helper()
	start := time.Now()
	inc := openLate(tb, d, c, seed)
	took := time.Since(start)
	if _, err := d.Incidents.Close(context.Background(), inc); err != nil {
		tb.Fatal(err)
	}
	return took
}

// openLate opens an incident with seed on d and waits until its catch-up
// reaches the head; it returns the incident's id.
func openLate(tb testing.TB, d *daemon.Daemon, c *benchChain, seed watchlists.Seed) string {
	tb.Helper()
	ctx := context.Background()
	inc, err := d.Incidents.Open(ctx, watchlists.Incident{Chain: chains.Ethereum, Title: "bench", Seeds: []watchlists.Seed{seed}})
	if err != nil {
		tb.Fatal(err)
	}
	// Tracking, not Summary: Summary walks every holding under the
	// engine's lock, which polled every millisecond would take the lock
	// from the catch-up it times.
	for {
		tr, ok := d.Engine().Tracking(inc.ID)
		if ok && tr.State == tracer.Failed {
			tb.Fatalf("catch-up of %s: %s", inc.ID, tr.Reason)
		}
		if ok && tr.State == tracer.Live {
			s, _ := d.Engine().Summary(inc.ID)
			if !s.CatchUp.Done || s.CatchUp.Current < c.head || len(s.Holders) == 0 {
				tb.Fatalf("catch-up of %s done at %d (head %d) with %d holders", inc.ID, s.CatchUp.Current, c.head, len(s.Holders))
			}
			return inc.ID
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkCatchUp (issue 16, goal ≥ 5×): a late incident's catch-up of a
// day of blocks (7,200 × 100 transactions, half native and half ERC-20, on
// go-ethereum's simulated backend over websocket) from the transfer index,
// against the bare node fetch of the same blocks (eth_getBlockByNumber and
// eth_getBlockReceipts, 8 at once, decoded, nothing else) in the same run.
// Two incidents: a theft (the first block's first transfer, whose
// receiver keeps the loot), and a compromised wallet that pays a new
// address in every block — 7,200 stolen outflows, each a new tainted
// holder whose clean balance is the node's head balance (read ahead for
// a window of blocks, in JSON-RPC batches) minus the flows the index holds
// since. The daemon follows the chain
// first (not timed). Each iteration runs bare, both catch-ups, bare.
//
//	go test ./internal/daemon -run '^$' -bench CatchUp -benchtime 1x -count 2
//
// CHAINHOUND_CATCHUP_BLOCKS and CHAINHOUND_CATCHUP_TXS make a smaller
// chain for a quick look.
func BenchmarkCatchUp(b *testing.B) {
	catchUpChainOnce.Do(func() {
		blocks, txs := catchUpBlocks, catchUpTxsPerBlock
		if s := os.Getenv("CHAINHOUND_CATCHUP_BLOCKS"); s != "" {
			fmt.Sscan(s, &blocks)
		}
		if s := os.Getenv("CHAINHOUND_CATCHUP_TXS"); s != "" {
			fmt.Sscan(s, &txs)
		}
		start := time.Now()
		catchUpChainBuilt = buildBenchChain(b, blocks, txs)
		catchUpSender = strings.ToLower(crypto.PubkeyToAddress(catchUpChainBuilt.keys[1].PublicKey).Hex())
		b.Logf("chain of %d blocks × %d txs built in %s", blocks, txs, time.Since(start).Round(time.Millisecond))
	})
	c := catchUpChainBuilt
	if c == nil {
		b.Fatal("the chain was not built")
	}
	d, stop := followed(b, c)
	defer stop()
	n := float64(c.head - c.first + 1)
	b.ResetTimer()
	first, err := c.sim.Client().BlockByNumber(context.Background(), new(big.Int).SetUint64(c.first))
	if err != nil {
		b.Fatal(err)
	}
	theft := watchlists.Seed{Tx: strings.ToLower(first.Transactions()[0].Hash().Hex())}
	wallet := watchlists.Seed{Address: catchUpSender, FromBlock: c.first}
	var bare, cuTheft, cuWallet time.Duration
	for range b.N {
		bare += bareFetch(b, c)
		cuTheft += catchUp(b, d, c, theft)
		cuWallet += catchUp(b, d, c, wallet)
		bare += bareFetch(b, c)
	}
	b.StopTimer()
	rate := func(d time.Duration, runs int) float64 { return n * float64(runs) / d.Seconds() }
	bareRate, theftRate, walletRate := rate(bare, 2*b.N), rate(cuTheft, b.N), rate(cuWallet, b.N)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(bareRate, "bare-blocks/s")
	b.ReportMetric(theftRate, "theft-blocks/s")
	b.ReportMetric(theftRate/bareRate, "theft/bare")
	b.ReportMetric(walletRate, "wallet-blocks/s")
	b.ReportMetric(walletRate/bareRate, "wallet/bare")
}
