package testnodes

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisSentinel is a throwaway Redis master with two replicas and one
// Sentinel watching them (quorum 1, the master down after 1 s), on
// loopback ports, stopped by tb.Cleanup. Two replicas: after a failover
// one is still a replica, so that a write waiting for one (WAIT 1) goes
// on at once.
type RedisSentinel struct {
	Master   *Redis
	Replicas []*Redis
	Sentinel string // 127.0.0.1:PORT of the sentinel
	Name     string // the monitored master's name
}

// StartRedisSentinel starts the master, its replicas (--replicaof) and a
// sentinel (redis-server <conf> --sentinel), and waits until the replicas
// are in sync and the sentinel knows them.
func StartRedisSentinel(tb testing.TB) *RedisSentinel {
	tb.Helper()
	bin := redisBinary(tb)
	rs := &RedisSentinel{Name: "chmaster"}
	rs.Master = startWithRetry(tb, "redis-server (master)", func() (*Redis, error) { return startRedisOnce(tb, bin, FreePort(tb)) })
	mport := strings.TrimPrefix(rs.Master.Addr, "127.0.0.1:")
	for i := 0; i < 2; i++ {
		r := startWithRetry(tb, "redis-server (replica)", func() (*Redis, error) {
			return startRedisOnce(tb, bin, FreePort(tb), "--replicaof", "127.0.0.1", mport)
		})
		rs.Replicas = append(rs.Replicas, r)
		rc := redis.NewClient(&redis.Options{Addr: r.Addr})
		WaitFor(tb, 20*time.Second, "the replica in sync", func() bool {
			info, err := rc.Info(context.Background(), "replication").Result()
			return err == nil && strings.Contains(info, "master_link_status:up")
		})
		rc.Close()
	}
	dir := tb.TempDir()
	port := FreePort(tb)
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %s 1\n"+
		"sentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 4000\nsentinel parallel-syncs %s 1\n",
		port, dir, rs.Name, mport, rs.Name, rs.Name, rs.Name)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	logPath := filepath.Join(dir, "sentinel.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	proc, err := startProcess(exec.Command(bin, conf, "--sentinel"), logFile)
	if err != nil {
		tb.Fatalf("testnodes: start redis sentinel: %v", err)
	}
	tb.Cleanup(func() {
		proc.stop(5 * time.Second)
		if tb.Failed() {
			tb.Logf("testnodes: sentinel log %s (tail):\n%s", logPath, tailFile(logPath, 4000))
		}
	})
	rs.Sentinel = "127.0.0.1:" + strconv.Itoa(port)
	sc := redis.NewSentinelClient(&redis.Options{Addr: rs.Sentinel})
	defer sc.Close()
	if err := proc.waitReady("redis sentinel", logPath, 20*time.Second, 50*time.Millisecond, func() error {
		return sc.Ping(context.Background()).Err()
	}); err != nil {
		tb.Fatal(err)
	}
	WaitFor(tb, 20*time.Second, "the sentinel knows the replicas", func() bool {
		rep, err := sc.Replicas(context.Background(), rs.Name).Result()
		return err == nil && len(rep) == len(rs.Replicas)
	})
	return rs
}

// Failover asks the sentinel to promote a replica (SENTINEL FAILOVER) and
// waits until the sentinel names another master; it returns its address.
func (rs *RedisSentinel) Failover(tb testing.TB) string {
	tb.Helper()
	sc := redis.NewSentinelClient(&redis.Options{Addr: rs.Sentinel})
	defer sc.Close()
	ctx := context.Background()
	if err := sc.Failover(ctx, rs.Name).Err(); err != nil {
		tb.Fatalf("testnodes: SENTINEL FAILOVER %s: %v", rs.Name, err)
	}
	var promoted string
	WaitFor(tb, 20*time.Second, "a replica promoted", func() bool {
		addr, err := sc.GetMasterAddrByName(ctx, rs.Name).Result()
		if err != nil || len(addr) != 2 {
			return false
		}
		promoted = addr[0] + ":" + addr[1]
		return promoted != rs.Master.Addr
	})
	return promoted
}
