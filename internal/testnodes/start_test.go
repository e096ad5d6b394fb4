package testnodes

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
)

// TestWaitReadySeesAnExit: a node that dies during start-up (btcd does,
// exit status 1, when its RPC port was taken) is reported at once with
// its log, not after the whole timeout.
func TestWaitReadySeesAnExit(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "node.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p, err := startProcess(exec.Command("sh", "-c", "echo 'Unable to start server: No valid listen address'; exit 1"), log)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = p.waitReady("node", logPath, time.Minute, 10*time.Millisecond, func() error { return errors.New("not yet") })
	if err == nil || !strings.Contains(err.Error(), "node exited during start-up") || !strings.Contains(err.Error(), "No valid listen address") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s to notice the exit", d)
	}
}

// TestWaitReadyTimesOut stops a node that never gets ready.
func TestWaitReadyTimesOut(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "node.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p, err := startProcess(exec.Command("sleep", "60"), log)
	if err != nil {
		t.Fatal(err)
	}
	err = p.waitReady("node", logPath, 200*time.Millisecond, 10*time.Millisecond, func() error { return errors.New("refused") })
	if err == nil || !strings.Contains(err.Error(), "node not ready within 200ms: refused") {
		t.Fatalf("got %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("the node was not stopped")
	}
}

func TestStartWithRetry(t *testing.T) {
	calls := 0
	got := startWithRetry(t, "node", func() (int, error) {
		calls++
		if calls < 3 {
			return 0, errors.New("port taken")
		}
		return 42, nil
	})
	if got != 42 || calls != 3 {
		t.Fatalf("got %d after %d calls", got, calls)
	}
}

// TestBtcdExitSeenAtOnce: a btcd that exits during start-up (here a flag
// it does not know; a taken port does the same) is reported within
// seconds, with its output, so the retry comes at once.
func TestBtcdExitSeenAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds btcd")
	}
	bin := BuildTool(t, BtcdVersion)
	cfg := btcdConfig{key: TestKey(), args: []string{"--no-such-flag"}}
	params := &chaincfg.RegressionNetParams
	addr, err := address.NewAddressWitnessPubKeyHash(address.Hash160(cfg.key.PubKey().SerializeCompressed()), params)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = startBtcdOnce(t, bin, cfg, params, addr)
	if err == nil || !strings.Contains(err.Error(), "btcd exited during start-up") || !strings.Contains(err.Error(), "no-such-flag") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s to see the exit", d)
	}
}
