package testnodes

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// GethVersion is the pinned go-ethereum release the harness builds and runs.
const GethVersion = "v1.17.10"

// gethPkg is the `go install` argument for the pinned geth.
const gethPkg = "github.com/ethereum/go-ethereum/cmd/geth@" + GethVersion

// Ether is 10^18 wei.
var Ether = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// EtherAmount returns n ether in wei.
func EtherAmount(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), Ether) }

// initialFunding is what g.Key receives from the dev account at start:
// one million ether.
var initialFunding = EtherAmount(1_000_000)

// Geth is a running `geth --dev` node on loopback ports.
type Geth struct {
	HTTP    string            // http://127.0.0.1:PORT
	WS      string            // ws://127.0.0.1:PORT
	ChainID *big.Int          // 1337 for --dev
	Key     *ecdsa.PrivateKey // a funded account the test holds and signs with (not the keystore dev account)
	Client  *ethclient.Client // over HTTP
	RPC     *rpc.Client       // over HTTP
	LogPath string            // geth's log file, printed when the test fails
	Dev     common.Address    // the keystore dev account that funded Key

	sendMu sync.Mutex // serialises nonce lookup and submission
}

type gethConfig struct {
	period        int
	blockGasLimit uint64
}

// GethOption configures StartGeth.
type GethOption func(*gethConfig)

// WithPeriod sets --dev.period: one block every seconds. The default, 0,
// seals a block whenever a transaction arrives.
func WithPeriod(seconds int) GethOption {
	return func(c *gethConfig) { c.period = seconds }
}

// OneTransferGasLimit is the block gas limit of WithOneTransferPerBlock:
// one plain transfer (21,000 gas) fits, two do not, and a block that uses
// 21,000 gas is one gas above its target (half the limit), so the base
// fee rises by 1/168,000 a block: 4 % over 7,200 blocks.
const OneTransferGasLimit = 41_999

// WithOneTransferPerBlock caps the block gas limit (--dev.gaslimit and
// --miner.gaslimit) at OneTransferGasLimit. geth --dev with period 0
// seals blocks while its pool holds executable transactions, so with this
// cap it seals one block per transfer as fast as they come: the quick way
// to a long chain (FillBlocks). Contract calls and deployments above
// 41,999 gas do not fit.
func WithOneTransferPerBlock() GethOption {
	return func(c *gethConfig) { c.blockGasLimit = OneTransferGasLimit }
}

// StartGeth builds (once) and starts geth --dev with a throwaway data
// directory, HTTP and WS on free loopback ports, funds g.Key with a million
// ether from the dev account, and checks that debug_traceBlockByNumber with
// the callTracer answers. The node is stopped by tb.Cleanup (SIGTERM, then
// kill); its log is printed if the test failed.
func StartGeth(tb testing.TB, opts ...GethOption) *Geth {
	tb.Helper()
	var cfg gethConfig
	for _, o := range opts {
		o(&cfg)
	}
	bin := BuildTool(tb, gethPkg)
	g := startWithRetry(tb, "geth", func() (*Geth, error) { return startGethOnce(tb, bin, cfg) })
	g.fund(tb)
	g.checkDebugTrace(tb)
	return g
}

func startGethOnce(tb testing.TB, bin string, cfg gethConfig) (*Geth, error) {
	tb.Helper()
	dir := tb.TempDir()
	httpPort, wsPort, authPort, p2pPort := FreePort(tb), FreePort(tb), FreePort(tb), FreePort(tb)
	logPath := filepath.Join(dir, "geth.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create log %s: %w", logPath, err)
	}
	args := []string{
		"--dev",
		"--dev.period", strconv.Itoa(cfg.period),
		"--datadir", filepath.Join(dir, "data"),
		"--http", "--http.addr", "127.0.0.1", "--http.port", strconv.Itoa(httpPort),
		"--http.api", "eth,net,web3,debug,txpool",
		"--ws", "--ws.addr", "127.0.0.1", "--ws.port", strconv.Itoa(wsPort),
		"--ws.api", "eth,net,web3,debug,txpool",
		"--authrpc.addr", "127.0.0.1", "--authrpc.port", strconv.Itoa(authPort),
		"--port", strconv.Itoa(p2pPort),
		"--nodiscover", "--maxpeers", "0",
		"--ipcdisable",
		"--verbosity", "2",
		"--gcmode", "full", // geth's default, said: the state of the last 128 blocks only
	}
	if cfg.blockGasLimit > 0 {
		gl := strconv.FormatUint(cfg.blockGasLimit, 10)
		args = append(args, "--dev.gaslimit", gl, "--miner.gaslimit", gl)
	}
	cmd := exec.Command(bin, args...)
	proc, err := startProcess(cmd, logFile)
	if err != nil {
		return nil, err
	}
	stop := func() { proc.stop(10 * time.Second) }

	key, err := crypto.GenerateKey()
	if err != nil {
		stop()
		return nil, fmt.Errorf("generate key: %w", err)
	}
	g := &Geth{
		Key:     key,
		HTTP:    fmt.Sprintf("http://127.0.0.1:%d", httpPort),
		WS:      fmt.Sprintf("ws://127.0.0.1:%d", wsPort),
		LogPath: logPath,
	}
	rc, err := rpc.Dial(g.HTTP)
	if err != nil {
		stop()
		return nil, fmt.Errorf("dial %s: %w", g.HTTP, err)
	}
	err = proc.waitReady("geth", logPath, 60*time.Second, 50*time.Millisecond, func() error {
		var id hexutil.Big
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := rc.CallContext(ctx, &id, "eth_chainId"); err != nil {
			return err
		}
		g.ChainID = id.ToInt()
		return nil
	})
	if err != nil {
		rc.Close()
		return nil, err
	}
	g.RPC = rc
	g.Client = ethclient.NewClient(rc)
	tb.Cleanup(func() {
		rc.Close()
		stop()
		if tb.Failed() {
			tb.Logf("testnodes: geth log %s (tail):\n%s", logPath, tailFile(logPath, 8000))
		}
	})

	return g, nil
}

