package redis

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	goredis "github.com/redis/go-redis/v9"
)

// The slot of the prefix's hash tag moves to another node of a
// three-node Cluster while blocks are written (CLUSTER SETSLOT IMPORTING
// and MIGRATING, MIGRATE of its keys in batches, SETSLOT NODE): the
// scripts meet ASK and TRYAGAIN (a script's keys split between the two
// nodes) and MOVED after; go-redis's ClusterClient follows the
// redirections and the store sends TRYAGAIN writes again. Every block is
// written once: the stream is 1..n, the checkpoint the last block.
func TestClusterSlotMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node Redis Cluster")
	}
	cl := testnodes.StartRedisCluster(t)
	s, err := Open(ctx, cl.URL, Options{Prefix: freshPrefix(), Replica: "A", Chains: []chains.Chain{chains.Ethereum}, Lease: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if ok, _, err := s.Acquire(ctx); !ok || err != nil {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	w := &seqWriter{s: s}
	for i := 0; i < 20; i++ {
		if err := w.write(uint64(100 + w.last)); err != nil {
			t.Fatal(err)
		}
	}
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := w.write(uint64(100 + w.last)); err != nil {
				done <- fmt.Errorf("block %d: %w", 100+w.last, err)
				return
			}
		}
	}()
	migrateSlot(t, cl, s.prefix)
	time.Sleep(300 * time.Millisecond) // writes after the move (MOVED, then the new node)
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("a write during the slot's migration: %v", err)
	}
	t.Logf("%d blocks written; redis errors: moved %v, ask %v, tryagain %v", w.last,
		metricValue(t, s, "chainhound_redis_errors_total", "moved"), metricValue(t, s, "chainhound_redis_errors_total", "ask"),
		metricValue(t, s, "chainhound_redis_errors_total", "tryagain"))
	checkLog(t, s, w.last, 100+w.last-1)
}

// migrateSlot moves the slot of prefix's hash tag from its node to
// another, a few keys at a time, as redis-cli --cluster reshard does.
func migrateSlot(t *testing.T, cl *testnodes.RedisCluster, prefix string) {
	t.Helper()
	c := context.Background()
	tag := prefix[strings.IndexByte(prefix, '{')+1 : strings.IndexByte(prefix, '}')]
	clients := map[string]*goredis.Client{}
	ids := map[string]string{}
	for _, a := range cl.Addrs {
		clients[a] = goredis.NewClient(&goredis.Options{Addr: a})
		defer clients[a].Close()
		id, err := clients[a].Do(c, "CLUSTER", "MYID").Text()
		if err != nil {
			t.Fatal(err)
		}
		ids[a] = id
	}
	first := clients[cl.Addrs[0]]
	slot, err := first.ClusterKeySlot(c, tag).Result()
	if err != nil {
		t.Fatal(err)
	}
	var src, dst string
	for _, a := range cl.Addrs {
		if n, _ := clients[a].ClusterCountKeysInSlot(c, int(slot)).Result(); n > 0 {
			src = a
		}
	}
	if src == "" {
		t.Fatalf("no node holds the keys of slot %d", slot)
	}
	for _, a := range cl.Addrs {
		if a != src {
			dst = a
			break
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(clients[dst].Do(c, "CLUSTER", "SETSLOT", slot, "IMPORTING", ids[src]).Err())
	must(clients[src].Do(c, "CLUSTER", "SETSLOT", slot, "MIGRATING", ids[dst]).Err())
	host, port, _ := strings.Cut(dst, ":")
	moved := 0
	for {
		keys, err := clients[src].ClusterGetKeysInSlot(c, int(slot), 3).Result()
		must(err)
		if len(keys) == 0 {
			break
		}
		args := []any{"MIGRATE", host, port, "", 0, 5000, "KEYS"}
		for _, k := range keys {
			args = append(args, k)
		}
		must(clients[src].Do(c, args...).Err())
		moved += len(keys)
		time.Sleep(20 * time.Millisecond) // writes meet the slot half moved
	}
	for _, a := range cl.Addrs {
		must(clients[a].Do(c, "CLUSTER", "SETSLOT", slot, "NODE", ids[dst]).Err())
	}
	t.Logf("slot %d: %d keys moved from %s to %s", slot, moved, src, dst)
}
