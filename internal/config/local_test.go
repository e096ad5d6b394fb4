package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// TestLoadLocal reads the part of a file the state commands use, leaving
// the rest unread and unchecked.
func TestLoadLocal(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", `data_dir: /var/lib/ch
store: { backend: redis, url: "redis://r:6379/0", lease: not-read, sentinel: { master: m, addrs: ["s:26379"] } }
chains:
  ethereum: { network: sepolia, confirmations: many }
  bitcoin: {}
tracer: { policy: fifo, max_hops: lots }
screen: { hops: 1 }
api: { listen: ":8080" }
unknown_key: 1
`)
	l, err := LoadLocal(good)
	if err != nil {
		t.Fatal(err)
	}
	if l.DataDir != "/var/lib/ch" || l.Store.Backend != "redis" || l.Store.Sentinel.Master != "m" || l.Tracer.Policy != "fifo" ||
		*l.Screen.Hops != 1 || l.API.Listen != ":8080" {
		t.Fatalf("%+v", l)
	}
	n, err := l.Networks()
	if err != nil || n[chains.Ethereum] != "sepolia" || n[chains.Bitcoin] != "" || len(n) != 2 {
		t.Fatalf("networks %v, %v", n, err)
	}

	l, err = LoadLocal(write("chain.yaml", "chains: { dogecoin: {} }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Networks(); err == nil || !strings.HasPrefix(err.Error(), "chains.dogecoin: ") {
		t.Fatalf("unknown chain: %v", err)
	}

	_, err = LoadLocal(write("bad.yaml", "data_dir: x\napi: [\n"))
	var pe *fs.PathError
	if err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "line ") {
		t.Fatalf("bad YAML: %v", err)
	}
	if _, err = LoadLocal(filepath.Join(dir, "absent.yaml")); !errors.As(err, &pe) {
		t.Fatalf("absent file: %v", err)
	}
}
