package deliver_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/alerts/deliver"
	"github.com/chainhound/chainhound/internal/egress"
	"github.com/chainhound/chainhound/internal/testnodes"
)

const secret = "0123456789abcdef-secret"

// receiver is a real HTTP server that verifies each delivery and answers
// with the status fail returns for the n-th request (0-based).
type receiver struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	fail func(n int) int
	n    int
	ok   []uint64 // seqs answered 2xx, in order
	all  []uint64 // seqs of every request
	at   []time.Time
	bad  []string // verification failures
}

func newReceiver(t *testing.T, fail func(n int) int) *receiver {
	r := &receiver{t: t, fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	err := alerts.Verify(secret, req.Header.Get(alerts.HeaderTimestamp), req.Header.Get(alerts.HeaderSignature), body, time.Now(), 5*time.Minute)
	var a alerts.Alert
	if err == nil {
		err = json.Unmarshal(body, &a)
	}
	if err == nil && strconv.FormatUint(a.Seq, 10) != req.Header.Get(alerts.HeaderSeq) {
		err = fmt.Errorf("seq header %s, body seq %d", req.Header.Get(alerts.HeaderSeq), a.Seq)
	}
	if err != nil {
		r.bad = append(r.bad, err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	status := http.StatusOK
	if r.fail != nil {
		status = r.fail(r.n)
	}
	r.n++
	r.all = append(r.all, a.Seq)
	r.at = append(r.at, time.Now())
	if status < 300 {
		r.ok = append(r.ok, a.Seq)
	}
	w.WriteHeader(status)
}

func (r *receiver) snapshot() (ok, all []uint64, bad []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint64(nil), r.ok...), append([]uint64(nil), r.all...), append([]string(nil), r.bad...)
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testnodes.Poll(t, 10*time.Second, 5*time.Millisecond, what, cond)
}

// loopback lets the receivers here, on 127.0.0.1, be reached: the
// operator's webhooks.allow_private.
var loopback = egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

var fastRetry = deliver.DispatcherConfig{MaxAttempts: 4, InitialBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond, Jitter: 0.2, Timeout: 5 * time.Second, Egress: loopback}

func startDispatcher(t *testing.T, l *alerts.Log, st alerts.WebhookStore, cfg deliver.DispatcherConfig) *deliver.Dispatcher {
	t.Helper()
	d := deliver.NewDispatcher(l, st, cfg)
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func TestWebhookSignedDeliveryToAudience(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	l := openLog(t, st, alerts.Retention{})
	hooks := deliver.NewWebhooks(st, loopback)
	exch, admin, other := newReceiver(t, nil), newReceiver(t, nil), newReceiver(t, nil)
	for _, h := range []struct {
		tenant string
		url    string
		all    bool
	}{{"binance", exch.srv.URL, false}, {"ops", admin.srv.URL, true}, {"kraken", other.srv.URL, false}} {
		if _, err := hooks.Set(ctx, alerts.Webhook{Tenant: h.tenant, URL: h.url + "/hook", Secret: secret, All: h.all}); err != nil {
			t.Fatal(err)
		}
	}
	d := startDispatcher(t, l, st, fastRetry)
	batch := samples(0, 3) // audience binance + victimN
	batch[1].Audience = []string{"victim1"}
	if _, err := l.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "admin receives every alert", func() bool { ok, _, _ := admin.snapshot(); return len(ok) == 3 })
	waitFor(t, "exchange receives its alerts", func() bool { ok, _, _ := exch.snapshot(); return len(ok) == 2 })
	if ok, _, bad := exch.snapshot(); fmt.Sprint(ok) != "[1 3]" || len(bad) > 0 {
		t.Fatalf("exchange got %v (verification failures %v), want [1 3]", ok, bad)
	}
	if ok, _, bad := admin.snapshot(); fmt.Sprint(ok) != "[1 2 3]" || len(bad) > 0 {
		t.Fatalf("admin got %v (verification failures %v), want [1 2 3]", ok, bad)
	}
	d.Close() // waits for senders: nothing more can arrive
	if _, all, _ := other.snapshot(); len(all) != 0 {
		t.Fatalf("a tenant outside the audience received %v", all)
	}
	if s := d.Stats(); s.Delivered != 5 || s.Failures != 0 {
		t.Fatalf("stats %+v, want 5 delivered", s)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"seq":1}`)
	now := time.Unix(1_740_147_215, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := alerts.Sign(secret, now.Unix(), body)
	cases := map[string]struct {
		secret, ts, sig string
		body            []byte
		want            string // "" = valid
	}{
		"valid":           {secret, ts, good, body, ""},
		"tampered body":   {secret, ts, good, []byte(`{"seq":2}`), "does not match"},
		"wrong secret":    {"another-secret-of-16", ts, good, body, "does not match"},
		"replayed later":  {secret, strconv.FormatInt(now.Unix()-600, 10), alerts.Sign(secret, now.Unix()-600, body), body, "replay"},
		"garbage time":    {secret, "yesterday", good, body, "unix seconds"},
		"missing prefix":  {secret, ts, strings.TrimPrefix(good, "sha256="), body, "does not match"},
		"empty signature": {secret, ts, "", body, "does not match"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := alerts.Verify(c.secret, c.ts, c.sig, c.body, now, 5*time.Minute)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	// The documented construction, by hand: HMAC-SHA256(secret, ts + "." + body).
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); good != want {
		t.Fatalf("Sign = %s, want %s", good, want)
	}
}

func TestWebhookSetRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	hooks := deliver.NewWebhooks(st, loopback)
	if _, err := hooks.Set(ctx, alerts.Webhook{Tenant: "binance", URL: "https://hooks.binance.example/chainhound", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		tenant, url, secret, want string
	}{
		"empty tenant":   {"", "https://x.example/h", secret, "field tenant"},
		"relative url":   {"binance", "/hook", secret, "field url"},
		"ftp url":        {"binance", "ftp://x.example/h", secret, "field url"},
		"short secret":   {"binance", "https://x.example/h", "short", "field secret"},
		"unparsable url": {"binance", "http://[::1", secret, "field url"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := hooks.Set(ctx, alerts.Webhook{Tenant: c.tenant, URL: c.url, Secret: c.secret}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error naming %s", err, c.want)
			}
			h, ok, err := hooks.Get(ctx, "binance")
			if err != nil || !ok || h.URL != "https://hooks.binance.example/chainhound" {
				t.Fatalf("stored webhook changed: %+v ok=%v err=%v", h, ok, err)
			}
		})
	}
	if err := hooks.Delete(ctx, "binance"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := hooks.Get(ctx, "binance"); ok {
		t.Fatal("webhook still there after Delete")
	}
}

func TestWebhookRetriesAfter500sThenSucceeds(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	l := openLog(t, st, alerts.Retention{})
	rcv := newReceiver(t, func(n int) int {
		if n < 3 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	if _, err := deliver.NewWebhooks(st, loopback).Set(ctx, alerts.Webhook{Tenant: "binance", URL: rcv.srv.URL, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	d := startDispatcher(t, l, st, fastRetry)
	if _, err := l.Append(ctx, samples(0, 2)); err != nil {
		t.Fatal(err)
	}
	// Received, and recorded as delivered (the dispatcher counts a
	// delivery once it is recorded, after the receiver has answered).
	waitFor(t, "both alerts delivered", func() bool {
		ok, _, _ := rcv.snapshot()
		return len(ok) == 2 && d.Stats().Delivered == 2
	})
	ok, all, bad := rcv.snapshot()
	// Alert 1 fails three times, then 1 and 2 go through, in order.
	if fmt.Sprint(all) != "[1 1 1 1 2]" || fmt.Sprint(ok) != "[1 2]" || len(bad) > 0 {
		t.Fatalf("requests %v, successes %v, bad %v", all, ok, bad)
	}
	// Backoff: each wait at least InitialBackoff·2^(k−1)·(1−jitter).
	rcv.mu.Lock()
	at := append([]time.Time(nil), rcv.at...)
	rcv.mu.Unlock()
	for k := 1; k <= 3; k++ {
		min := time.Duration(float64(fastRetry.Backoff(k)) * 0.8)
		if gap := at[k].Sub(at[k-1]); gap < min {
			t.Fatalf("retry %d came after %s, want at least %s", k, gap, min)
		}
	}
	if s := d.Stats(); s.Delivered != 2 || s.Failures != 3 || s.DeadLetters != 0 {
		t.Fatalf("stats %+v", s)
	}
	if q, _ := st.PendingDeliveries(ctx); len(q) != 0 {
		t.Fatalf("%d deliveries still queued", len(q))
	}
}

func TestWebhookDeadLetterAfterLimit(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	l := openLog(t, st, alerts.Retention{})
	down := true
	var mu sync.Mutex
	rcv := newReceiver(t, func(n int) int {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	hooks := deliver.NewWebhooks(st, loopback)
	if _, err := hooks.Set(ctx, alerts.Webhook{Tenant: "binance", URL: rcv.srv.URL, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	d := startDispatcher(t, l, st, fastRetry)
	if _, err := l.Append(ctx, samples(0, 1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a dead letter", func() bool { return d.Stats().DeadLetters == 1 })
	dead, err := hooks.DeadLetters(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Seq != 1 || dead[0].Tenant != "binance" || dead[0].Attempts != fastRetry.MaxAttempts || !strings.Contains(dead[0].LastError, "500") || dead[0].Dead.IsZero() {
		t.Fatalf("dead letters %+v", dead)
	}
	if _, all, _ := rcv.snapshot(); len(all) != fastRetry.MaxAttempts {
		t.Fatalf("receiver saw %d attempts, want %d", len(all), fastRetry.MaxAttempts)
	}
	// The queue moves on: the next alert goes out once the receiver is back.
	mu.Lock()
	down = false
	mu.Unlock()
	if _, err := l.Append(ctx, samples(1, 1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the next alert delivered", func() bool { ok, _, _ := rcv.snapshot(); return len(ok) == 1 })
	if ok, _, _ := rcv.snapshot(); ok[0] != 2 {
		t.Fatalf("delivered %v, want [2]", ok)
	}
}

func TestWebhookRestartLosesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	l := openLog(t, st, alerts.Retention{})
	var mu sync.Mutex
	failing := true
	rcv := newReceiver(t, func(n int) int {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	if _, err := deliver.NewWebhooks(st, loopback).Set(ctx, alerts.Webhook{Tenant: "binance", URL: rcv.srv.URL, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	cfg := fastRetry
	cfg.MaxAttempts = 1000 // never dead-letter here
	d := deliver.NewDispatcher(l, st, cfg)
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, samples(0, 5)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "failed attempts", func() bool { return d.Stats().Failures >= 2 })
	// Restart in the middle: the dispatcher and the store go down.
	d.Close()
	closeStore(t, st)

	st = openStore(t, dir)
	l = openLog(t, st, alerts.Retention{})
	if q, err := st.PendingDeliveries(ctx); err != nil || len(q) != 5 || q[0].Attempts < 1 {
		t.Fatalf("stored queue after restart: %d deliveries (first %+v), err %v; want 5 with attempts recorded", len(q), q, err)
	}
	// Alerts appended while no dispatcher runs are picked up from the cursor.
	if _, err := l.Append(ctx, samples(5, 3)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	d = startDispatcher(t, l, st, cfg)
	if _, err := l.Append(ctx, samples(8, 2)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "all 10 alerts delivered", func() bool { ok, _, _ := rcv.snapshot(); return len(ok) >= 10 })
	d.Close()
	ok, _, bad := rcv.snapshot()
	if fmt.Sprint(ok) != "[1 2 3 4 5 6 7 8 9 10]" || len(bad) > 0 {
		t.Fatalf("successful deliveries %v (bad %v), want each of 1..10 once, in order", ok, bad)
	}
	if q, _ := st.PendingDeliveries(ctx); len(q) != 0 {
		t.Fatalf("%d deliveries left queued", len(q))
	}
}

// A dispatcher started again after Close (a replica active again)
// delivers: the tenants' senders of the first run are gone, new ones are
// made.
func TestWebhookStartAfterClose(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	l := openLog(t, st, alerts.Retention{})
	rcv := newReceiver(t, nil)
	if _, err := deliver.NewWebhooks(st, loopback).Set(ctx, alerts.Webhook{Tenant: "binance", URL: rcv.srv.URL, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	d := deliver.NewDispatcher(l, st, fastRetry)
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, samples(0, 2)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first run delivers", func() bool { ok, _, _ := rcv.snapshot(); return len(ok) == 2 })
	d.Close()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := l.Append(ctx, samples(2, 2)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "second run delivers", func() bool { ok, _, _ := rcv.snapshot(); return len(ok) == 4 })
	if ok, _, _ := rcv.snapshot(); fmt.Sprint(ok) != "[1 2 3 4]" {
		t.Fatalf("deliveries %v, want 1..4 once", ok)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"1":                             time.Second,
		"0.5":                           500 * time.Millisecond,
		"120":                           2 * time.Minute,
		"999999":                        deliver.MaxRetryAfter,
		"Mon, 07 Dec 2026 01:00:30 GMT": 30 * time.Second,
		"Mon, 07 Dec 2026 00:59:00 GMT": 0,
	} {
		if got, ok := deliver.ParseRetryAfter(h, now); !ok || got != want {
			t.Errorf("ParseRetryAfter(%q) = %s %v, want %s", h, got, ok, want)
		}
	}
	for _, h := range []string{"", "soon", "-1", "NaN"} {
		if got, ok := deliver.ParseRetryAfter(h, now); ok {
			t.Errorf("ParseRetryAfter(%q) = %s, want unreadable", h, got)
		}
	}
}
