package api_test

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

const clientAddr = "0x00000000000000000000000000000000000000c1"

// TestClientAgainstServer drives every typed call of api.Client against
// the real server over a pebble store.
func TestClientAgainstServer(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{Rate: 1000, Burst: 1000})
	ctx := context.Background()
	admin := &api.Client{Base: e.ts.URL + "/", Key: e.key(apikey.RoleAdmin, "ops")}

	// Keys: create, list, revoke; the new key works until revoked.
	ck, err := admin.CreateKey(ctx, apikey.RoleExchange, "acme")
	if err != nil || ck.Secret == "" || ck.Tenant != "acme" || ck.Role != apikey.RoleExchange {
		t.Fatalf("create key: %+v, %v", ck, err)
	}
	keys, err := admin.Keys(ctx)
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys: %+v, %v", keys, err)
	}
	acme := &api.Client{Base: e.ts.URL, Key: ck.Secret}

	// Watchlist: add, list by query, remove.
	stored, err := acme.AddWatchlistEntry(ctx, watchlists.Entry{Chain: chains.Ethereum, Address: clientAddr, Kind: watchlists.Exchange, Label: "Hot", Note: "n", Source: "test"})
	if err != nil || stored.Owner != "acme" || stored.Label != "Hot" || !strings.HasSuffix(stored.Source, ": test") {
		t.Fatalf("add: %+v, %v", stored, err)
	}
	list, err := acme.WatchlistEntries(ctx, api.WatchlistQuery{Chain: chains.Ethereum, Kind: watchlists.Exchange, Owner: "acme"})
	if err != nil || len(list) != 1 || !strings.EqualFold(list[0].Address, clientAddr) {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if list, err = acme.WatchlistEntries(ctx, api.WatchlistQuery{Kind: watchlists.Mixer}); err != nil || len(list) != 0 {
		t.Fatalf("list of mixers: %+v, %v", list, err)
	}
	if err := acme.RemoveWatchlistEntries(ctx, chains.Ethereum, clientAddr, api.WatchlistQuery{Kind: watchlists.Exchange}); err != nil {
		t.Fatal(err)
	}
	if list, _ = acme.WatchlistEntries(ctx, api.WatchlistQuery{}); len(list) != 0 {
		t.Fatalf("after remove: %+v", list)
	}

	// Incidents: open, read, list, close.
	floor := 0.5
	inc := watchlists.Incident{Title: "theft", Chain: chains.Ethereum, Policy: watchlists.Poison, MaxHops: 3, Dust: big.NewInt(7),
		ConfidenceFloor: &floor, Seeds: []watchlists.Seed{{Address: clientAddr, FromBlock: 5}}}
	id, _, err := admin.OpenIncident(ctx, inc)
	if err != nil || !strings.HasPrefix(id, "inc_") {
		t.Fatalf("open: %q, %v", id, err)
	}
	got, err := admin.Incident(ctx, id)
	if err != nil || got.Incident.Title != "theft" || got.Incident.Policy != watchlists.Poison || got.Incident.MaxHops != 3 ||
		got.Incident.Dust.Int64() != 7 || *got.Incident.ConfidenceFloor != 0.5 || got.Incident.Seeds[0].FromBlock != 5 {
		t.Fatalf("incident: %+v, %v", got, err)
	}
	all, err := admin.Incidents(ctx)
	if err != nil || len(all) != 1 || all[0].Incident.ID != id {
		t.Fatalf("incidents: %+v, %v", all, err)
	}
	if err := admin.CloseIncident(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got, _ = admin.Incident(ctx, id); got.Incident.Status != watchlists.Closed {
		t.Fatalf("after close: %+v", got.Incident)
	}

	// Triage: the key's tenant's status and comments.
	a := e.appendAlerts(1, "acme")[0]
	status, assignee := "investigating", "bob"
	tr, err := acme.SetTriage(ctx, a.Seq, &status, &assignee)
	if err != nil || tr.Status != "investigating" || tr.Assignee != "bob" {
		t.Fatalf("triage: %+v, %v", tr, err)
	}
	if tr, err = acme.CommentAlert(ctx, a.Seq, "looked"); err != nil || len(tr.Comments) != 1 {
		t.Fatalf("comment: %+v, %v", tr, err)
	}

	// Revoked, the key is refused: the error decoder gives code and status.
	if k, err := admin.RevokeKey(ctx, ck.ID); err != nil || k.Revoked == nil {
		t.Fatalf("revoke: %+v, %v", k, err)
	}
	_, err = acme.Keys(ctx)
	var re *api.ResponseError
	if !errors.As(err, &re) || re.Status != http.StatusUnauthorized || re.Err.Code != api.CodeUnauthorized {
		t.Fatalf("revoked key: %v", err)
	}
	if !strings.HasPrefix(err.Error(), "GET /v1/keys: 401 Unauthorized: ") {
		t.Fatalf("error text %q", err)
	}
}

// TestClientErrors checks the one error decoder on the server's answers:
// a bad field (400), an absent incident (404), a part not configured
// (501), and answers that are not the error JSON.
func TestClientErrors(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{Rate: 1000, Burst: 1000})
	ctx := context.Background()
	c := &api.Client{Base: e.ts.URL, Key: e.key(apikey.RoleAdmin, "ops")}

	_, err := c.AddWatchlistEntry(ctx, watchlists.Entry{Chain: chains.Ethereum, Address: "0xnope", Kind: watchlists.Exchange})
	var re *api.ResponseError
	if !errors.As(err, &re) || re.Status != http.StatusBadRequest || re.Err.Field != "address" || re.Err.Code != api.CodeInvalidAddress {
		t.Fatalf("bad address: %#v", err)
	}
	if d := re.Detail(); !strings.HasPrefix(d, "address: ") || d != "address: "+re.Err.Message {
		t.Fatalf("detail %q", d)
	}
	_, err = c.Incident(ctx, "inc_absent")
	if !errors.As(err, &re) || re.Status != http.StatusNotFound || re.Err.Code != api.CodeNotFound || re.Path != "/v1/incidents/inc_absent" || re.Method != "GET" {
		t.Fatalf("absent incident: %#v", err)
	}
	_, err = c.Screen(ctx, chains.Ethereum, []string{clientAddr})
	if !errors.As(err, &re) || re.Status != http.StatusNotImplemented || re.Err.Code != api.CodeNotImplemented {
		t.Fatalf("screen without a screener: %#v", err)
	}
	if _, err = c.Channels(ctx, ""); !errors.As(err, &re) || re.Status != http.StatusNotImplemented {
		t.Fatalf("channels without a registry: %#v", err)
	}

	// A proxy's plain-text answer: its text is the message.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway here", http.StatusBadGateway)
	}))
	defer plain.Close()
	err = (&api.Client{Base: plain.URL}).TestChannel(ctx, "t", "ch")
	if !errors.As(err, &re) || re.Status != http.StatusBadGateway || re.Err.Message != "bad gateway here" ||
		err.Error() != "POST /v1/channels/ch/test?tenant=t: 502 Bad Gateway: bad gateway here" {
		t.Fatalf("plain answer: %v", err)
	}

	// A base URL no request can be made to.
	var be *api.BaseError
	if err := (&api.Client{Base: "http://[::1"}).CloseIncident(ctx, "inc_x"); !errors.As(err, &be) || be.Base != "http://[::1" {
		t.Fatalf("bad base: %#v", err)
	}
}

