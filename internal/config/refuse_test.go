package config

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Values the configuration refuses (docs/security.md, "Configuration"),
// each read from a real file: the error names the file, the line and the
// key, on one line.
func TestLoadRefuses(t *testing.T) {
	eth := "chains:\n  ethereum:\n    rpc: ws://127.0.0.1:8546\n"
	btc := "chains:\n  bitcoin:\n    rpc: http://127.0.0.1:8332\n    rpc_user: u\n    rpc_password: p\n"
	tests := []struct {
		name, yaml string
		line       int
		key, msg   string
	}{
		{"min_share NaN", "tracer:\n  min_share: .nan\n", 2, "tracer.min_share", "want a finite number, got NaN"},
		{"min_share +Inf", "tracer:\n  min_share: .inf\n", 2, "tracer.min_share", "want a finite number, got +Inf"},
		{"drain share -Inf", "tracer:\n  drain:\n    share: -.Inf\n", 3, "tracer.drain.share", "want a finite number, got -Inf"},
		{"confidence_floor NaN", "tracer: { policy: fifo, confidence_floor: .NaN }\n", 1, "tracer.confidence_floor", "want a finite number, got NaN"},
		{"negative min_share", "tracer:\n  min_share: -0.1\n", 2, "tracer.min_share", "must not be negative, got -0.1"},
		{"negative confidence_floor", "tracer:\n  confidence_floor: -1\n", 2, "tracer.confidence_floor", "must not be negative, got -1"},
		{"zero confidence_floor", "tracer:\n  confidence_floor: 0\n", 2, "tracer.confidence_floor", `want a fraction in (0, 1], got "0"`},
		{"confidence_floor above 1", "tracer:\n  confidence_floor: 1.5\n", 2, "tracer.confidence_floor", "want a fraction in (0, 1], got 1.5"},
		{"empty data_dir", "data_dir: \"\"\n", 1, "data_dir", "must not be empty (leave the key out for ./chainhound-data)"},
		{"null data_dir", "api: { listen: 127.0.0.1:1 }\ndata_dir:\n", 2, "data_dir", "must not be empty (leave the key out for ./chainhound-data)"},
		{"max_hops beyond the API", "tracer:\n  max_hops: 65\n", 2, "tracer.max_hops", "at most 64 (the API's limit), got 65"},
		{"eth confirmations beyond the reorg window", eth + "    confirmations: 257\n", 4, "chains.ethereum.confirmations", "at most 256 (the follower's reorg window), got 257"},
		{"btc confirmations beyond the reorg window", btc + "    confirmations: 145\n", 6, "chains.bitcoin.confirmations", "at most 144 (the follower's reorg window), got 145"},
		{"fraction for a whole number", eth + "    confirmations: 1.5\n", 4, "chains.ethereum.confirmations", `want a whole number, got "1.5"`},
		{"-inf for a whole number", "tracer:\n  max_hops: -.inf\n", 2, "tracer.max_hops", `want a whole number, got "-.inf"`},
		{"negative max_hops", "tracer:\n  max_hops: -3\n", 2, "tracer.max_hops", "must not be negative, got -3"},
		{"negative poll interval", eth + "    poll_interval: -2s\n", 4, "chains.ethereum.poll_interval", "must not be negative, got -2s"},
		{"lease too short", "store:\n  lease: 100ms\n", 2, "store.lease", "want at least 300ms (renewed every third of it), got 100ms"},
		{"sentinel without master", "store:\n  backend: redis\n  sentinel:\n    addrs: [127.0.0.1:26379]\n", 4, "store.sentinel", "master is required (the name Sentinel monitors)"},
		{"sentinel without addrs", "store:\n  backend: redis\n  sentinel: { master: mymaster }\n", 3, "store.sentinel", "addrs is required (host:port of each sentinel)"},
		{"sentinel addr without port", "store:\n  backend: redis\n  sentinel:\n    master: m\n    addrs:\n      - 127.0.0.1:26379\n      - sentinel-b\n", 6, "store.sentinel.addrs", `entry 2: want host:port, got "sentinel-b"`},
		{"wait_replicas on pebble", "store:\n  wait_replicas: 1\n", 2, "store", "sentinel and wait_replicas are for backend redis"},
		{"redis without url or sentinel", "store:\n  backend: redis\n", 2, "store", "backend redis needs url (redis://host:port/db) or sentinel"},
		{"negative lease", "store:\n  lease: -1s\n", 2, "store.lease", "must not be negative, got -1s"},
		{"negative drain window", "tracer:\n  drain:\n    window: -1m\n", 3, "tracer.drain.window", "must not be negative, got -1m0s"},
		{"negative max_count", "alerts:\n  retention:\n    max_count: -1\n", 3, "alerts.retention.max_count", `want a whole number, got "-1"`},
		{"dust beyond 2^256-1", "tracer:\n  dust:\n    ethereum: \"115792089237316195423570985008687907853269984665640564039457584007913129639936\"\n", 3, "tracer.dust.ethereum", "beyond the largest amount, 2^256-1 (78 digits given)"},
		{"drain amount beyond 2^256-1", "tracer:\n  drain:\n    amount: { bitcoin: \"" + strings.Repeat("9", 100) + "\" }\n", 3, "tracer.drain.amount.bitcoin", "beyond the largest amount, 2^256-1 (100 digits given)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(file, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file)
			want := file + ":" + strconv.Itoa(tt.line) + ": " + tt.key + ": " + tt.msg
			assertConfigError(t, err, want)
		})
	}
}

