package testnodes

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire/v2"
)

// BtcdVersion is the btcd release StartBtcd builds and runs.
const BtcdVersion = "github.com/btcsuite/btcd@v0.26.2"

// Btcd is a running btcd regtest node (segwit and taproot active from
// block 1) with a transaction index, reachable over JSON-RPC (HTTP POST,
// no TLS) on loopback.
type Btcd struct {
	RPCHost  string // host:port of the JSON-RPC server
	User     string
	Pass     string
	P2PAddr  string // host:port of the peer-to-peer listener
	Params   *chaincfg.Params
	Client   *rpcclient.Client
	Key      *btcec.PrivateKey // the test's key; mining pays to Address
	Address  address.Address   // P2WPKH of Key on Params
	LogFile  string
	DataDir  string
	proc     *process
	mu       sync.Mutex
	used     map[wire.OutPoint]bool // coins handed out by MatureCoins
	stopOnce sync.Once
}

// BtcdOption adjusts how StartBtcd runs the node.
type BtcdOption func(*btcdConfig)

type btcdConfig struct {
	args []string
	key  *btcec.PrivateKey
}

// WithBtcdArgs appends extra command-line arguments.
func WithBtcdArgs(args ...string) BtcdOption {
	return func(c *btcdConfig) { c.args = append(c.args, args...) }
}

// WithBtcdKey makes the node mine to key instead of the default test key.
func WithBtcdKey(key *btcec.PrivateKey) BtcdOption {
	return func(c *btcdConfig) { c.key = key }
}

// TestKey is the deterministic key every harness node mines to unless
// WithBtcdKey says otherwise.
func TestKey() *btcec.PrivateKey {
	seed := sha256.Sum256([]byte("chainhound btcd test key"))
	k, _ := btcec.PrivKeyFromBytes(seed[:])
	return k
}

// StartBtcd builds (once) and starts btcd --regtest --txindex on free
// loopback ports with a temporary data directory. The node is stopped by
// tb.Cleanup; its log is printed if the test failed.
//
// Nodes never find each other on their own (no DNS seeds, and loopback
// addresses are not gossiped): two started nodes stay apart, each mining
// its own branch, until Connect; Disconnect parts them again.
func StartBtcd(tb testing.TB, opts ...BtcdOption) *Btcd {
	tb.Helper()
	cfg := btcdConfig{key: TestKey()}
	for _, o := range opts {
		o(&cfg)
	}
	bin := BuildTool(tb, BtcdVersion)
	params := &chaincfg.RegressionNetParams
	addr, err := address.NewAddressWitnessPubKeyHash(address.Hash160(cfg.key.PubKey().SerializeCompressed()), params)
	if err != nil {
		tb.Fatalf("testnodes: btcd mining address: %v", err)
	}
	return startWithRetry(tb, "btcd", func() (*Btcd, error) { return startBtcdOnce(tb, bin, cfg, params, addr) })
}

