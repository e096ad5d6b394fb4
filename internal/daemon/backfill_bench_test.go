package daemon_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/ethereum"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	gethnode "github.com/ethereum/go-ethereum/node"
)

// Chain shape of BenchmarkBackfill (issue 16): blocks of txsPerBlock
// transactions, half native transfers and half ERC-20 transfers.
const (
	benchBlocks      = 1000
	benchTxsPerBlock = 100
)

// benchChain is go-ethereum's simulated backend served over websocket
// with the generated chain: a token deployed and handed out in the first
// blocks, then benchBlocks full blocks from first to head.
type benchChain struct {
	sim         *simulated.Backend
	ws          string
	first, head uint64
	perBlock    int                 // transactions in each block first…head
	keys        []*ecdsa.PrivateKey // [1…perBlock/2] send ether in every block
}

// buildBenchChain generates the chain: each full block has one native
// transfer from each of half the senders and one token transfer from each
// of the other half, every one to a new address.
func buildBenchChain(tb testing.TB, blocks, perBlock int) *benchChain {
	tb.Helper()
	ether := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	half := perBlock / 2
	keys := make([]*ecdsa.PrivateKey, perBlock+1) // [0] deploys the token
	alloc := types.GenesisAlloc{}
	for i := range keys {
		k, err := crypto.GenerateKey()
		if err != nil {
			tb.Fatal(err)
		}
		keys[i] = k
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: new(big.Int).Mul(big.NewInt(1_000_000), ether)}
	}
	port := testnodes.FreePort(tb)
	sim := simulated.NewBackend(alloc, func(nc *gethnode.Config, ec *ethconfig.Config) {
		nc.WSHost, nc.WSPort, nc.WSModules = "127.0.0.1", port, []string{"eth", "net", "web3"}
	}, simulated.WithBlockGasLimit(60_000_000))
	c := &benchChain{sim: sim, ws: fmt.Sprintf("ws://127.0.0.1:%d", port), perBlock: perBlock, keys: keys}

	ctx := context.Background()
	cl := sim.Client()
	chainID := big.NewInt(1337)
	signer := types.LatestSignerForChainID(chainID)
	nonces := make([]uint64, len(keys))
	feeCap, tip := big.NewInt(100_000_000_000), big.NewInt(1_000_000_000)
	send := func(from int, to *common.Address, value *big.Int, gas uint64, data []byte) {
		tx, err := types.SignTx(types.NewTx(&types.DynamicFeeTx{
			ChainID: chainID, Nonce: nonces[from], GasTipCap: tip, GasFeeCap: feeCap,
			Gas: gas, To: to, Value: value, Data: data,
		}), signer, keys[from])
		if err != nil {
			tb.Fatal(err)
		}
		if err := cl.SendTransaction(ctx, tx); err != nil {
			tb.Fatalf("send from key %d nonce %d: %v", from, nonces[from], err)
		}
		nonces[from]++
	}
	mine := func(want int) uint64 {
		sim.Commit()
		h, err := cl.HeaderByNumber(ctx, nil)
		if err != nil {
			tb.Fatal(err)
		}
		n, err := cl.TransactionCount(ctx, h.Hash())
		if err != nil {
			tb.Fatal(err)
		}
		if int(n) != want {
			tb.Fatalf("block %d holds %d transactions, want %d", h.Number, n, want)
		}
		return h.Number.Uint64()
	}

	bin, err := os.ReadFile("../testnodes/testdata/TestToken_sol_TestToken.bin")
	if err != nil {
		tb.Fatal(err)
	}
	supply := new(big.Int).Mul(big.NewInt(1_000_000_000), ether)
	ctor, err := testnodes.TokenABI.Pack("", supply)
	if err != nil {
		tb.Fatal(err)
	}
	send(0, nil, new(big.Int), 2_000_000, append(common.FromHex(strings.TrimSpace(string(bin))), ctor...))
	mine(1)
	token := crypto.CreateAddress(crypto.PubkeyToAddress(keys[0].PublicKey), 0)
	share := new(big.Int).Div(supply, big.NewInt(int64(perBlock)))
	for i := 1 + half; i <= perBlock; i++ {
		data, err := testnodes.TokenABI.Pack("transfer", crypto.PubkeyToAddress(keys[i].PublicKey), share)
		if err != nil {
			tb.Fatal(err)
		}
		send(0, &token, new(big.Int), 100_000, data)
	}
	mine(perBlock - half)

	one := big.NewInt(1)
	recipient := uint64(0x1000)
	for b := range blocks {
		for i := 1; i <= perBlock; i++ {
			recipient++
			to := common.BigToAddress(new(big.Int).SetUint64(recipient))
			if i <= half {
				send(i, &to, big.NewInt(int64(1_000_000+recipient)), 21_000, nil)
				continue
			}
			data, err := testnodes.TokenABI.Pack("transfer", to, one)
			if err != nil {
				tb.Fatal(err)
			}
			send(i, &token, new(big.Int), 100_000, data)
		}
		n := mine(perBlock)
		if b == 0 {
			c.first = n
		}
		c.head = n
	}
	return c
}

