package main

import (
	"bufio"
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

// Two serve replicas on one real redis-server against a real geth --dev,
// through the real binary: the first key and the watchlist are made on
// the Redis by the CLI; the first serve takes the chain's lease, the
// second stands by (/healthz says so) and the CLI's direct writes are
// refused; a subscriber on each replica gets the active one's alert with
// the same seq; a block without alerts is one write. The active replica
// is killed (SIGKILL) while the theft goes on: the standby takes over
// within the lease and raises the deposit alert; the dead replica's
// subscriber resumes on the survivor with since, and each saw every alert
// once, in order. Then a replica is started again (standby), the active
// one is stopped (SIGSTOP) past its lease, the other takes over, and the
// stopped one resumed (SIGCONT) stands by without exiting and raises
// nothing. Nothing is written to the data directories.
func TestRedisReplicasBinary(t *testing.T) {
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

	lease := 2 * time.Second
	if v, err := time.ParseDuration(os.Getenv("CHAINHOUND_TEST_LEASE")); err == nil {
		lease = v // the failover figure with another lease (README)
	}
	body := fmt.Sprintf(`store: { backend: redis, url: %q, lease: %s }
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
`, r.URL, lease, g.WS)
	a, b := newTestDaemon(t, body), newTestDaemon(t, body)
	key := strings.TrimSpace(runBin(t, bin, 0, "--config", a.cfg, "keys", "create", "--role", "admin", "--tenant", "ops"))
	if !strings.HasPrefix(key, "chk_") {
		t.Fatalf("keys create printed %q", key)
	}
	for _, args := range [][]string{
		{"--chain", "ethereum", "--kind", "treasury", "--address", crypto.PubkeyToAddress(treasury.PublicKey).Hex(), "--label", "ACME treasury", "--owner", "acme"},
		{"--chain", "ethereum", "--kind", "exchange", "--address", exchange.Hex(), "--label", "Exchange deposit", "--owner", "exch"},
	} {
		runBin(t, bin, 0, append([]string{"--config", a.cfg, "watch", "add"}, args...)...)
	}
	if out := runBin(t, bin, 0, "--config", a.cfg, "serve", "--check"); !strings.Contains(out, "(store redis, api ") {
		t.Fatalf("serve --check said %q", out)
	}

	procA := startDaemon(t, bin, a.cfg, a.api)
	testnodes.WaitFor(t, 10*time.Second, "replica A active", func() bool { return role(t, a.api) == "active" })
	// A replica may join at any time; the CLI's direct writes may not.
	runBin(t, bin, 0, "--config", b.cfg, "serve", "--check")
	runBin(t, bin, 2, "--config", a.cfg, "keys", "create", "--role", "admin", "--tenant", "ops")
	procB := startDaemon(t, bin, b.cfg, b.api)
	if rb := role(t, b.api); rb != "standby" {
		t.Fatalf("replica B is %q beside an active A, want standby", rb)
	}
	if replica(t, a.api) == replica(t, b.api) || replica(t, b.api) == "" {
		t.Fatalf("replica ids %q and %q", replica(t, a.api), replica(t, b.api))
	}

	subA, subB := subscribe(t, a.api, key), subscribe(t, b.api, key)
	rcpt := g.SendETH(t, treasury, crypto.PubkeyToAddress(thief.PublicKey), eth(500))
	first := subA.await(t, "ethereum", alerts.TypeTreasuryOutflow)
	if first.Block == nil || first.Block.Number != rcpt.BlockNumber.Uint64() || first.Amount != eth(500).String() {
		t.Fatalf("treasury.outflow block %v amount %s, want block %d amount %s", first.Block, first.Amount, rcpt.BlockNumber, eth(500))
	}
	if onB := subB.await(t, "ethereum", alerts.TypeTreasuryOutflow); onB.Seq != first.Seq || onB.Tx != first.Tx {
		t.Fatalf("the standby's subscriber got seq %d tx %s, the active's seq %d tx %s", onB.Seq, onB.Tx, first.Seq, first.Tx)
	}

	// Blocks without alerts: one write each. (Three first, so that the
	// drain's confirmation is behind us.)
	filler := func() uint64 {
		return g.SendETH(t, bystander, crypto.PubkeyToAddress(newEthKey(t).PublicKey), big.NewInt(1)).BlockNumber.Uint64()
	}
	waitProcessed := func(api string, n uint64) {
		testnodes.WaitFor(t, 30*time.Second, fmt.Sprintf("block %d processed", n), func() bool { return processed(t, api) >= n })
		time.Sleep(300 * time.Millisecond) // the confirmation events after it
	}
	var last uint64
	for i := 0; i < 3; i++ {
		last = filler()
	}
	waitProcessed(a.api, last)
	p0, w0 := processed(t, a.api), metric(t, a.api, "chainhound_store_writes_total")
	for i := 0; i < 5; i++ {
		last = filler()
	}
	waitProcessed(a.api, last)
	p1, w1 := processed(t, a.api), metric(t, a.api, "chainhound_store_writes_total")
	t.Logf("%d blocks without alerts: %v writes to Redis", p1-p0, w1-w0)
	if p1-p0 < 5 || w1-w0 != float64(p1-p0) {
		t.Errorf("%d blocks without alerts took %v writes to Redis, want one each", p1-p0, w1-w0)
	}

	// A is killed hard while the theft goes on: B takes over within the
	// lease and raises the deposit alert.
	procA.Process.Signal(syscall.SIGKILL)
	killed := time.Now()
	procA.Wait()
	subA.drop()
	g.SendETH(t, thief, crypto.PubkeyToAddress(hop.PublicKey), eth(300))
	deposit := g.SendETH(t, hop, exchange, eth(299))
	testnodes.WaitFor(t, 3*lease, "replica B active", func() bool { return role(t, b.api) == "active" })
	tookOver := time.Since(killed)
	dep := subB.await(t, "ethereum", alerts.TypeExchangeDeposit)
	firstAlert := time.Since(killed)
	t.Logf("failover: B active %s after the SIGKILL, its first alert after %s (lease %s)", tookOver.Round(time.Millisecond), firstAlert.Round(time.Millisecond), lease)
	if tookOver > lease+time.Second {
		t.Errorf("B took over %s after the SIGKILL, want within the lease %s + 1s", tookOver, lease)
	}
	if dep.Tx != deposit.TxHash.Hex() || dep.Amount != eth(299).String() || dep.Tainted != eth(299).String() || dep.Hops != 3 {
		t.Errorf("deposit alert tx %s amount %s tainted %s hops %d; want %s, all of %s tainted, 3 hops", dep.Tx, dep.Amount, dep.Tainted, dep.Hops, deposit.TxHash.Hex(), eth(299))
	}
	subA.api = b.api
	subA.resume(t)
	if onA := subA.await(t, "ethereum", alerts.TypeExchangeDeposit); onA.Seq != dep.Seq {
		t.Fatalf("resumed on B: deposit seq %d, B's subscriber %d", onA.Seq, dep.Seq)
	}
	dense := func(name string, s *subscriber) {
		t.Helper()
		seqs := s.seqs()
		for i, q := range seqs {
			if q != uint64(i+1) {
				t.Fatalf("subscriber %s saw seqs %v: gap or duplicate at position %d", name, seqs, i)
			}
		}
	}
	dense("A", subA)
	dense("B", subB)

	// A again, standing by; B stalls (SIGSTOP) past its lease: A takes
	// over; B resumed stands by, alive, and raises nothing more.
	procA = startDaemon(t, bin, a.cfg, a.api)
	if ra := role(t, a.api); ra != "standby" {
		t.Fatalf("restarted A is %q beside an active B", ra)
	}
	procB.Process.Signal(syscall.SIGSTOP)
	testnodes.WaitFor(t, 3*lease, "replica A active after B stopped", func() bool { return role(t, a.api) == "active" })
	stolen := g.SendETH(t, treasury, crypto.PubkeyToAddress(thief.PublicKey), eth(100))
	procB.Process.Signal(syscall.SIGCONT)
	out := subB.await(t, "ethereum", alerts.TypeTreasuryOutflow)
	if out.Tx != stolen.TxHash.Hex() {
		t.Fatalf("second outflow alert tx %s, want %s", out.Tx, stolen.TxHash.Hex())
	}
	testnodes.WaitFor(t, 3*lease, "resumed B standing by", func() bool { return role(t, b.api) == "standby" })
	for i := 0; i < 3; i++ {
		last = filler()
	}
	waitProcessed(a.api, last)
	time.Sleep(lease)
	if err := procB.Process.Signal(syscall.Signal(0)); err != nil || role(t, b.api) != "standby" {
		t.Fatalf("B after losing its lease: %v, role %q", err, role(t, b.api))
	}
	dense("B", subB)
	n, err := r.Client(t).XLen(t.Context(), "{ch}:a:log").Result()
	if seqs := subB.seqs(); err != nil || n != int64(len(seqs)) {
		t.Fatalf("alert stream holds %d entries (%v), subscriber B saw %d", n, err, len(seqs))
	}
	for _, p := range []*exec.Cmd{procA, procB} {
		p.Process.Signal(syscall.SIGTERM)
		if err := waitExit(p, 6*time.Second); err != nil {
			t.Errorf("replica did not stop cleanly on SIGTERM: %v", err)
		}
	}
	for _, d := range []testDaemon{a, b} {
		if _, err := os.Stat(filepath.Join(d.dataDir, "store")); err == nil {
			t.Error("serve with the redis store made a pebble store in the data directory")
		}
	}
}

// health reads /healthz's replica id and the Ethereum chain's role.
func health(t *testing.T, api string) (replica, role string) {
	t.Helper()
	resp, err := http.Get(api + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Replica string `json:"replica"`
		Chains  map[string]struct {
			Role string `json:"role"`
		} `json:"chains"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h.Replica, h.Chains["ethereum"].Role
}

func role(t *testing.T, api string) string    { _, r := health(t, api); return r }
func replica(t *testing.T, api string) string { r, _ := health(t, api); return r }

// processed is the Ethereum follower's last processed block (/healthz).
func processed(t *testing.T, api string) uint64 {
	t.Helper()
	return chainProcessed(t, api, "ethereum")
}

// chainProcessed is the last block of chain the tracer processed, as
// /healthz says.
func chainProcessed(t *testing.T, api, chain string) uint64 {
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
	return h.Chains[chain].Processed
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
