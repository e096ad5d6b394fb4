package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
)

// TestWatchRmThroughAPIKeepsOwnerAndKind: `watch rm --owner T` and
// `--kind K` through the API remove exactly those entries, as they do on
// the data directory; the caller's own entries at the same address stay.
func TestWatchRmThroughAPIKeepsOwnerAndKind(t *testing.T) {
	d, base := daemontest.Start(t, "", nil)
	admin := daemontest.Key(t, d, apikey.RoleAdmin, "ops")
	const addr = "0x28C6c06298d514Db089934071355E5743bf21d60"
	cli := []string{"--data-dir", t.TempDir(), "--api", base, "--api-key", admin}
	for _, add := range [][]string{
		{"--kind", "treasury", "--owner", "acme"},
		{"--kind", "exchange", "--owner", "acme"},
		{"--kind", "exchange"}, // the admin's own tenant, ops
	} {
		args := append(append(append([]string(nil), cli...), "watch", "add", "--chain", "ethereum", "--address", addr, "--label", "x"), add...)
		if _, msg, code := runCLI(t, args...); code != 0 {
			t.Fatalf("add %v: exit %d %s", add, code, msg)
		}
	}
	owned := func() map[string]bool {
		m := map[string]bool{}
		for _, e := range d.Registry.Lookup(chains.Ethereum, strings.ToLower(addr)) {
			m[e.Owner+"/"+string(e.Kind)] = true
		}
		return m
	}
	if got := owned(); len(got) != 3 {
		t.Fatalf("after adds: %v", got)
	}

	args := append(append([]string(nil), cli...), "watch", "rm", "--chain", "ethereum", "--address", addr, "--owner", "acme", "--kind", "treasury")
	if _, msg, code := runCLI(t, args...); code != 0 {
		t.Fatalf("rm acme treasury: exit %d %s", code, msg)
	}
	if got := owned(); len(got) != 2 || got["acme/treasury"] || !got["acme/exchange"] || !got["ops/exchange"] {
		t.Fatalf("after rm --owner acme --kind treasury: %v", got)
	}

	args = append(append([]string(nil), cli...), "watch", "rm", "--chain", "ethereum", "--address", addr, "--owner", "acme")
	if _, msg, code := runCLI(t, args...); code != 0 {
		t.Fatalf("rm acme: exit %d %s", code, msg)
	}
	if got := owned(); len(got) != 1 || !got["ops/exchange"] {
		t.Fatalf("after rm --owner acme: %v", got)
	}

	// --owner "" (the operator's own entries) cannot be said through the
	// API, which would read it as the caller's: refused, nothing removed.
	args = append(append([]string(nil), cli...), "watch", "rm", "--chain", "ethereum", "--address", addr, "--owner", "")
	if _, msg, code := runCLI(t, args...); code != 2 || !strings.Contains(msg, `--owner "": the operator's own entries`) {
		t.Fatalf(`rm --owner "": exit %d %q`, code, msg)
	}
	if got := owned(); len(got) != 1 || !got["ops/exchange"] {
		t.Fatalf(`after a refused rm --owner "": %v`, got)
	}
	args = append(append([]string(nil), cli...), "watch", "ls", "--owner", "")
	if _, msg, code := runCLI(t, args...); code != 2 || !strings.Contains(msg, `--owner "": the operator's own entries are listed`) {
		t.Fatalf(`ls --owner "": exit %d %q`, code, msg)
	}

	// A company may not act for another tenant: the server's refusal
	// reaches the user, and nothing changes.
	company := daemontest.Key(t, d, apikey.RoleCompany, "acme")
	args = []string{"--data-dir", t.TempDir(), "--api", base, "--api-key", company,
		"watch", "rm", "--chain", "ethereum", "--address", addr, "--owner", "ops"}
	if _, msg, code := runCLI(t, args...); code == 0 || msg == "" {
		t.Fatalf("company rm --owner ops: exit %d %q", code, msg)
	}
	if got := owned(); len(got) != 1 || !got["ops/exchange"] {
		t.Fatalf("after a refused rm: %v", got)
	}
}

