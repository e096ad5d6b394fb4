// Package testnodes starts real nodes for tests: geth --dev, btcd regtest
// (one or two, for reorgs) and a throwaway redis-server, each on free
// loopback ports, torn down with t.Cleanup.
//
// Node binaries are built from the pinned module versions with
// `go install pkg@version` into a cache directory outside the repository
// ($CHAINHOUND_TESTNODES_CACHE, else the user cache dir) and reused.
package testnodes

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// CacheDir is where built node binaries are kept.
func CacheDir() (string, error) {
	if d := os.Getenv("CHAINHOUND_TESTNODES_CACHE"); d != "" {
		return d, os.MkdirAll(d, 0o755)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	d := filepath.Join(base, "chainhound", "testnodes")
	return d, os.MkdirAll(d, 0o755)
}

// BuildTool returns the path of the binary that `go install pkgAtVersion`
// builds (for example "github.com/ethereum/go-ethereum/cmd/geth@v1.17.10"),
// building it into CacheDir on first use. Concurrent test processes
// serialise on a lock file, so the binary is built once.
func BuildTool(tb testing.TB, pkgAtVersion string) string {
	tb.Helper()
	path, err := buildTool(pkgAtVersion)
	if err != nil {
		tb.Fatalf("testnodes: %v", err)
	}
	return path
}

func buildTool(pkgAtVersion string) (string, error) {
	pkg, ver, ok := strings.Cut(pkgAtVersion, "@")
	if !ok {
		return "", fmt.Errorf("build %s: want pkg@version", pkgAtVersion)
	}
	cache, err := CacheDir()
	if err != nil {
		return "", fmt.Errorf("cache dir: %w", err)
	}
	name := filepath.Base(pkg)
	bindir := filepath.Join(cache, name+"-"+ver)
	bin := filepath.Join(bindir, name)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(bindir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(cache, name+"-"+ver+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // built by another process while we waited
	}
	tmp, err := os.MkdirTemp(cache, name+"-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	cmd := exec.Command("go", "install", pkgAtVersion)
	// Outside any module, so our go.mod does not constrain the tool's.
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %v\n%s", pkgAtVersion, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, name), bin); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "testnodes: built %s in %s into %s\n", pkgAtVersion, time.Since(start).Round(time.Second), bin)
	return bin, nil
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testnodes: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitFor polls ok every 50ms until it returns true or timeout passes.
func WaitFor(tb testing.TB, timeout time.Duration, what string, ok func() bool) {
	tb.Helper()
	Poll(tb, timeout, 50*time.Millisecond, what, ok)
}

// Poll polls ok every interval until it returns true or timeout passes.
func Poll(tb testing.TB, timeout, every time.Duration, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("testnodes: timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(every)
	}
}

// process is a started node whose Wait runs in a goroutine; its output
// goes to a log file.
type process struct {
	cmd    *exec.Cmd
	log    *os.File
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// startProcess starts cmd with its output in logFile, to die with the
// test binary.
func startProcess(cmd *exec.Cmd, logFile *os.File) (*process, error) {
	dieWithParent(cmd)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &process{cmd: cmd, log: logFile, exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	return p, nil
}

// stop sends SIGTERM, kills after grace, and closes the log.
func (p *process) stop(grace time.Duration) {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(grace):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	p.log.Close()
}

// startWithRetry starts a node with once, up to three times: a port that
// FreePort picked can be taken by another process before the node binds
// it, and the node then exits during start-up; each attempt takes fresh
// ports.
func startWithRetry[T any](tb testing.TB, name string, once func() (T, error)) T {
	tb.Helper()
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		n, err := once()
		if err == nil {
			return n
		}
		lastErr = err
		tb.Logf("testnodes: %s start attempt %d: %v", name, attempt, err)
	}
	tb.Fatalf("testnodes: %s did not start: %v", name, lastErr)
	var zero T
	return zero
}

// waitReady polls ready every interval until it succeeds. When the
// process exits first, or timeout passes (the process is then stopped),
// it returns an error with the tail of the log at logPath.
func (p *process) waitReady(name, logPath string, timeout, interval time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			p.log.Close()
			return fmt.Errorf("%s exited during start-up (%v); log:\n%s", name, p.err, tailFile(logPath, 4000))
		default:
		}
		if time.Now().After(deadline) {
			p.stop(10 * time.Second)
			return fmt.Errorf("%s not ready within %s: %v; log:\n%s", name, timeout, err, tailFile(logPath, 4000))
		}
		time.Sleep(interval)
	}
}