func startBtcdOnce(tb testing.TB, bin string, cfg btcdConfig, params *chaincfg.Params, addr address.Address) (*Btcd, error) {
	tb.Helper()
	dir := tb.TempDir()
	conf := filepath.Join(dir, "btcd.conf")
	if err := os.WriteFile(conf, nil, 0o644); err != nil {
		return nil, err
	}
	b := &Btcd{
		RPCHost: fmt.Sprintf("127.0.0.1:%d", FreePort(tb)),
		User:    "chainhound",
		Pass:    randomPassword(), // so that no other node on a reused port answers as this one
		P2PAddr: fmt.Sprintf("127.0.0.1:%d", FreePort(tb)),
		Params:  params,
		Key:     cfg.key,
		Address: addr,
		DataDir: filepath.Join(dir, "data"),
		LogFile: filepath.Join(dir, "btcd.out"),
		used:    map[wire.OutPoint]bool{},
	}
	args := []string{
		"--configfile=" + conf,
		"--regtest", "--txindex",
		"--datadir=" + b.DataDir,
		"--logdir=" + filepath.Join(dir, "logs"),
		"--rpccert=" + filepath.Join(dir, "rpc.cert"),
		"--rpckey=" + filepath.Join(dir, "rpc.key"),
		"--rpcuser=" + b.User, "--rpcpass=" + b.Pass,
		"--rpclisten=" + b.RPCHost, "--notls",
		"--listen=" + b.P2PAddr,
		"--nodnsseed", "--nobanning", "--nostalldetect",
		"--miningaddr=" + addr.EncodeAddress(),
		"--debuglevel=info",
	}
	args = append(args, cfg.args...)
	out, err := os.Create(b.LogFile)
	if err != nil {
		return nil, err
	}
	b.proc, err = startProcess(exec.Command(bin, args...), out)
	if err != nil {
		return nil, err
	}
	b.Client, err = rpcclient.New(&rpcclient.ConnConfig{
		Host: b.RPCHost, User: b.User, Pass: b.Pass,
		HTTPPostMode: true, DisableTLS: true,
	}, nil)
	if err != nil {
		b.Stop()
		return nil, fmt.Errorf("btcd rpc client: %w", err)
	}
	err = b.proc.waitReady("btcd", b.LogFile, 60*time.Second, 50*time.Millisecond, func() error {
		// rpcclient retries a refused connection for about 20 s before it
		// answers; a dial first keeps each check short, so an exit is
		// seen at once.
		conn, err := net.DialTimeout("tcp", b.RPCHost, time.Second)
		if err != nil {
			return err
		}
		conn.Close()
		_, err = b.Client.GetBlockCount()
		return err
	})
	if err != nil {
		b.Client.Shutdown()
		return nil, err
	}
	tb.Cleanup(func() {
		b.Client.Shutdown()
		b.Stop()
		if tb.Failed() {
			tb.Logf("btcd %s log (tail):\n%s", b.RPCHost, tailFile(b.LogFile, 8000))
		}
	})
	return b, nil
}

// URL is the node's JSON-RPC endpoint as http://host:port.
func (b *Btcd) URL() string { return "http://" + b.RPCHost }

// Stop stops the node (idempotent); tb.Cleanup calls it too.
func (b *Btcd) Stop() {
	b.stopOnce.Do(func() { b.proc.stop(10 * time.Second) })
}

// Generate mines n blocks paying to Address and returns their hashes.
func (b *Btcd) Generate(tb testing.TB, n uint32) []chainhash.Hash {
	tb.Helper()
	hs, err := b.Client.Generate(n)
	if err != nil {
		tb.Fatalf("testnodes: btcd %s generate %d: %v", b.RPCHost, n, err)
	}
	out := make([]chainhash.Hash, len(hs))
	for i, h := range hs {
		out[i] = *h
	}
	return out
}

// Tip returns the node's best block hash and height.
func (b *Btcd) Tip(tb testing.TB) (chainhash.Hash, int32) {
	tb.Helper()
	h, height, err := b.Client.GetBestBlock()
	if err != nil {
		tb.Fatalf("testnodes: btcd %s best block: %v", b.RPCHost, err)
	}
	return *h, height
}

// Connect makes b connect to other and waits until both share a tip (the
// one with more work wins; the other reorganises).
func (b *Btcd) Connect(tb testing.TB, other *Btcd) {
	tb.Helper()
	if err := b.Client.AddNode(other.P2PAddr, rpcclient.ANOneTry); err != nil {
		tb.Fatalf("testnodes: btcd %s addnode %s: %v", b.RPCHost, other.P2PAddr, err)
	}
	WaitFor(tb, 60*time.Second, "btcd nodes to share a tip", func() bool {
		h1, _, err1 := b.Client.GetBestBlock()
		h2, _, err2 := other.Client.GetBestBlock()
		return err1 == nil && err2 == nil && *h1 == *h2
	})
}

// Disconnect drops every peer of b and other and waits until neither has
// one, so each can mine its own branch.
func (b *Btcd) Disconnect(tb testing.TB, other *Btcd) {
	tb.Helper()
	for _, n := range []*Btcd{b, other} {
		peers, err := n.Client.GetPeerInfo()
		if err != nil {
			tb.Fatalf("testnodes: btcd %s getpeerinfo: %v", n.RPCHost, err)
		}
		for _, p := range peers {
			// Errors are fine: the other side may have dropped it already.
			_ = n.Client.Node(btcjson.NDisconnect, strconv.Itoa(int(p.ID)), nil)
		}
	}
	WaitFor(tb, 30*time.Second, "btcd nodes to have no peers", func() bool {
		for _, n := range []*Btcd{b, other} {
			peers, err := n.Client.GetPeerInfo()
			if err != nil || len(peers) > 0 {
				return false
			}
		}
		return true
	})
}

func randomPassword() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}
