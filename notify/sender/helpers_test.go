package sender_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/alerts/deliver"
	"github.com/chainhound/chainhound/internal/egress"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store/pebble"
)

// loopback lets the receivers here, on 127.0.0.1, be reached: the
// operator's webhooks.allow_private.
var loopback = egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

var fastRetry = deliver.DispatcherConfig{MaxAttempts: 4, InitialBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond, Jitter: 0.2, Timeout: 5 * time.Second, Egress: loopback}

// request is one request a receiver took.
type request struct {
	Path   string
	Header http.Header
	Body   []byte
	At     time.Time
}

// JSON decodes the body into a generic map.
func (r request) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body of %s is not a JSON object: %v: %s", r.Path, err, r.Body)
	}
	return m
}

// receiver is a real local HTTP server standing in for a service's
// endpoint (Slack's, Telegram's, ...): it records each request and
// answers as answer says for the n-th (0-based).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []request
	answer func(n int, w http.ResponseWriter)
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter)) *receiver {
	r := &receiver{answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.reqs)
		r.reqs = append(r.reqs, request{Path: req.URL.Path, Header: req.Header.Clone(), Body: body, At: time.Now()})
		r.mu.Unlock()
		if r.answer != nil {
			r.answer(n, w)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

// waitFor polls cond until it holds or 15 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testnodes.Poll(t, 15*time.Second, 5*time.Millisecond, what, cond)
}

func openStore(t *testing.T) *pebble.Store {
	t.Helper()
	st, err := pebble.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openLog(t *testing.T, st alerts.Store) *alerts.Log {
	t.Helper()
	l, err := alerts.OpenLog(context.Background(), st, alerts.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// theft is an alert like the daemon raises for stolen ether reaching an
// exchange's deposit address, for tenant's eyes.
func theft(tenant string) alerts.Alert {
	return alerts.Alert{
		Type: alerts.TypeExchangeDeposit, Severity: alerts.Critical, Chain: "ethereum",
		Block: &alerts.BlockRef{Number: 812, Hash: "0xb10c"},
		Tx:    "0x5eed000000000000000000000000000000000000000000000000000000000001",
		From:  "0x1111111111111111111111111111111111111111", To: "0x3333333333333333333333333333333333333333",
		Asset:  &alerts.Asset{Symbol: "ETH", Decimals: 18},
		Amount: "1500000000000000000", Tainted: "1500000000000000000", Share: 1, Confidence: 1,
		Incident: "inc_theft", Label: &alerts.Label{Kind: "exchange", Name: "Binance deposit", Owner: tenant},
		Hops: 2,
		Path: []alerts.Hop{
			{Chain: "ethereum", Tx: "0xaa", From: "0x1111111111111111111111111111111111111111", To: "0x2222222222222222222222222222222222222222", Amount: "1500000000000000000"},
			{Chain: "ethereum", Tx: "0xbb", From: "0x2222222222222222222222222222222222222222", To: "0x3333333333333333333333333333333333333333", Amount: "1500000000000000000"},
		},
		Time:     time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC),
		Audience: []string{tenant},
	}
}

// startDispatcher starts a dispatcher of l's alerts with cfg, closed when
// the test ends, and appends as to l.
func startDispatcher(t *testing.T, l *alerts.Log, st alerts.WebhookStore, cfg deliver.DispatcherConfig, as ...alerts.Alert) *deliver.Dispatcher {
	t.Helper()
	d := deliver.NewDispatcher(l, st, cfg)
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if len(as) > 0 {
		if _, err := l.Append(context.Background(), as); err != nil {
			t.Fatal(err)
		}
	}
	return d
}
