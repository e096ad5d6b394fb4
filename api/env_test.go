package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/gorilla/websocket"
)

// env is a server over real parts: a pebble store in a directory, the
// alert log, the watchlist registry and incident book on it, served by
// httptest (a real HTTP server on loopback).
type env struct {
	t     testing.TB
	dir   string
	store *pebble.Store
	log   *alerts.Log
	reg   *watchlists.Registry
	book  *watchlists.IncidentBook
	srv   *api.Server
	ts    *httptest.Server
}

// newEnv opens (or reopens) the store in dir and serves it.
func newEnv(t testing.TB, dir string, cfg api.Config, mutate ...func(*api.Deps)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := alerts.OpenLog(ctx, st, alerts.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	reg := watchlists.NewRegistry(st, nil)
	if err := reg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	book := watchlists.NewIncidentBook(st, nil)
	if err := book.Load(ctx); err != nil {
		t.Fatal(err)
	}
	deps := api.Deps{Keys: st, Alerts: lg, Watchlist: reg, Incidents: book, Triage: st}
	for _, m := range mutate {
		m(&deps)
	}
	srv := api.New(cfg, deps)
	e := &env{t: t, dir: dir, store: st, log: lg, reg: reg, book: book, srv: srv}
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(e.stop)
	return e
}

// stop shuts the server down and closes the store (idempotent).
func (e *env) stop() {
	if e.ts == nil {
		return
	}
	e.srv.Close()
	e.ts.Close()
	e.store.Close()
	e.ts = nil
}

// key makes a key directly in the store and returns its secret.
func (e *env) key(role apikey.Role, tenant string) string {
	e.t.Helper()
	secret, k, err := apikey.New(role, tenant, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.CreateKey(context.Background(), k); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// appendAlerts appends n exchange-deposit alerts for audience.
func (e *env) appendAlerts(n int, audience ...string) []alerts.Alert {
	e.t.Helper()
	as := make([]alerts.Alert, n)
	for i := range as {
		as[i] = testAlert(audience...)
	}
	out, err := e.log.Append(context.Background(), as)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

var txCounter int

func testAlert(audience ...string) alerts.Alert {
	txCounter++
	owner := ""
	if len(audience) > 0 {
		owner = audience[0]
	}
	return alerts.Alert{
		Type: alerts.TypeExchangeDeposit, Severity: alerts.Critical, Chain: "ethereum",
		Block: &alerts.BlockRef{Number: 100, Hash: "0xb1"},
		Tx:    fmt.Sprintf("0x%064x", txCounter), From: "0x1111111111111111111111111111111111111111",
		To:    "0x2222222222222222222222222222222222222222",
		Asset: &alerts.Asset{Symbol: "ETH", Decimals: 18}, Amount: "1000", Tainted: "1000",
		Share: 1, Confidence: 1, Incident: "inc_TEST", Label: &alerts.Label{Kind: "exchange", Name: "Hot 1", Owner: owner},
		Time: time.Now().UTC(), Audience: audience,
	}
}

// do sends an HTTP request with key (none when empty) and returns the
// status and body.
func (e *env) do(method, path, key, body string) (int, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) wsURL(query string) string {
	return "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/v1/alerts/ws" + query
}

// dial opens the websocket with key.
func (e *env) dial(key, query string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
	return websocket.DefaultDialer.Dial(e.wsURL(query), h)
}

func (e *env) mustDial(key, query string) *websocket.Conn {
	e.t.Helper()
	c, resp, err := e.dial(key, query)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		e.t.Fatalf("dial %s: %v (status %d)", query, err, status)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// readAlerts reads n alerts (failing after 10 s).
func readAlerts(t testing.TB, c *websocket.Conn, n int) []alerts.Alert {
	t.Helper()
	out := make([]alerts.Alert, 0, n)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(out) < n {
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("after %d of %d alerts: %v", len(out), n, err)
		}
		var a alerts.Alert
		if err := json.Unmarshal(data, &a); err != nil {
			t.Fatalf("frame %q: %v", data, err)
		}
		out = append(out, a)
	}
	return out
}

func seqs(as []alerts.Alert) []uint64 {
	out := make([]uint64, len(as))
	for i, a := range as {
		out[i] = a.Seq
	}
	return out
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// errorCode decodes the error body's code.
func errorCode(t testing.TB, body string) (code, field string) {
	t.Helper()
	var v struct {
		Error struct{ Code, Message, Field string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil || v.Error.Code == "" || v.Error.Message == "" {
		t.Fatalf("not an error body: %q", body)
	}
	return v.Error.Code, v.Error.Field
}
