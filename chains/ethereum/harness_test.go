package ethereum

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains/chainstest"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	gethnode "github.com/ethereum/go-ethereum/node"
)

// recorder keeps the events a handler acknowledged and checks the
// follower contract as they arrive.
type recorder = chainstest.Recorder

// simNode is go-ethereum's simulated backend served over http and ws on
// loopback, for real reorgs (Backend.Fork).
type simNode struct {
	*simulated.Backend
	HTTP, WS string
}

func startSim(t *testing.T, alloc types.GenesisAlloc) *simNode {
	t.Helper()
	hp, wp := testnodes.FreePort(t), testnodes.FreePort(t)
	b := simulated.NewBackend(alloc, func(nc *gethnode.Config, ec *ethconfig.Config) {
		nc.HTTPHost, nc.HTTPPort, nc.HTTPModules = "127.0.0.1", hp, []string{"eth"}
		nc.WSHost, nc.WSPort, nc.WSModules = "127.0.0.1", wp, []string{"eth"}
	})
	t.Cleanup(func() { b.Close() })
	return &simNode{Backend: b, HTTP: fmt.Sprintf("http://127.0.0.1:%d", hp), WS: fmt.Sprintf("ws://127.0.0.1:%d", wp)}
}

func (s *simNode) headHash(t *testing.T) (uint64, string) {
	t.Helper()
	h, err := s.Client().HeaderByNumber(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return h.Number.Uint64(), h.Hash().Hex()
}

func (s *simNode) hashAt(t *testing.T, n uint64) string {
	t.Helper()
	h, err := s.Client().HeaderByNumber(context.Background(), new(big.Int).SetUint64(n))
	if err != nil {
		t.Fatal(err)
	}
	return h.Hash().Hex()
}

// send signs and sends a transaction of wei from key to to (not mined).
func (s *simNode) send(t *testing.T, key *ecdsa.PrivateKey, to common.Address, wei *big.Int) *types.Transaction {
	t.Helper()
	ctx := context.Background()
	cl := s.Client()
	nonce, err := cl.PendingNonceAt(ctx, crypto.PubkeyToAddress(key.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	head, err := cl.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tip := big.NewInt(1_000_000_000)
	chainID := big.NewInt(1337)
	tx, err := types.SignTx(types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip), Gas: 21000, To: &to, Value: wei}), types.LatestSignerForChainID(chainID), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	return tx
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() || os.Getenv("CHAINHOUND_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

var openStore = chainstest.OpenStore

// running is a follower started in the background.
type running struct {
	f      *Follower
	cancel context.CancelFunc
	done   chan error
}

func startFollower(t *testing.T, cfg Config, r *recorder) *running {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Restart() // nothing to forget for a new recorder
	ctx, cancel := context.WithCancel(context.Background())
	run := &running{f: f, cancel: cancel, done: make(chan error, 1)}
	go func() { run.done <- f.Run(ctx, r.Handle) }()
	t.Cleanup(func() { run.stop(t) })
	return run
}

// stop cancels the follower and waits for Run to return.
func (r *running) stop(t *testing.T) error {
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		r.f.Close()
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("follower did not stop within 10s")
		return nil
	}
}

// waitTip waits until the consumer's tip is the node's head.
func waitTip(t *testing.T, r *recorder, s *simNode) {
	t.Helper()
	n, h := s.headHash(t)
	testnodes.WaitFor(t, 20*time.Second, fmt.Sprintf("consumer tip at node head %d %s", n, h), func() bool {
		tip := r.Tip()
		return tip.Number == n && tip.Hash == h
	})
}
