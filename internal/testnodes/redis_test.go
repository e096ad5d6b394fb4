package testnodes

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestRedis(t *testing.T) {
	t.Parallel()
	r := StartRedis(t)
	c := r.Client(t)
	ctx := t.Context()
	if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING: %q, %v", got, err)
	}
	if err := c.Set(ctx, "chainhound:test", "tainted", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := c.Get(ctx, "chainhound:test").Result(); err != nil || got != "tainted" {
		t.Fatalf("GET: %q, %v; want \"tainted\"", got, err)
	}

	// The URL form works with go-redis too, and a second server is separate.
	opt, err := redis.ParseURL(r.URL)
	if err != nil {
		t.Fatalf("parse %s: %v", r.URL, err)
	}
	if opt.Addr != r.Addr || opt.DB != 0 {
		t.Errorf("URL %s parses to %s db %d, want %s db 0", r.URL, opt.Addr, opt.DB, r.Addr)
	}
	other := StartRedis(t)
	if other.Addr == r.Addr {
		t.Fatalf("two servers on %s", r.Addr)
	}
	if n, err := other.Client(t).Exists(ctx, "chainhound:test").Result(); err != nil || n != 0 {
		t.Errorf("second server EXISTS = %d, %v; want 0", n, err)
	}
}

func TestRedisStoppedByCleanup(t *testing.T) {
	t.Parallel()
	var addr string
	t.Run("server", func(t *testing.T) {
		addr = StartRedis(t).Addr
	})
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	if err := c.Ping(t.Context()).Err(); err == nil {
		t.Fatalf("redis at %s still answers PING after cleanup", addr)
	}
}
