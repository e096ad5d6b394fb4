package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	goredis "github.com/redis/go-redis/v9"
)

// TestRedisOutageHealthz (issue 15, faults): serve on a Redis with its
// append-only file synced at every write; redis-server is stopped while the
// chain moves on and a deposit is made. /healthz turns degraded with a
// reason naming Redis and the process keeps running (it stands by); once
// Redis is back /healthz is ok again, the deposit made during the outage
// is alerted once, and the subscriber's seqs are 1, 2, … without a gap or
// a repeat: nothing lost, nothing acknowledged that was not written.
func TestRedisOutageHealthz(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth, redis-server and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	r := testnodes.StartRedisPersistent(t)
	x := startRedisTheft(t, bin, g, fmt.Sprintf("store: { backend: redis, url: %q, lease: 2s }\nchains:\n", r.URL))
	sub, d, key := x.sub, x.d, x.key

	r.Stop(t)
	dep2 := x.deposit(t, 4)
	g.MineBlocks(t, 2)
	var last string
	testnodes.WaitFor(t, 20*time.Second, "/healthz degraded naming redis", func() bool {
		code, b := healthz(t, d.api)
		last = fmt.Sprintf("%d %s", code, b)
		return code == http.StatusServiceUnavailable && strings.Contains(b, `"status":"degraded"`) && strings.Contains(b, `"reason":"redis unreachable`)
	})
	t.Logf("during the outage: %s", last)
	time.Sleep(3 * time.Second) // past the write's retries and the lease

	r.Start(t)
	// Still the same process (it stood by, it did not exit): ok again.
	testnodes.WaitFor(t, 20*time.Second, "/healthz ok once Redis is back", func() bool {
		code, b := healthz(t, d.api)
		last = fmt.Sprintf("%d %s", code, b)
		return code == http.StatusOK && strings.Contains(b, `"role":"active"`)
	})
	if strings.Contains(last, `"reason"`) {
		t.Fatalf("/healthz ok with a reason: %s", last)
	}
	if a := sub.await(t, "ethereum", alerts.TypeExchangeDeposit); a.Tx != dep2.TxHash.Hex() {
		t.Fatalf("the deposit alert after the outage is %s, want the deposit made during it %s", a, dep2.TxHash.Hex())
	}
	g.MineBlocks(t, 2)
	time.Sleep(2 * time.Second) // anything repeated would come now
	x.checkOnce(t, dep2)
	// A resume by since on the same replica reads the same log.
	since := subscribe(t, d.api, key)
	testnodes.WaitFor(t, 10*time.Second, "a fresh subscriber replays the log", func() bool { return len(since.seqs()) == len(sub.seqs()) })
}

// healthz returns /healthz's status code and body.
func healthz(t *testing.T, api string) (int, string) {
	t.Helper()
	resp, err := http.Get(api + "/healthz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRedisSentinelFailoverBinary (issue 15, failover): serve behind Redis
// Sentinel (store.sentinel, wait_replicas 1) on a master with two
// replicas; a deposit is alerted, the sentinel promotes a replica, and the
// chain moves on: the next deposit is alerted once by the same process on
// the promoted master (which holds the log up to the last seq delivered),
// the subscriber's seqs are 1, 2, … without a gap or a repeat, /healthz
// is ok again.
func TestRedisSentinelFailoverBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth, a Redis master, two replicas, a sentinel and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	rs := testnodes.StartRedisSentinel(t)
	store := fmt.Sprintf("store:\n  backend: redis\n  lease: 2s\n  wait_replicas: 1\n  sentinel: { master: %s, addrs: [%q] }\nchains:\n", rs.Name, rs.Sentinel)
	x := startRedisTheft(t, bin, g, store)
	sub, d, key := x.sub, x.d, x.key

	start := time.Now()
	promoted := rs.Failover(t)
	t.Logf("sentinel promoted %s in %s", promoted, time.Since(start).Round(time.Millisecond))
	// The chain was idle during the promotion: nothing acknowledged on the
	// old master is lost (TestSentinelFailover in store/redis writes during
	// it). The store's connections live a second: then it writes to the
	// promoted one.
	time.Sleep(1500 * time.Millisecond)
	g.MineBlocks(t, 2)
	dep2 := x.deposit(t, 4)
	if a := sub.await(t, "ethereum", alerts.TypeExchangeDeposit); a.Tx != dep2.TxHash.Hex() {
		t.Fatalf("the deposit alert after the failover is %s, want %s", a, dep2.TxHash.Hex())
	}
	t.Logf("the deposit after the failover alerted %s after SENTINEL FAILOVER", time.Since(start).Round(time.Millisecond))
	testnodes.WaitFor(t, 20*time.Second, "/healthz ok after the failover", func() bool {
		code, b := healthz(t, d.api)
		return code == http.StatusOK && strings.Contains(b, `"role":"active"`)
	})
	g.MineBlocks(t, 2)
	time.Sleep(2 * time.Second) // anything repeated would come now
	x.checkOnce(t, dep2)
	// The promoted master holds the log up to the last seq delivered.
	pc := goredis.NewClient(&goredis.Options{Addr: promoted})
	defer pc.Close()
	if got, err := pc.Get(context.Background(), "{ch}:a:seq").Uint64(); err != nil || got != sub.last() {
		t.Fatalf("the promoted master's alert counter is %d (%v), want %d", got, err, sub.last())
	}
	// A fresh subscriber replays it.
	again := subscribe(t, d.api, key)
	testnodes.WaitFor(t, 10*time.Second, "a fresh subscriber replays the log", func() bool { return len(again.seqs()) == len(sub.seqs()) })
}
