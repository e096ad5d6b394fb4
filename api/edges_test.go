package api_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/gorilla/websocket"
)

// keyWithID makes a key directly in the store and returns its id and
// secret.
func (e *env) keyWithID(role apikey.Role, tenant string) (id, secret string) {
	e.t.Helper()
	secret, k, err := apikey.New(role, tenant, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.CreateKey(context.Background(), k); err != nil {
		e.t.Fatal(err)
	}
	return k.ID, secret
}

// refusedStatus dials and expects the handshake refused; it returns the
// HTTP status and the error code of the body.
func (e *env) refusedStatus(key, query string) (int, string) {
	e.t.Helper()
	c, resp, err := e.dial(key, query)
	if err == nil {
		c.Close()
		e.t.Fatalf("dial %s: connected, want refused", query)
	}
	if resp == nil {
		e.t.Fatalf("dial %s: %v (no response)", query, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, rerr := resp.Body.Read(buf)
		b.Write(buf[:n])
		if rerr != nil {
			break
		}
	}
	code, _ := errorCode(e.t, b.String())
	return resp.StatusCode, code
}

// metric returns the value of one metrics line (name with labels), or
// -1 when absent.
func (e *env) metric(name string) float64 {
	e.t.Helper()
	_, body := e.do("GET", "/metrics", "", "")
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				e.t.Fatalf("metric %s: %q", name, l)
			}
			return f
		}
	}
	return -1
}

// One key may hold api.max_websockets_per_key sockets (default 100): the
// 101st is 429 before the upgrade, counted in /metrics, while another
// key of the same tenant still connects; once one closes, the key may
// connect again.
func TestWebsocketCapPerKey(t *testing.T) {
	// A request rate far above the dials, so the cap is what refuses.
	e := newEnv(t, t.TempDir(), api.Config{Rate: 1e6, Burst: 1e6})
	key := e.key(apikey.RoleExchange, "binance")
	other := e.key(apikey.RoleExchange, "binance")
	conns := make([]*websocket.Conn, 0, api.DefaultMaxWebsocketsPerKey)
	for range api.DefaultMaxWebsocketsPerKey {
		conns = append(conns, e.mustDial(key, ""))
	}
	if status, code := e.refusedStatus(key, ""); status != http.StatusTooManyRequests || code != "rate_limited" {
		t.Fatalf("socket %d: %d %s, want 429 rate_limited", api.DefaultMaxWebsocketsPerKey+1, status, code)
	}
	if got := e.metric(`chainhound_websocket_refused_total{reason="per_key"}`); got != 1 {
		t.Fatalf("refused per_key metric %v, want 1", got)
	}
	e.mustDial(other, "")

	conns[0].Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, _, err := e.dial(key, "")
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed socket was never uncounted: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A tenant's keys together may hold api.max_websockets_per_tenant
// sockets; another tenant is not affected.
func TestWebsocketCapPerTenant(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{MaxWebsocketsPerTenant: 3})
	k1, k2 := e.key(apikey.RoleCompany, "acme"), e.key(apikey.RoleCompany, "acme")
	e.mustDial(k1, "")
	e.mustDial(k1, "")
	e.mustDial(k2, "")
	if status, code := e.refusedStatus(k2, ""); status != http.StatusTooManyRequests || code != "rate_limited" {
		t.Fatalf("4th socket of the tenant: %d %s, want 429 rate_limited", status, code)
	}
	if got := e.metric(`chainhound_websocket_refused_total{reason="per_tenant"}`); got != 1 {
		t.Fatalf("refused per_tenant metric %v, want 1", got)
	}
	e.mustDial(e.key(apikey.RoleCompany, "globex"), "")
}

// Revoking a key through the API closes its open websockets at once with
// 4001, long before the next ping (an hour here) would have noticed;
// another key's socket stays open.
func TestRevokeClosesWebsocket(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{PingInterval: time.Hour})
	admin := e.key(apikey.RoleAdmin, "ops")
	id, secret := e.keyWithID(apikey.RoleInvestigator, "sleuths")
	keep := e.key(apikey.RoleInvestigator, "sleuths")
	c := e.mustDial(secret, "")
	c2 := e.mustDial(secret, "")
	kept := e.mustDial(keep, "")

	if status, body := e.do("POST", "/v1/keys/"+id+"/revoke", admin, ""); status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, body)
	}
	for i, conn := range []*websocket.Conn{c, c2} {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _, err := conn.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != api.CloseUnauthorized || !strings.Contains(ce.Text, "revoked") {
			t.Fatalf("socket %d after revocation: %v, want close 4001 (key revoked)", i, err)
		}
	}
	e.appendAlerts(1)
	if got := readAlerts(t, kept, 1); got[0].Seq != 1 {
		t.Fatalf("the other key's socket: seq %d", got[0].Seq)
	}
	if status, _ := e.refusedStatus(secret, ""); status != http.StatusUnauthorized {
		t.Fatalf("revoked key dials: %d, want 401", status)
	}
}

