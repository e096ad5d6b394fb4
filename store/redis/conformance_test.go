package redis

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/store/storetest"
	goredis "github.com/redis/go-redis/v9"
)

// server is one redis-server shared by the tests of the package; each
// case gets its own key prefix.
var prefixes atomic.Int64

func freshPrefix() string { return fmt.Sprintf("{t%d}:", prefixes.Add(1)) }

func TestConformance(t *testing.T) {
	r := testnodes.StartRedis(t)
	c := r.Client(t)
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		p := freshPrefix()
		return storetest.Harness{
			Open: func(t *testing.T) (store.Backend, error) {
				return Open(context.Background(), r.URL, Options{Prefix: p, Lock: true})
			},
			Another: func(t *testing.T) (store.Backend, error) {
				return Open(context.Background(), r.URL, Options{Prefix: p})
			},
			SetSchema: func(t *testing.T, v uint64) {
				if err := c.Set(context.Background(), p+"schema", v, 0).Err(); err != nil {
					t.Fatal(err)
				}
			},
			SchemaVersion:  SchemaVersion,
			ErrNewerSchema: ErrNewerSchema,
		}
	})
}

// The same suite on a three-node Redis Cluster: every key of a case
// shares its prefix's hash tag, so every script runs on one node.
func TestConformanceCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node Redis Cluster")
	}
	rc := testnodes.StartRedisCluster(t)
	opt, err := goredis.ParseClusterURL(rc.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClusterClient(opt)
	t.Cleanup(func() { c.Close() })
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		p := freshPrefix()
		return storetest.Harness{
			Open: func(t *testing.T) (store.Backend, error) {
				return Open(context.Background(), rc.URL, Options{Prefix: p, Lock: true})
			},
			Another: func(t *testing.T) (store.Backend, error) {
				return Open(context.Background(), rc.URL, Options{Prefix: p})
			},
			SetSchema: func(t *testing.T, v uint64) {
				if err := c.Set(context.Background(), p+"schema", v, 0).Err(); err != nil {
					t.Fatal(err)
				}
			},
			SchemaVersion:  SchemaVersion,
			ErrNewerSchema: ErrNewerSchema,
		}
	})
	// The prefixes of the cases hash to different slots: the suite ran
	// on more than one node.
	nodes := map[string]bool{}
	for i := int64(1); i <= prefixes.Load(); i++ {
		addr, err := nodeOf(c, fmt.Sprintf("{t%d}:schema", i))
		if err == nil {
			nodes[addr] = true
		}
	}
	if len(nodes) < 2 {
		t.Errorf("the suite's prefixes landed on %d node(s), want several", len(nodes))
	}
}

// nodeOf returns the address of the master serving key.
func nodeOf(c *goredis.ClusterClient, key string) (string, error) {
	slot, err := c.ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		return "", err
	}
	//lint:ignore SA1019 ClusterSlots answers on every Redis version the tests start; ClusterShards needs 7.0
	slots, err := c.ClusterSlots(context.Background()).Result()
	if err != nil {
		return "", err
	}
	for _, s := range slots {
		if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 {
			return s.Nodes[0].Addr, nil
		}
	}
	return "", fmt.Errorf("slot %d unserved", slot)
}
