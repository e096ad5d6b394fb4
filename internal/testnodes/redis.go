package testnodes

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a throwaway redis-server on a loopback port, without
// persistence, stopped by tb.Cleanup.
type Redis struct {
	Addr    string // 127.0.0.1:PORT
	URL     string // redis://127.0.0.1:PORT/0
	LogPath string // the server's log, printed when the test fails

	// For Restart: the binary, port, data directory and flags it was
	// started with, and how to stop it.
	bin, dir string
	port     int
	extra    []string
	stop     func()
}

// StartRedis starts Debian's redis-server (from PATH or /usr/bin) on a free
// loopback port with a temporary --dir, no RDB snapshots and no AOF, and
// waits until it answers PING. When the binary is missing and the test runs
// as root with apt-get available, it installs the redis-server package
// once; otherwise the test fails saying what to install.
func StartRedis(tb testing.TB) *Redis {
	tb.Helper()
	bin := redisBinary(tb)
	return startWithRetry(tb, "redis-server", func() (*Redis, error) { return startRedisOnce(tb, bin, FreePort(tb)) })
}

func startRedisOnce(tb testing.TB, bin string, port int, extra ...string) (*Redis, error) {
	tb.Helper()
	return startRedisIn(tb, bin, port, tb.TempDir(), extra...)
}

// StartRedisPersistent is StartRedis with an append-only file synced at
// every write (appendfsync always), so that Restart keeps every write
// acknowledged.
func StartRedisPersistent(tb testing.TB) *Redis {
	tb.Helper()
	bin := redisBinary(tb)
	return startWithRetry(tb, "redis-server", func() (*Redis, error) {
		return startRedisOnce(tb, bin, FreePort(tb), "--appendonly", "yes", "--appendfsync", "always")
	})
}

// Restart stops the server (SIGTERM: it finishes its writes) and starts it
// again on the same port and data directory, as an operator's restart
// does; the clients see their connections drop meanwhile.
func (r *Redis) Restart(tb testing.TB) {
	tb.Helper()
	r.stop()
	n, err := startRedisIn(tb, r.bin, r.port, r.dir, r.extra...)
	if err != nil {
		tb.Fatalf("testnodes: restart redis-server on %s: %v", r.Addr, err)
	}
	*r = *n
}

// Stop stops the server (SIGTERM) and leaves it stopped until Start: an
// outage as the clients see it.
func (r *Redis) Stop(tb testing.TB) {
	tb.Helper()
	r.stop()
}

// Start starts a server that Stop stopped again, on the same port and
// data directory.
func (r *Redis) Start(tb testing.TB) {
	tb.Helper()
	n, err := startRedisIn(tb, r.bin, r.port, r.dir, r.extra...)
	if err != nil {
		tb.Fatalf("testnodes: start redis-server on %s again: %v", r.Addr, err)
	}
	*r = *n
}

func startRedisIn(tb testing.TB, bin string, port int, dir string, extra ...string) (*Redis, error) {
	logPath := filepath.Join(dir, fmt.Sprintf("redis-%d.log", time.Now().UnixNano()))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create log %s: %w", logPath, err)
	}
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", dir,
		"--daemonize", "no",
	)
	cmd.Args = append(cmd.Args, extra...)
	proc, err := startProcess(cmd, logFile)
	if err != nil {
		return nil, err
	}
	stop := func() { proc.stop(5 * time.Second) }

	r := &Redis{
		Addr:    fmt.Sprintf("127.0.0.1:%d", port),
		URL:     fmt.Sprintf("redis://127.0.0.1:%d/0", port),
		LogPath: logPath,
		bin:     bin, dir: dir, port: port, extra: extra, stop: stop,
	}
	client := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1, DialTimeout: time.Second})
	defer client.Close()
	err = proc.waitReady("redis-server", logPath, 20*time.Second, 20*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return client.Ping(ctx).Err()
	})
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() {
		stop()
		if tb.Failed() {
			tb.Logf("testnodes: redis log %s (tail):\n%s", logPath, tailFile(logPath, 4000))
		}
	})
	return r, nil
}

