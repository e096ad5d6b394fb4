// Package daemontest runs the assembled daemon in a test: its REST API on
// a loopback port, its store in a temporary directory.
package daemontest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/internal/daemon"
)

// Start opens a daemon from configYAML (data_dir is set to a temporary
// directory; shipped labels are left out), lets before prepare it (nil:
// nothing), runs it until the test ends, and returns it with its API's
// base URL.
func Start(tb testing.TB, configYAML string, before func(context.Context, *daemon.Daemon)) (*daemon.Daemon, string) {
	tb.Helper()
	return StartLogged(tb, configYAML, nil, before)
}

// StartLogged is Start with the daemon logging to lg (nil: the default
// logger).
func StartLogged(tb testing.TB, configYAML string, lg *slog.Logger, before func(context.Context, *daemon.Daemon)) (*daemon.Daemon, string) {
	tb.Helper()
	cfg, err := config.Parse("test.yaml", []byte("data_dir: "+tb.TempDir()+"\n"+configYAML))
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.Open(ctx, cfg, daemon.Options{Listener: ln, NoShippedLabels: true, Logger: lg})
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	if before != nil {
		before(ctx, d)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	return d, "http://" + ln.Addr().String()
}

// Key stores a new API key of role for tenant and returns its secret.
func Key(tb testing.TB, d *daemon.Daemon, role apikey.Role, tenant string) string {
	tb.Helper()
	secret, k, err := apikey.New(role, tenant, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	if err := d.Store.CreateKey(context.Background(), k); err != nil {
		tb.Fatal(err)
	}
	return secret
}

// Call makes one request to the API at base, with key (when not empty) as
// its bearer token and body (nil: none), and returns the answer's status
// and body.
func Call(tb testing.TB, base, key, method, path string, body io.Reader) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// CallJSON is Call with body sent as JSON (nil: no body).
func CallJSON(tb testing.TB, base, key, method, path string, body any) (int, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	return Call(tb, base, key, method, path, rd)
}