// An error stays on one line whatever the key holds (found by FuzzParse).
func TestErrorOneLine(t *testing.T) {
	_, err := Parse("c.yaml", []byte("? |\n  a\n  b\n: 1\n"))
	assertConfigError(t, err, `c.yaml:1: "a\nb\n": unknown key (known here: alerts, api, chains, data_dir, index, screen, store, tracer, webhooks)`)
}

// A second YAML document would have its keys ignored: it is refused at
// the line of its ---, whatever it holds.
func TestLoadRefusesSecondDocument(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string
	}{
		{"a mapping", "data_dir: /a\n---\ndata_dir: /b\n", ":2: a second YAML document (after ---): put every key in one document"},
		{"after a document marker", "---\ntracer: { max_hops: 3 }\n---\ntracer: { max_hops: 99 }\n", ":3: a second YAML document (after ---): put every key in one document"},
		{"an empty one", "data_dir: /a\n---\n", ":2: a second YAML document (after ---): put every key in one document"},
		{"an unparsable one", "data_dir: /a\n---\n[\n", ":3: not valid YAML: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "two.yaml")
			if err := os.WriteFile(file, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file)
			assertConfigError(t, err, file+tt.want)
		})
	}
	// The end-of-document marker alone is not a second document.
	if _, err := Parse("c.yaml", []byte("data_dir: /a\n...\n")); err != nil {
		t.Errorf("document end marker: %v", err)
	}
}

func TestConfidenceFloor(t *testing.T) {
	c, err := Parse("c.yaml", []byte("tracer: { confidence_floor: 0.6 }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Tracer.ConfidenceFloor != 0.6 {
		t.Errorf("confidence_floor %v, want 0.6", c.Tracer.ConfidenceFloor)
	}
	if c, err = Parse("c.yaml", []byte("tracer: { policy: poison }\n")); err != nil {
		t.Fatal(err)
	}
	if c.Tracer.ConfidenceFloor != 0.25 {
		t.Errorf("default confidence_floor %v, want 0.25", c.Tracer.ConfidenceFloor)
	}
	if d := Default(); d.Tracer.ConfidenceFloor != 0.25 {
		t.Errorf("Default() confidence_floor %v, want 0.25", d.Tracer.ConfidenceFloor)
	}
}

func assertConfigError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T %v is not a *config.Error", err, err)
	}
	if got := err.Error(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
}
