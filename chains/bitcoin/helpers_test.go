package bitcoin

import (
	"context"
	"errors"

	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/chainstest"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// recorder keeps every acknowledged event and checks the follower
// contract as they arrive (a follower started by startFollower reports
// breaches when the test ends).
type recorder = chainstest.Recorder

// blockEvents renders Connected/Disconnected events as "C:hash" / "D:hash".
func blockEvents(evs []chains.Event) []string {
	var out []string
	for _, ev := range evs {
		switch ev.Type {
		case chains.Connected:
			out = append(out, "C:"+ev.Ref.Hash)
		case chains.Disconnected:
			out = append(out, "D:"+ev.Ref.Hash)
		}
	}
	return out
}

// running is a follower running in the background.
type running struct {
	f      *Follower
	rec    *recorder
	cancel context.CancelFunc
	done   chan error
}

// stop cancels Run and returns its error (nil when it stopped on cancel).
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.f.Close()
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("follower did not stop within 30s of cancel")
		return nil
	}
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// nodeConfig is a follower config for a harness node with fast polling.
func nodeConfig(t *testing.T, node *testnodes.Btcd, store chains.CheckpointStore) Config {
	return Config{
		Network:       "regtest",
		RPC:           node.URL(),
		RPCUser:       node.User,
		RPCPassword:   node.Pass,
		StartBlock:    "latest",
		PollInterval:  50 * time.Millisecond,
		Checkpoints:   store,
		Confirmations: 1,
		Logger:        testLogger(t),
	}
}

// startFollower runs a follower for cfg until the test ends or stop.
func startFollower(t *testing.T, cfg Config, rec *recorder) *running {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.retryBase = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{f: f, rec: rec, cancel: cancel, done: make(chan error, 1)}
	rec.Restart() // nothing to forget for a new recorder
	handle := func(ctx context.Context, ev chains.Event) error {
		if ev.Block != nil {
			ev.Block.DeriveAddresses() // the tests read every address
		}
		return rec.Handle(ctx, ev)
	}
	exited := make(chan struct{})
	go func() { r.done <- f.Run(ctx, handle); close(exited) }()
	t.Cleanup(func() {
		cancel()
		// No follower outlives its test (a later test measures the heap).
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			t.Error("follower did not stop within 30s of cancel")
		}
	})
	rec.CheckAtEnd(t)
	return r
}

// waitFor waits for cond, failing early if Run returned.
func (r *running) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		select {
		case err := <-r.done:
			t.Fatalf("follower stopped while waiting for %s: %v", what, err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; events: %s", what, strings.Join(blockEvents(r.rec.Events()), " "))
		}
	}
}

// waitProcessed waits until the follower acknowledged the block hash.
func (r *running) waitProcessed(t *testing.T, hash string) {
	t.Helper()
	r.waitFor(t, "block "+hash, func() bool {
		cp, ok, err := r.f.cfg.Checkpoints.Checkpoint(context.Background(), chains.Bitcoin)
		return err == nil && ok && cp.Hash == hash
	})
}

var openStore = chainstest.OpenStore