// since beyond the alert log's head is 400 naming since and the head, on
// the websocket and the REST list; since at the head is fine.
func TestSinceBeyondHead(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{})
	key := e.key(apikey.RoleAdmin, "ops")
	e.appendAlerts(3)

	status, body := e.do("GET", "/v1/alerts?since=4", key, "")
	if code, field := errorCode(t, body); status != http.StatusBadRequest || code != "invalid_filter" || field != "since" || !strings.Contains(body, "head 3") {
		t.Fatalf("GET /v1/alerts?since=4: %d %s", status, body)
	}
	if status, code := e.refusedStatus(key, "?since=4"); status != http.StatusBadRequest || code != "invalid_filter" {
		t.Fatalf("ws since=4: %d %s, want 400 invalid_filter", status, code)
	}
	if status, body := e.do("GET", "/v1/alerts?since=3", key, ""); status != http.StatusOK {
		t.Fatalf("since at the head: %d %s", status, body)
	}
	c := e.mustDial(key, "?since=3")
	e.appendAlerts(1)
	if got := readAlerts(t, c, 1); got[0].Seq != 4 {
		t.Fatalf("since=3 then live: seq %d, want 4", got[0].Seq)
	}
}

// A known path with a method it does not have is 405 with Allow, in the
// error shape; an unknown path stays 404.
func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{})
	key := e.key(apikey.RoleAdmin, "ops")
	for _, c := range []struct{ method, path, allow string }{
		{"POST", "/v1/alerts", "GET, HEAD"},
		{"DELETE", "/v1/keys", "GET, HEAD, POST"},
		{"GET", "/v1/watchlist/ethereum/0x1111111111111111111111111111111111111111", "DELETE"},
		{"PUT", "/v1/incidents/inc_X/close", "POST"},
		{"POST", "/healthz", "GET, HEAD"},
		{"PATCH", "/v1/webhook", "GET, HEAD, PUT, DELETE"},
	} {
		req, _ := http.NewRequest(c.method, e.ts.URL+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, rerr := resp.Body.Read(buf)
			b.Write(buf[:n])
			if rerr != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), c.allow)
			continue
		}
		if code, _ := errorCode(t, b.String()); code != "method_not_allowed" {
			t.Errorf("%s %s: code %s", c.method, c.path, code)
		}
	}
	status, body := e.do("GET", "/v1/nothing", key, "")
	if code, _ := errorCode(t, body); status != http.StatusNotFound || code != "not_found" {
		t.Fatalf("GET /v1/nothing: %d %s", status, body)
	}
}

// Ten wrong keys from one address are 401; the eleventh is 429 with
// Retry-After, counted in /metrics. A key that worked before still
// works from that address; a key never used before waits like the
// attacker (the throttle does not look keys up).
func TestFailedAuthThrottled(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{})
	good := e.key(apikey.RoleAdmin, "ops")
	fresh := e.key(apikey.RoleAdmin, "ops")
	if status, body := e.do("GET", "/v1/keys", good, ""); status != http.StatusOK {
		t.Fatalf("good key: %d %s", status, body)
	}
	for i := range 10 {
		if status, body := e.do("GET", "/v1/keys", "chk_wrong"+strconv.Itoa(i), ""); status != http.StatusUnauthorized {
			t.Fatalf("bad key %d: %d %s, want 401", i+1, status, body)
		}
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/v1/keys", nil)
	req.Header.Set("Authorization", "Bearer chk_wrong10")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("11th bad key: %d, want 429", resp.StatusCode)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 10 {
		t.Fatalf("Retry-After %q, want 1..10 s", resp.Header.Get("Retry-After"))
	}
	if got := e.metric("chainhound_auth_throttled_total"); got != 1 {
		t.Fatalf("chainhound_auth_throttled_total %v, want 1", got)
	}
	if status, body := e.do("GET", "/v1/keys", good, ""); status != http.StatusOK {
		t.Fatalf("good key after the throttle: %d %s", status, body)
	}
	if status, _ := e.do("GET", "/v1/keys", fresh, ""); status != http.StatusTooManyRequests {
		t.Fatalf("a never-used key from the throttled address: %d, want 429", status)
	}
}

// A query parameter without a name (found by FuzzWSQuery) is refused
// with an error that names the query, on every endpoint reading filters.
func TestNamelessQueryParameter(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{})
	key := e.key(apikey.RoleAdmin, "ops")
	for _, path := range []string{"/v1/alerts?=x", "/v1/alerts/ws?=", "/v1/watchlist?=1", "/v1/trace/ethereum/0x0000000000000000000000000000000000000000000000000000000000000001?=2"} {
		status, body := e.do("GET", path, key, "")
		if code, field := errorCode(t, body); status != http.StatusBadRequest || field != "query" {
			t.Errorf("GET %s: %d %s %s, want 400 naming the query", path, status, code, body)
		}
	}
}