// fund moves initialFunding from the unlocked dev account to g.Key with
// eth_sendTransaction and waits until it is mined.
func (g *Geth) fund(tb testing.TB) {
	tb.Helper()
	ctx, cancel := g.ctx(tb)
	defer cancel()
	var accounts []common.Address
	if err := g.RPC.CallContext(ctx, &accounts, "eth_accounts"); err != nil || len(accounts) == 0 {
		tb.Fatalf("testnodes: geth eth_accounts: %v (accounts %v)", err, accounts)
	}
	g.Dev = accounts[0]
	to := crypto.PubkeyToAddress(g.Key.PublicKey)
	var hash common.Hash
	tx := map[string]any{"from": g.Dev, "to": to, "value": (*hexutil.Big)(initialFunding)}
	if err := g.RPC.CallContext(ctx, &hash, "eth_sendTransaction", tx); err != nil {
		tb.Fatalf("testnodes: fund %s from dev account %s: %v", to, g.Dev, err)
	}
	if r := g.WaitMined(tb, hash); r.Status != 1 {
		tb.Fatalf("testnodes: funding tx %s failed (status %d)", hash, r.Status)
	}
}

// checkDebugTrace fails the test unless debug_traceBlockByNumber with the
// callTracer answers for the latest block: the Ethereum follower depends on
// it for internal transfers.
func (g *Geth) checkDebugTrace(tb testing.TB) {
	tb.Helper()
	ctx, cancel := g.ctx(tb)
	defer cancel()
	var res []map[string]any
	err := g.RPC.CallContext(ctx, &res, "debug_traceBlockByNumber", "latest", map[string]any{"tracer": "callTracer"})
	if err != nil {
		tb.Fatalf("testnodes: geth debug_traceBlockByNumber callTracer: %v", err)
	}
	if len(res) == 0 {
		tb.Fatalf("testnodes: geth debug_traceBlockByNumber callTracer returned no trace for the funding block")
	}
}

// ctx is a per-call context bounded by 60 seconds and the test's life.
func (g *Geth) ctx(tb testing.TB) (context.Context, context.CancelFunc) {
	return context.WithTimeout(tb.Context(), 60*time.Second)
}

// DialWS returns an ethclient over g.WS (for subscriptions), closed by
// tb.Cleanup.
func (g *Geth) DialWS(tb testing.TB) *ethclient.Client {
	tb.Helper()
	ctx, cancel := g.ctx(tb)
	defer cancel()
	c, err := ethclient.DialContext(ctx, g.WS)
	if err != nil {
		tb.Fatalf("testnodes: dial geth websocket %s: %v", g.WS, err)
	}
	tb.Cleanup(c.Close)
	return c
}

// BlockNumber returns the current head number.
func (g *Geth) BlockNumber(tb testing.TB) uint64 {
	tb.Helper()
	ctx, cancel := g.ctx(tb)
	defer cancel()
	n, err := g.Client.BlockNumber(ctx)
	if err != nil {
		tb.Fatalf("testnodes: geth eth_blockNumber: %v", err)
	}
	return n
}

// Balance returns addr's balance at the head, in wei.
func (g *Geth) Balance(tb testing.TB, addr common.Address) *big.Int {
	tb.Helper()
	ctx, cancel := g.ctx(tb)
	defer cancel()
	b, err := g.Client.BalanceAt(ctx, addr, nil)
	if err != nil {
		tb.Fatalf("testnodes: geth balance of %s: %v", addr, err)
	}
	return b
}

// CallTraces returns the raw callTracer output of debug_traceBlockByNumber
// for block n: one JSON object per transaction.
func (g *Geth) CallTraces(tb testing.TB, n uint64) []CallFrameResult {
	tb.Helper()
	ctx, cancel := g.ctx(tb)
	defer cancel()
	var res []CallFrameResult
	err := g.RPC.CallContext(ctx, &res, "debug_traceBlockByNumber", hexutil.EncodeUint64(n), map[string]any{"tracer": "callTracer"})
	if err != nil {
		tb.Fatalf("testnodes: geth debug_traceBlockByNumber %d callTracer: %v", n, err)
	}
	return res
}

// CallFrameResult is one transaction's entry in debug_traceBlockByNumber.
type CallFrameResult struct {
	TxHash common.Hash `json:"txHash"`
	Result CallFrame   `json:"result"`
}

// CallFrame is callTracer's frame: the top-level call or a nested one.
type CallFrame struct {
	Type   string         `json:"type"` // CALL, CREATE, DELEGATECALL, ...
	From   common.Address `json:"from"`
	To     common.Address `json:"to"`
	Value  *hexutil.Big   `json:"value"`
	Error  string         `json:"error"`
	Output hexutil.Bytes  `json:"output"`
	Calls  []CallFrame    `json:"calls"`
}

// AddressOf returns the address of key.
func AddressOf(key *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(key.PublicKey) }

// tailFile returns up to the last n bytes of path, for failure messages.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(read %s: %v)", path, err)
	}
	if len(b) > n {
		b = b[len(b)-n:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return "(empty)"
	}
	return s
}
