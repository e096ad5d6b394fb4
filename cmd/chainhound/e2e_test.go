package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/gorilla/websocket"
)

// The whole path through the real binary: a real geth --dev and a real
// btcd regtest, the CLI to make a key and fill the watchlist, `serve`, a
// websocket subscriber; a treasury drained, the loot hopped and deposited
// at an exchange on both chains. The daemon is killed with SIGKILL after
// the first alert and restarted: the subscriber, resuming with since,
// misses nothing and sees nothing twice.
func TestEndToEndBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth, btcd and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	b := testnodes.StartBtcd(t)
	coins := b.MatureCoins(t, 1)

	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	treasury := g.NewAccount(t, eth(1000))
	thief, hop := newEthKey(t), newEthKey(t)
	exchange := crypto.PubkeyToAddress(newEthKey(t).PublicKey)

	btcThief, btcHop, btcExchange := newBtcKey(t), newBtcKey(t), newBtcKey(t)

	d := newTestDaemon(t, "chains:\n"+devEthereum(g.WS, 2)+devBitcoin(b.URL(), b.User, b.Pass)+`tracer:
  dust: { ethereum: "1000000000000000", bitcoin: "1000" }
  drain:
    amount: { ethereum: "100000000000000000000", bitcoin: "1000000000" }
  auto_incident: true
`)
	dataDir, api, cfg := d.dataDir, d.api, d.cfg

	// A first admin key, made on the data directory before the first serve.
	key := strings.TrimSpace(runBin(t, bin, 0, "--data-dir", dataDir, "keys", "create", "--role", "admin", "--tenant", "ops"))
	if !strings.HasPrefix(key, "chk_") || strings.Contains(key, "\n") {
		t.Fatalf("keys create printed %q, want the key alone", key)
	}
	for _, args := range [][]string{
		{"--chain", "ethereum", "--kind", "treasury", "--address", crypto.PubkeyToAddress(treasury.PublicKey).Hex(), "--label", "ACME treasury", "--owner", "acme"},
		{"--chain", "ethereum", "--kind", "exchange", "--address", exchange.Hex(), "--label", "Exchange deposit", "--owner", "exch"},
		{"--chain", "bitcoin", "--kind", "treasury", "--address", b.Address.EncodeAddress(), "--label", "ACME BTC treasury", "--owner", "acme"},
		{"--chain", "bitcoin", "--kind", "exchange", "--address", btcAddr(t, b, btcExchange), "--label", "Exchange BTC deposit", "--owner", "exch"},
	} {
		runBin(t, bin, 0, append([]string{"--config", cfg, "watch", "add"}, args...)...)
	}

	daemon := startDaemon(t, bin, cfg, api)
	sub := subscribe(t, api, key)

	// Ethereum: the drain. Its alert comes from the drain's own block.
	rcpt := g.SendETH(t, treasury, crypto.PubkeyToAddress(thief.PublicKey), eth(500))
	first := sub.await(t, "ethereum", alerts.TypeTreasuryOutflow)
	if first.Block == nil || first.Block.Number != rcpt.BlockNumber.Uint64() || first.Amount != eth(500).String() {
		t.Fatalf("treasury.outflow block %v amount %s, want block %d amount %s", first.Block, first.Amount, rcpt.BlockNumber, eth(500))
	}

	// Kill the daemon hard after the first alert; the theft goes on.
	daemon.Process.Signal(syscall.SIGKILL)
	daemon.Wait()
	sub.drop()
	g.SendETH(t, thief, crypto.PubkeyToAddress(hop.PublicKey), eth(300))
	deposit := g.SendETH(t, hop, exchange, eth(299))

	daemon = startDaemon(t, bin, cfg, api)
	sub.resume(t)
	dep := sub.await(t, "ethereum", alerts.TypeExchangeDeposit)
	if dep.Tx != deposit.TxHash.Hex() || dep.Amount != eth(299).String() || dep.Tainted != eth(299).String() || dep.Hops != 3 {
		t.Errorf("ethereum deposit alert tx %s amount %s tainted %s hops %d; want %s, all of %s tainted, 3 hops", dep.Tx, dep.Amount, dep.Tainted, dep.Hops, deposit.TxHash.Hex(), eth(299))
	}
	if dep.Label == nil || dep.Label.Owner != "exch" || dep.Severity != alerts.Critical {
		t.Errorf("ethereum deposit alert label %+v severity %s", dep.Label, dep.Severity)
	}

	// Bitcoin: the treasury pays 30 BTC to the thief (change comes back),
	// the thief hops, the hop deposits.
	thiefScript := p2wpkh(t, b, btcThief)
	drainTx := b.BuildTx(t, coins, []*wire.TxOut{wire.NewTxOut(30e8, thiefScript)})
	drainID := b.SendTx(t, drainTx)
	b.Generate(t, 1)
	out := sub.await(t, "bitcoin", alerts.TypeTreasuryOutflow)
	if out.Tx != drainID.String() || out.Amount != "3000000000" {
		t.Errorf("bitcoin treasury.outflow tx %s amount %s, want %s 3000000000", out.Tx, out.Amount, drainID)
	}
	sub.await(t, "bitcoin", alerts.TypeTreasuryDrain)
	hopTx := spendP2WPKH(t, btcThief, b, wire.OutPoint{Hash: drainID, Index: 0}, 30e8, p2wpkh(t, b, btcHop), 30e8-10_000)
	b.Generate(t, 1)
	depTx := spendP2WPKH(t, btcHop, b, wire.OutPoint{Hash: hopTx, Index: 0}, 30e8-10_000, p2wpkh(t, b, btcExchange), 30e8-20_000)
	b.Generate(t, 1)
	bdep := sub.await(t, "bitcoin", alerts.TypeExchangeDeposit)
	if bdep.Tx != depTx.String() || bdep.Amount != "2999980000" || bdep.Tainted != "2999980000" || bdep.Hops != 3 {
		t.Errorf("bitcoin deposit alert tx %s amount %s tainted %s hops %d; want %s 2999980000 all tainted, 3 hops", bdep.Tx, bdep.Amount, bdep.Tainted, bdep.Hops, depTx)
	}

	// Across the kill: every seq from 1 on, once each, in order.
	seqs := sub.seqs()
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("subscriber saw seqs %v: gap or duplicate at position %d", seqs, i)
		}
	}
	daemon.Process.Signal(syscall.SIGTERM)
	if err := waitExit(daemon, 6*time.Second); err != nil {
		t.Errorf("daemon did not stop cleanly on SIGTERM: %v", err)
	}
	// The shutdown is logged, with its cause.
	if f, ok := daemon.Stdout.(*os.File); ok {
		b, _ := os.ReadFile(f.Name())
		if !strings.Contains(string(b), "shutting down") || !strings.Contains(string(b), "stopped: every part finished") {
			t.Errorf("the daemon's log does not say it shut down:\n%s", b[max(0, len(b)-2000):])
		}
	}
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "chainhound")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBin runs the binary and checks its exit status; it returns stdout.
func runBin(t *testing.T, bin string, want int, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	if code != want {
		t.Fatalf("chainhound %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func startDaemon(t *testing.T, bin, cfg, api string) *exec.Cmd {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfg, "--log-level", "debug")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			if len(b) > 20000 {
				b = b[len(b)-20000:]
			}
			t.Logf("daemon log %s:\n%s", logf.Name(), b)
		}
	})
	testnodes.WaitFor(t, 30*time.Second, "the daemon's /healthz", func() bool {
		resp, err := http.Get(api + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return cmd
}

func waitExit(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		return fmt.Errorf("still running after %s", d)
	}
}

// subscriber reads alerts from the websocket and resumes with since.
type subscriber struct {
	api, key string
	mu       sync.Mutex
	got      []alerts.Alert
	conn     *websocket.Conn
	next     int // index of the next alert await looks at
}

func subscribe(t *testing.T, api, key string) *subscriber {
	s := &subscriber{api: api, key: key}
	s.resume(t)
	return s
}

func (s *subscriber) last() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) == 0 {
		return 0
	}
	return s.got[len(s.got)-1].Seq
}

