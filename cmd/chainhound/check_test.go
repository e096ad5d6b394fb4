package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store/pebble"
)

// runCheck runs `chainhound serve --check` with args and returns its exit
// status, stdout and stderr.
func runCheck(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--check"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run serve --check %v: %v", args, err)
	}
	return code, stdout.String(), stderr.String()
}

// `serve --check --config bad.yaml` refuses each bad configuration with
// exit status 2 and one line naming the file, the line and the key; it
// starts nothing and creates no data directory.
func TestServeCheckRefusesBadConfig(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	tests := []struct {
		name, yaml string
		want       string // after "chainhound: FILE:"
	}{
		{"min_share NaN", "data_dir: " + data + "\ntracer:\n  min_share: .nan\n", "3: tracer.min_share: want a finite number, got NaN"},
		{"drain share Inf", "data_dir: " + data + "\ntracer: { drain: { share: .inf } }\n", "2: tracer.drain.share: want a finite number, got +Inf"},
		{"empty data_dir", "data_dir: \"\"\n", "1: data_dir: must not be empty (leave the key out for ./chainhound-data)"},
		{"second document", "data_dir: " + data + "\n---\ndata_dir: /\n", "2: a second YAML document (after ---): put every key in one document"},
		{"max_hops beyond 64", "data_dir: " + data + "\ntracer:\n  max_hops: 100\n", "3: tracer.max_hops: at most 64 (the API's limit), got 100"},
		{"confirmations beyond the reorg window", "data_dir: " + data + "\nchains:\n  bitcoin:\n    rpc: http://127.0.0.1:1\n    rpc_cookie: /c\n    confirmations: 1000\n", "6: chains.bitcoin.confirmations: at most 144 (the follower's reorg window), got 1000"},
		{"confidence_floor 0", "data_dir: " + data + "\ntracer: { confidence_floor: 0 }\n", `2: tracer.confidence_floor: want a fraction in (0, 1], got "0"`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, fmt.Sprintf("bad%d.yaml", i))
			writeFile(t, file, tt.yaml)
			code, stdout, stderr := runCheck(t, bin, "--config", file)
			if want := "chainhound: " + file + ":" + tt.want + "\n"; code != 2 || stderr != want || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr\n%q\nwant exit 2, stderr\n%q", code, stdout, stderr, want)
			}
		})
	}
	if _, err := os.Stat(data); err == nil {
		t.Errorf("a refused --check created the data directory %s", data)
	}
}

// A good configuration passes --check with exit status 0, and --check
// changes nothing: no data directory is made; one an older version left
// readable by all is reported and left as it is, for serve to tighten.
func TestServeCheckGoodConfig(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "good.yaml")
	writeFile(t, cfg, fmt.Sprintf("data_dir: %s\napi: { listen: 127.0.0.1:%d }\n", data, testnodes.FreePort(t)))

	code, stdout, stderr := runCheck(t, bin, "--config", cfg)
	if code != 0 || !strings.HasPrefix(stdout, "ok: "+cfg) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(data); err == nil {
		t.Errorf("--check created the data directory")
	}

	s, err := pebble.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCheck(t, bin, "--config", cfg)
	if code != 0 || !strings.Contains(stderr, "serve will tighten them") {
		t.Errorf("loose data dir: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if info, err := os.Stat(data); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("--check changed the data directory's mode: %v %v", info.Mode(), err)
	}
}

// What --check finds beyond the file is a runtime failure, exit status 1,
// naming the part: a data directory in use, a taken listen address, a
// node that does not answer. An empty --data-dir is bad usage.
func TestServeCheckRuntime(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	port := testnodes.FreePort(t)
	good := fmt.Sprintf("data_dir: %s\napi: { listen: 127.0.0.1:%d }\n", data, port)

	t.Run("data dir in use", func(t *testing.T) {
		s, err := pebble.Open(data)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		cfg := filepath.Join(dir, "inuse.yaml")
		writeFile(t, cfg, good)
		code, _, stderr := runCheck(t, bin, "--config", cfg)
		if code != 1 || !strings.Contains(stderr, "chainhound: data_dir: open "+data+": "+pebble.ErrInUse.Error()) {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("listen address taken", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		cfg := filepath.Join(dir, "taken.yaml")
		writeFile(t, cfg, good)
		code, _, stderr := runCheck(t, bin, "--config", cfg, "--listen", ln.Addr().String())
		if code != 1 || !strings.Contains(stderr, "chainhound: api.listen "+ln.Addr().String()+": ") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("node not answering", func(t *testing.T) {
		cfg := filepath.Join(dir, "node.yaml")
		writeFile(t, cfg, good+fmt.Sprintf("chains:\n  ethereum: { network: dev, rpc: 'http://127.0.0.1:%d' }\n", testnodes.FreePort(t)))
		code, _, stderr := runCheck(t, bin, "--config", cfg)
		if code != 1 || !strings.HasPrefix(stderr, "chainhound: chains.ethereum: ") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("empty --data-dir", func(t *testing.T) {
		code, _, stderr := runCheck(t, bin, "--data-dir", "")
		if code != 2 || stderr != "chainhound: --data-dir: must not be empty\n" {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

// --check reaches a real node: geth --dev passes as network dev and is
// refused as mainnet, by its chain id.
func TestServeCheckReachesNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		network string
		code    int
		want    string
	}{
		{"dev", 0, ""},
		{"mainnet", 1, "has chain id 1337, but network \"mainnet\" is chain id 1"},
	} {
		cfg := filepath.Join(dir, tt.network+".yaml")
		writeFile(t, cfg, fmt.Sprintf("data_dir: %s\napi: { listen: 127.0.0.1:%d }\nchains:\n  ethereum: { network: %s, rpc: %s }\n",
			filepath.Join(dir, "data"), testnodes.FreePort(t), tt.network, g.WS))
		code, _, stderr := runCheck(t, bin, "--config", cfg)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("network %s: exit %d, stderr %q", tt.network, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("--check made the data directory: %v", err)
	}
}