// TestWatchImportThroughAPI imports more rows than the per-key rate
// limit lets through at once (burst 40, then 20/s): the client waits out
// each 429, and every entry arrives with its note and its source.
func TestWatchImportThroughAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the API's rate limit for about a second")
	}
	d, base := daemontest.Start(t, "", nil)
	admin := daemontest.Key(t, d, apikey.RoleAdmin, "ops")
	const rows = 70
	var b strings.Builder
	b.WriteString("chain,address,kind,label,note,source\n")
	addrs := make([]string, rows)
	long := strings.Repeat("s", 1024) // the longest source a row may give
	for i := range addrs {
		addrs[i] = fmt.Sprintf("0x%040x", 0xc0ffee000+i)
		source := ""
		if i == 0 {
			source = long
		}
		fmt.Fprintf(&b, "ethereum,%s,exchange,Hot wallet %d,seen in case %d,%s\n", addrs[i], i, i, source)
	}
	path := filepath.Join(t.TempDir(), "hot.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, msg, code := runCLI(t, "--data-dir", t.TempDir(), "--api", base, "--api-key", admin, "watch", "import", path)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("imported %d entries", rows)) {
		t.Fatalf("import: exit %d %q %s", code, out, msg)
	}
	for i, a := range addrs {
		es := d.Registry.Lookup(chains.Ethereum, a)
		if len(es) != 1 {
			t.Fatalf("row %d: %d entries for %s", i, len(es), a)
		}
		e := es[0]
		wantSource := ": hot.csv"
		if i == 0 {
			wantSource = ": " + long
		}
		if e.Note != fmt.Sprintf("seen in case %d", i) || !strings.HasPrefix(e.Source, "api:key_") || !strings.HasSuffix(e.Source, wantSource) || e.Owner != "ops" {
			t.Fatalf("row %d: note %q, source %q, owner %q", i, e.Note, e.Source, e.Owner)
		}
	}
}

// TestIncidentDefaultPolicyFromConfig: an incident opened without
// --policy takes the configuration's tracer.policy, on the data directory
// and through the API; --policy still wins.
func TestIncidentDefaultPolicyFromConfig(t *testing.T) {
	const theft = "0x46deef0f52e3a983b67abf4714448a41dd7ffd6d32d32da69d62081c68ad7882"
	open := func(t *testing.T, args ...string) string {
		t.Helper()
		args = append(args, "incident", "open", "--chain", "ethereum", "--tx", theft, "--format", "json")
		if i := slices.Index(args, "--policy"); i >= 0 { // a flag of the subcommand
			args = append(append(slices.Clone(args[:i]), args[i+2:]...), args[i:i+2]...)
		}
		out, msg, code := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("open: exit %d %s", code, msg)
		}
		var inc incidentJSON
		if err := json.Unmarshal([]byte(out), &inc); err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		return inc.Policy
	}
	t.Run("data directory", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "chainhound.yaml")
		if err := os.WriteFile(cfg, []byte("data_dir: "+filepath.Join(dir, "data")+"\ntracer: { policy: poison }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := open(t, "--config", cfg); got != "poison" {
			t.Errorf("without --policy: %q, want poison", got)
		}
		if got := open(t, "--config", cfg, "--policy", "fifo"); got != "fifo" {
			t.Errorf("with --policy fifo: %q", got)
		}
		if got := open(t, "--data-dir", t.TempDir()); got != "haircut" {
			t.Errorf("without a config: %q, want haircut", got)
		}
		bad := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(bad, []byte("data_dir: "+filepath.Join(dir, "data")+"\ntracer: { policy: lifo }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, msg, code := runCLI(t, "--config", bad, "incident", "open", "--chain", "ethereum", "--tx", theft)
		if code != 2 || !strings.Contains(msg, `tracer.policy: unknown policy "lifo"`) {
			t.Errorf("bad tracer.policy: exit %d %q", code, msg)
		}
		// It matters to nothing else.
		if got := open(t, "--config", bad, "--policy", "poison"); got != "poison" {
			t.Errorf("bad tracer.policy, --policy poison: %q", got)
		}
		if _, msg, code := runCLI(t, "--config", bad, "watch", "ls"); code != 0 {
			t.Errorf("bad tracer.policy, watch ls: exit %d %q", code, msg)
		}
	})
	t.Run("API", func(t *testing.T) {
		d, base := daemontest.Start(t, "tracer: { policy: fifo }\n", nil)
		admin := daemontest.Key(t, d, apikey.RoleAdmin, "ops")
		if got := open(t, "--data-dir", t.TempDir(), "--api", base, "--api-key", admin); got != "fifo" {
			t.Errorf("without --policy: %q, want fifo", got)
		}
		if got := open(t, "--data-dir", t.TempDir(), "--api", base, "--api-key", admin, "--policy", "poison"); got != "poison" {
			t.Errorf("with --policy poison: %q", got)
		}
	})
}