// TestClientWaitsOutRateLimit retries a 429 after its Retry-After, and
// gives up after RateWaits of them.
func TestClientWaitsOutRateLimit(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if n <= 2 || r.URL.Path == "/always" {
			w.Header().Set("Retry-After", "0.1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":{"code":"rate_limited","message":"slow down"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"text":"ok"}`))
	}))
	defer srv.Close()
	ctx := context.Background()
	var out struct{ Text string }
	if err := (&api.Client{Base: srv.URL}).Do(ctx, "GET", "/x", nil, &out); err != nil || out.Text != "ok" || n != 3 {
		t.Fatalf("after two 429s: %+v, %v (%d requests)", out, err, n)
	}
	err := (&api.Client{Base: srv.URL, RateWaits: 1}).Do(ctx, "GET", "/always", nil, nil)
	var re *api.ResponseError
	if !errors.As(err, &re) || re.Status != http.StatusTooManyRequests || re.Err.Code != api.CodeRateLimited || re.Detail() != "slow down" {
		t.Fatalf("429 for ever: %v", err)
	}
	for h, want := range map[string]time.Duration{"": time.Second, "x": time.Second, "0": 100 * time.Millisecond, "2.5": 2500 * time.Millisecond, "99": 30 * time.Second} {
		if got := api.RetryAfter(h); got != want {
			t.Errorf("RetryAfter(%q) = %v, want %v", h, got, want)
		}
	}
}