// Client returns a go-redis client for r, closed by tb.Cleanup.
func (r *Redis) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	tb.Cleanup(func() { c.Close() })
	return c
}

var (
	redisInstallOnce sync.Once
	redisInstallErr  error
)

// redisBinary finds redis-server, installing Debian's package once when
// possible.
func redisBinary(tb testing.TB) string {
	tb.Helper()
	if p, ok := findRedis(); ok {
		return p
	}
	apt, aptErr := exec.LookPath("apt-get")
	if os.Geteuid() != 0 || aptErr != nil {
		tb.Fatalf("testnodes: redis-server not found in PATH or /usr/bin; install Debian's redis-server (apt-get install redis-server)")
	}
	redisInstallOnce.Do(func() {
		tb.Logf("testnodes: redis-server missing, running apt-get install -y redis-server")
		cmd := exec.Command(apt, "install", "-y", "--no-install-recommends", "redis-server")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			redisInstallErr = fmt.Errorf("apt-get install -y redis-server: %w\n%s", err, out)
		}
	})
	if redisInstallErr != nil {
		tb.Fatalf("testnodes: %v; install Debian's redis-server by hand", redisInstallErr)
	}
	p, ok := findRedis()
	if !ok {
		tb.Fatalf("testnodes: redis-server still not found after apt-get install; install Debian's redis-server")
	}
	return p
}

func findRedis() (string, bool) {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, true
	}
	const debian = "/usr/bin/redis-server"
	if st, err := os.Stat(debian); err == nil && !st.IsDir() {
		return debian, true
	}
	return "", false
}

// RedisCluster is a throwaway Redis Cluster of three masters on loopback
// ports, without replicas or persistence, stopped by tb.Cleanup.
type RedisCluster struct {
	Addrs []string // 127.0.0.1:PORT of each node
	// URL is go-redis's cluster URL form:
	// redis://first?addr=second&addr=third.
	URL string
}

// StartRedisCluster starts three redis-server nodes with
// --cluster-enabled yes, joins them with redis-cli --cluster create
// (every slot assigned, no replicas) and waits until the cluster is ok.
func StartRedisCluster(tb testing.TB) *RedisCluster {
	tb.Helper()
	bin := redisBinary(tb)
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		cli = filepath.Join(filepath.Dir(bin), "redis-cli")
		if _, err := os.Stat(cli); err != nil {
			tb.Fatalf("testnodes: redis-cli not found beside %s; install Debian's redis-tools", bin)
		}
	}
	c := &RedisCluster{}
	for i := 0; i < 3; i++ {
		r := startWithRetry(tb, "redis-server (cluster node)", func() (*Redis, error) {
			port := clusterPort(tb)
			dir := tb.TempDir()
			return startRedisOnce(tb, bin, port, "--cluster-enabled", "yes",
				"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--cluster-node-timeout", "2000")
		})
		c.Addrs = append(c.Addrs, r.Addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("testnodes: redis-cli %v: %v\n%s", args, err, out)
	}
	for _, a := range c.Addrs {
		client := redis.NewClient(&redis.Options{Addr: a})
		WaitFor(tb, 20*time.Second, "cluster_state:ok on "+a, func() bool {
			info, err := client.ClusterInfo(context.Background()).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
		client.Close()
	}
	c.URL = "redis://" + c.Addrs[0] + "?addr=" + c.Addrs[1] + "&addr=" + c.Addrs[2]
	return c
}

// clusterPort is a free port whose cluster bus port (+10000) is free too.
func clusterPort(tb testing.TB) int {
	tb.Helper()
	for i := 0; i < 50; i++ {
		p := FreePort(tb)
		if p+10000 > 65535 {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+10000))
		if err != nil {
			continue
		}
		l.Close()
		return p
	}
	tb.Fatalf("testnodes: no free port pair for a cluster node")
	return 0
}
