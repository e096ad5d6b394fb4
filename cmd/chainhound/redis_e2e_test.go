package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/crypto"
)

// serve with store.backend redis, through the real binary on a real geth
// --dev and a real redis-server: the first key and the watchlist are made
// on the Redis by the CLI, a second serve on the same Redis is refused,
// a block without alerts is one write to Redis, and after a SIGKILL (the
// lock expires) and a restart the subscriber resumes with since and sees
// every alert once, in order. Nothing is written to the data directory.
func TestRedisStoreBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth, redis-server and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	r := testnodes.StartRedis(t)

	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	treasury := g.NewAccount(t, eth(1000))
	bystander := g.NewAccount(t, eth(10))
	thief, hop := newEthKey(t), newEthKey(t)
	exchange := crypto.PubkeyToAddress(newEthKey(t).PublicKey)

	body := fmt.Sprintf(`store: { backend: redis, url: %q }
chains:
  ethereum:
    network: dev
    rpc: %s
    confirmations: 2
    start_block: latest
    traces: auto
tracer:
  dust: { ethereum: "1000000000000000" }
  drain:
    amount: { ethereum: "100000000000000000000" }
  auto_incident: true
`, r.URL, g.WS)
	d := newTestDaemon(t, body)
	key := strings.TrimSpace(runBin(t, bin, 0, "--config", d.cfg, "keys", "create", "--role", "admin", "--tenant", "ops"))
	if !strings.HasPrefix(key, "chk_") {
		t.Fatalf("keys create printed %q", key)
	}
	for _, args := range [][]string{
		{"--chain", "ethereum", "--kind", "treasury", "--address", crypto.PubkeyToAddress(treasury.PublicKey).Hex(), "--label", "ACME treasury", "--owner", "acme"},
		{"--chain", "ethereum", "--kind", "exchange", "--address", exchange.Hex(), "--label", "Exchange deposit", "--owner", "exch"},
	} {
		runBin(t, bin, 0, append([]string{"--config", d.cfg, "watch", "add"}, args...)...)
	}
	if out := runBin(t, bin, 0, "--config", d.cfg, "serve", "--check"); !strings.Contains(out, "(store redis, api ") {
		t.Fatalf("serve --check said %q", out)
	}

	daemon := startDaemon(t, bin, d.cfg, d.api)

	// A second serve on the same Redis is refused, naming why; so are the
	// CLI's direct writes.
	other := newTestDaemon(t, body)
	out := runServe(t, bin, other.cfg, 1)
	if !strings.Contains(out, "redis store is in use by another chainhound process") || !strings.Contains(out, "{ch}:lock") {
		t.Fatalf("second serve said:\n%s", out)
	}
	runBin(t, bin, 1, "--config", d.cfg, "serve", "--check")
	runBin(t, bin, 2, "--config", d.cfg, "keys", "create", "--role", "admin", "--tenant", "ops")

	sub := subscribe(t, d.api, key)
	rcpt := g.SendETH(t, treasury, crypto.PubkeyToAddress(thief.PublicKey), eth(500))
	first := sub.await(t, "ethereum", alerts.TypeTreasuryOutflow)
	if first.Block == nil || first.Block.Number != rcpt.BlockNumber.Uint64() || first.Amount != eth(500).String() {
		t.Fatalf("treasury.outflow block %v amount %s, want block %d amount %s", first.Block, first.Amount, rcpt.BlockNumber, eth(500))
	}

	// Blocks without alerts: one write each. (Three first, so that the
	// drain's confirmation is behind us.)
	filler := func() uint64 {
		return g.SendETH(t, bystander, crypto.PubkeyToAddress(newEthKey(t).PublicKey), big.NewInt(1)).BlockNumber.Uint64()
	}
	waitProcessed := func(n uint64) {
		testnodes.WaitFor(t, 30*time.Second, fmt.Sprintf("block %d processed", n), func() bool { return processed(t, d.api) >= n })
		time.Sleep(300 * time.Millisecond) // the confirmation events after it
	}
	var last uint64
	for i := 0; i < 3; i++ {
		last = filler()
	}
	waitProcessed(last)
	p0, w0 := processed(t, d.api), metric(t, d.api, "chainhound_store_writes_total")
	for i := 0; i < 5; i++ {
		last = filler()
	}
	waitProcessed(last)
	p1, w1 := processed(t, d.api), metric(t, d.api, "chainhound_store_writes_total")
	t.Logf("%d blocks without alerts: %v writes to Redis", p1-p0, w1-w0)
	if p1-p0 != 5 || w1-w0 != 5 {
		t.Errorf("%d blocks without alerts took %v writes to Redis, want one each", p1-p0, w1-w0)
	}

	// Killed hard: the lock stays until it expires; the theft goes on.
	daemon.Process.Signal(syscall.SIGKILL)
	daemon.Wait()
	sub.drop()
	g.SendETH(t, thief, crypto.PubkeyToAddress(hop.PublicKey), eth(300))
	deposit := g.SendETH(t, hop, exchange, eth(299))
	testnodes.WaitFor(t, 20*time.Second, "the dead daemon's lock to expire", func() bool {
		return exec.Command(bin, "--config", d.cfg, "serve", "--check").Run() == nil
	})

	daemon = startDaemon(t, bin, d.cfg, d.api)
	sub.resume(t)
	dep := sub.await(t, "ethereum", alerts.TypeExchangeDeposit)
	if dep.Tx != deposit.TxHash.Hex() || dep.Amount != eth(299).String() || dep.Tainted != eth(299).String() || dep.Hops != 3 {
		t.Errorf("deposit alert tx %s amount %s tainted %s hops %d; want %s, all of %s tainted, 3 hops", dep.Tx, dep.Amount, dep.Tainted, dep.Hops, deposit.TxHash.Hex(), eth(299))
	}
	seqs := sub.seqs()
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("subscriber saw seqs %v: gap or duplicate at position %d", seqs, i)
		}
	}
	// The alerts are in the Redis stream, under their seqs.
	n, err := r.Client(t).XLen(t.Context(), "{ch}:a:log").Result()
	if err != nil || n < int64(len(seqs)) {
		t.Fatalf("alert stream holds %d entries (%v), the subscriber saw %d", n, err, len(seqs))
	}
	daemon.Process.Signal(syscall.SIGTERM)
	if err := waitExit(daemon, 6*time.Second); err != nil {
		t.Errorf("daemon did not stop cleanly on SIGTERM: %v", err)
	}
	// A clean stop releases the lock at once.
	runBin(t, bin, 0, "--config", d.cfg, "serve", "--check")
	if _, err := os.Stat(filepath.Join(d.dataDir, "store")); err == nil {
		t.Error("serve with the redis store made a pebble store in the data directory")
	}
}

// runServe runs serve until it exits, wanting status want; it returns
// what it printed.
func runServe(t *testing.T, bin, cfg string, want int) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config", cfg)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	err := waitExit(cmd, 20*time.Second)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("serve: %v\n%s", err, buf.String())
	}
	if code != want {
		t.Fatalf("serve exited %d, want %d:\n%s", code, want, buf.String())
	}
	return buf.String()
}

// processed is the Ethereum follower's last processed block (/healthz).
func processed(t *testing.T, api string) uint64 {
	t.Helper()
	resp, err := http.Get(api + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Chains map[string]struct {
			Processed uint64 `json:"processed"`
		} `json:"chains"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h.Chains["ethereum"].Processed
}

// metric reads one unlabelled metric from /metrics.
func metric(t *testing.T, api, name string) float64 {
	t.Helper()
	resp, err := http.Get(api + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
