package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// TestRedisRestartMidRun (issue 15, faults): serve on a Redis with its
// append-only file synced at every write; Redis is restarted between two
// of the thief's deposits at the exchange. The daemon rides it out — the
// first deposit's alert stays, the second comes once, the seqs of what a
// subscriber sees are 1, 2, … without a gap or a repeat, and the
// subscriber resumes by since.
func TestRedisRestartMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth, redis-server and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	r := testnodes.StartRedisPersistent(t)
	x := startRedisTheft(t, bin, g, fmt.Sprintf("store: { backend: redis, url: %q, lease: 2s }\nchains:\n", r.URL))
	sub := x.sub

	r.Restart(t)
	sub.drop() // and the subscriber's socket breaks too: it resumes by since
	sub.resume(t)
	g.MineBlocks(t, 2)
	dep2 := x.deposit(t, 4)
	if a := sub.await(t, "ethereum", alerts.TypeExchangeDeposit); a.Tx != dep2.TxHash.Hex() {
		t.Fatalf("the next deposit alert after the Redis restart is %s, want the second deposit %s", a, dep2.TxHash.Hex())
	}
	time.Sleep(2 * time.Second) // anything repeated would come now
	x.checkOnce(t, dep2)
}