// bareFetch fetches blocks first..head, 8 at once, with the follower's own
// fetch and decode (eth_getBlockByNumber with transactions, then
// eth_getBlockReceipts) and no handler, store or tracer.
func bareFetch(tb testing.TB, c *benchChain) time.Duration {
	tb.Helper()
	ctx := context.Background()
	st, err := pebble.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	f, err := ethereum.New(ethereum.Config{Network: "dev", RPC: c.ws, Traces: ethereum.TracesOff, Checkpoints: st,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := f.Check(ctx); err != nil {
		tb.Fatal(err)
	}
	var next atomic.Uint64
	next.Store(c.first)
	var txs atomic.Int64
	errs := make(chan error, 8)
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := next.Add(1) - 1; n <= c.head; n = next.Add(1) - 1 {
				b, err := f.BlockByNumber(ctx, n)
				if err != nil {
					errs <- err
					return
				}
				txs.Add(int64(len(b.Txs)))
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	if want := int64(c.head-c.first+1) * int64(c.perBlock); txs.Load() != want {
		tb.Fatalf("bare fetch decoded %d transactions, want %d", txs.Load(), want)
	}
	return took
}

// daemonBackfill runs the daemon (pebble store in a new directory, traces
// off: the simulated backend has no debug API) on the chain from
// c.first, from Open to its /healthz figure processed == head.
// CHAINHOUND_BACKFILL_CPUPROFILE=path.prof writes a CPU profile of it.
func daemonBackfill(tb testing.TB, c *benchChain, extra string) time.Duration {
	tb.Helper()
	cfg := benchConfig(tb, c, extra)
	if p := os.Getenv("CHAINHOUND_BACKFILL_CPUPROFILE"); p != "" {
		name := strings.TrimSuffix(p, ".prof") + "-" + strings.NewReplacer(" ", "", ":", "", "{", "", "}", "", "\n", "").Replace(extra) + ".prof"
		out, err := os.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			tb.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	d, done, cancel := runBench(tb, cfg)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			tb.Error(err)
		}
	}()
	for {
		select {
		case err := <-done:
			done <- err
			tb.Fatalf("daemon stopped during backfill: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
		if d.ChainStatus()[chains.Ethereum].Processed >= c.head {
			return time.Since(start)
		}
	}
}

// benchConfig is the config of a daemon on c's chain from c.first (a
// pebble store in a new directory, traces off: the simulated backend has
// no debug API), with the lines of extra added.
func benchConfig(tb testing.TB, c *benchChain, extra string) *config.Config {
	tb.Helper()
	cfg, err := config.Parse("bench.yaml", []byte(fmt.Sprintf(`data_dir: %s
chains:
  ethereum:
    network: dev
    rpc: %s
    start_block: %d
    traces: "off"
    poll_interval: 100ms
%s`, tb.TempDir(), c.ws, c.first, extra)))
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// runBench opens the daemon of cfg on a loopback port, its logs discarded,
// and runs it: done receives what Run returns, cancel stops it.
func runBench(tb testing.TB, cfg *config.Config) (d *daemon.Daemon, done chan error, cancel context.CancelFunc) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err = daemon.Open(ctx, cfg, daemon.Options{Listener: ln, NoShippedLabels: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done = make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	return d, done, cancel
}

// The chain is built once per test binary (-count and -benchtime reuse it)
// and stops with the process.
var (
	benchChainOnce  sync.Once
	benchChainBuilt *benchChain
)

// BenchmarkBackfill: the daemon's backfill of 1,000 blocks × 100
// transactions (half native, half ERC-20) from go-ethereum's simulated
// backend over websocket, with the transfer index on (the default) and
// off, and on a Redis store, against the bare fetch of the same blocks in
// the same run. Every
// run alternates bare, index on, index off, bare; the bare rate is their
// mean. Run with -benchtime 1x.
//
//	go test ./internal/daemon -run '^$' -bench Backfill -benchtime 1x -count 3
func BenchmarkBackfill(b *testing.B) {
	benchChainOnce.Do(func() {
		blocks := benchBlocks
		if s := os.Getenv("CHAINHOUND_BACKFILL_BLOCKS"); s != "" {
			fmt.Sscan(s, &blocks) // a shorter chain for a quick look
		}
		start := time.Now()
		benchChainBuilt = buildBenchChain(b, blocks, benchTxsPerBlock)
		b.Logf("chain of %d blocks built in %s", blocks, time.Since(start).Round(time.Millisecond))
	})
	c := benchChainBuilt
	if c == nil {
		b.Fatal("the chain was not built")
	}
	n := float64(c.head - c.first + 1)
	b.ResetTimer()
	var bare, on, off, onRedis time.Duration
	for range b.N {
		bare += bareFetch(b, c)
		on += daemonBackfill(b, c, "")
		off += daemonBackfill(b, c, "index: { retain: off }\n")
		// The same on Redis (issue 15: goal ≥ 0.8× pebble), a fresh
		// redis-server each run.
		r := testnodes.StartRedis(b)
		onRedis += daemonBackfill(b, c, fmt.Sprintf("store: { backend: redis, url: %q }\n", r.URL))
		bare += bareFetch(b, c)
	}
	b.StopTimer()
	rate := func(d time.Duration, runs int) float64 { return n * float64(runs) / d.Seconds() }
	bareRate, onRate, offRate, redisRate := rate(bare, 2*b.N), rate(on, b.N), rate(off, b.N), rate(onRedis, b.N)
	b.ReportMetric(redisRate, "redis-blocks/s")
	b.ReportMetric(redisRate/onRate, "redis/pebble")
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(bareRate, "bare-blocks/s")
	b.ReportMetric(onRate, "index-on-blocks/s")
	b.ReportMetric(offRate, "index-off-blocks/s")
	b.ReportMetric(onRate/bareRate, "on/bare")
	b.ReportMetric(offRate/bareRate, "off/bare")
}
