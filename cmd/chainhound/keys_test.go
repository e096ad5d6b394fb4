package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/store/pebble"
)

// apiDaemon serves the API over the store in dir on addr ("127.0.0.1:0" for
// any port) until stop is called; it holds the data directory meanwhile.
type apiDaemon struct {
	addr  string
	store *pebble.Store
	log   *alerts.Log
	stop  func()
}

func startAPIDaemon(t *testing.T, dir, addr string) *apiDaemon {
	t.Helper()
	st, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := alerts.OpenLog(context.Background(), st, alerts.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	for i := 0; ; i++ { // the port of a previous run may linger briefly
		if ln, err = net.Listen("tcp", addr); err == nil || i == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Config{}, api.Deps{Keys: st, Alerts: lg})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	d := &apiDaemon{addr: ln.Addr().String(), store: st, log: lg}
	stopped := false
	d.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		st.Close()
	}
	t.Cleanup(d.stop)
	return d
}

func (d *apiDaemon) url() string { return "http://" + d.addr }

func TestKeysDirectThenThroughAPI(t *testing.T) {
	dir := t.TempDir()
	out, errLine, code := runCLI(t, "--data-dir", dir, "keys", "create", "--role", "admin", "--tenant", "ops")
	if code != 0 {
		t.Fatalf("create on the data directory: %d %s", code, errLine)
	}
	admin := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(admin, apikey.Prefix) || strings.Contains(admin, "\n") {
		t.Fatalf("create printed %q, want the key alone on one line", out)
	}
	for _, bad := range [][]string{
		{"keys", "create", "--role", "root", "--tenant", "ops"},
		{"keys", "create", "--role", "admin", "--tenant", "Not A Tenant"},
		{"keys", "revoke"},
		{"keys", "revoke", "key_absent"},
	} {
		if _, errLine, code := runCLI(t, append([]string{"--data-dir", dir}, bad...)...); code != 2 || errLine == "" {
			t.Errorf("%v: exit %d %q, want 2 with a message", bad, code, errLine)
		}
	}

	d := startAPIDaemon(t, dir, "127.0.0.1:0")
	if _, errLine, code := runCLI(t, "--data-dir", dir, "keys", "ls"); code != 2 || !strings.Contains(errLine, "--api-key") {
		t.Fatalf("ls on a held directory: %d %q", code, errLine)
	}
	via := []string{"--api", d.url(), "--api-key", admin}
	out, errLine, code = runCLI(t, append(via, "keys", "create", "--role", "exchange", "--tenant", "binance")...)
	if code != 0 || !strings.HasPrefix(out, apikey.Prefix) {
		t.Fatalf("create through the API: %d %q %s", code, out, errLine)
	}
	exchange := strings.TrimSpace(out)
	out, errLine, code = runCLI(t, append(via, "keys", "ls", "--format", "json")...)
	var list struct{ Keys []apikey.Key }
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Keys) != 2 {
		t.Fatalf("ls: %d %s %s", code, out, errLine)
	}
	if strings.Contains(out, admin) || strings.Contains(out, exchange) {
		t.Fatal("ls shows a secret")
	}
	var exID string
	for _, k := range list.Keys {
		if k.Role == apikey.RoleExchange && k.Tenant == "binance" {
			exID = k.ID
		}
	}
	if _, errLine, code := runCLI(t, "--api", d.url(), "--api-key", exchange, "keys", "ls"); code != 1 || !strings.Contains(errLine, "403") {
		t.Fatalf("an exchange key listing keys: %d %q", code, errLine)
	}
	if out, errLine, code := runCLI(t, append(via, "keys", "revoke", exID)...); code != 0 || !strings.Contains(out, exID) {
		t.Fatalf("revoke: %d %q %s", code, out, errLine)
	}
	if code, _ := apiCall(t, d.url(), exchange, "GET", "/v1/alerts", nil); code != 401 {
		t.Fatalf("revoked key: %d", code)
	}
}