func (s *subscriber) resume(t *testing.T) {
	t.Helper()
	url := fmt.Sprintf("ws%s/v1/alerts/ws?since=%d", strings.TrimPrefix(s.api, "http"), s.last())
	conn, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + s.key}})
	if err != nil {
		t.Fatalf("subscribe %s: %v", url, err)
	}
	s.conn = conn
	go func() {
		for {
			var a alerts.Alert
			if err := conn.ReadJSON(&a); err != nil {
				return
			}
			s.mu.Lock()
			s.got = append(s.got, a)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close() })
}

func (s *subscriber) drop() { s.conn.Close() }

// await returns the next alert of typ on chain, failing after 30s.
func (s *subscriber) await(t *testing.T, chain, typ string) alerts.Alert {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for ; s.next < len(s.got); s.next++ {
			if a := s.got[s.next]; a.Chain == chain && a.Type == typ {
				s.next++
				s.mu.Unlock()
				return a
			}
		}
		s.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.MarshalIndent(s.got, "", " ")
	t.Fatalf("no %s %s alert within 30s; got:\n%s", chain, typ, b)
	return alerts.Alert{}
}

func (s *subscriber) seqs() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint64
	for _, a := range s.got {
		out = append(out, a.Seq)
	}
	return out
}

func newEthKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newBtcKey(t *testing.T) *btcec.PrivateKey {
	k, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func btcAddr(t *testing.T, b *testnodes.Btcd, k *btcec.PrivateKey) string {
	a, err := address.NewAddressWitnessPubKeyHash(address.Hash160(k.PubKey().SerializeCompressed()), b.Params)
	if err != nil {
		t.Fatal(err)
	}
	return a.EncodeAddress()
}

func p2wpkh(t *testing.T, b *testnodes.Btcd, k *btcec.PrivateKey) []byte {
	a, err := address.DecodeAddress(btcAddr(t, b, k), b.Params)
	if err != nil {
		t.Fatal(err)
	}
	s, err := txscript.PayToAddrScript(a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// spendP2WPKH spends one P2WPKH output of key to script and sends it.
func spendP2WPKH(t *testing.T, key *btcec.PrivateKey, b *testnodes.Btcd, op wire.OutPoint, value int64, to []byte, amount int64) chainhash.Hash {
	t.Helper()
	prevScript := p2wpkh(t, b, key)
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	tx.AddTxOut(wire.NewTxOut(amount, to))
	fetcher := txscript.NewCannedPrevOutputFetcher(prevScript, value)
	w, err := txscript.WitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher), 0, value, prevScript, txscript.SigHashAll, key, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = w
	return b.SendTx(t, tx)
}

func writeFile(t *testing.T, path, s string) {
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

var _ = context.Background

// testDaemon is a data directory, a free API port and a config file for a
// daemon under test: data_dir and api come first, then body (the chains
// and tracer sections).
type testDaemon struct {
	dataDir, api, cfg string
}

func newTestDaemon(t *testing.T, body string) testDaemon {
	t.Helper()
	d := testDaemon{dataDir: t.TempDir(), cfg: filepath.Join(t.TempDir(), "chainhound.yaml")}
	port := testnodes.FreePort(t)
	d.api = fmt.Sprintf("http://127.0.0.1:%d", port)
	writeFile(t, d.cfg, fmt.Sprintf("data_dir: %s\napi: { listen: 127.0.0.1:%d }\n", d.dataDir, port)+body)
	return d
}

// key makes a key of role for tenant on the data directory (before serve).
func (d testDaemon) key(t *testing.T, bin, role, tenant string) string {
	t.Helper()
	return strings.TrimSpace(runBin(t, bin, 0, "--data-dir", d.dataDir, "keys", "create", "--role", role, "--tenant", tenant))
}

// apiCall calls the API with key and body as JSON (nil: none), returning
// the status and the body.
func apiCall(t *testing.T, api, key, method, path string, body any) (int, []byte) {
	t.Helper()
	return daemontest.CallJSON(t, api, key, method, path, body)
}

// devEthereum is the chains.ethereum section of a test daemon's config
// for a geth --dev at rpc: applied at the head, traces on when the node
// has them, polled every 200 ms.
func devEthereum(rpc string, confirmations int) string {
	return fmt.Sprintf(`  ethereum:
    network: dev
    rpc: %s
    confirmations: %d
    start_block: latest
    traces: auto
    poll_interval: 200ms
`, rpc, confirmations)
}

// devBitcoin is the chains.bitcoin section of a test daemon's config for a
// btcd regtest at rpc: one confirmation, applied at the head, polled every
// 200 ms.
func devBitcoin(rpc, user, pass string) string {
	return fmt.Sprintf(`  bitcoin:
    network: regtest
    rpc: %s
    rpc_user: %s
    rpc_password: %s
    confirmations: 1
    start_block: latest
    poll_interval: 200ms
`, rpc, user, pass)
}
