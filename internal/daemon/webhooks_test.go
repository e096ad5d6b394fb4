package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/internal/testnodes"
)

const hookSecret = "0123456789abcdef-hook-secret"

// hookReceiver is a real HTTP server on 127.0.0.1 recording the seqs of
// the deliveries it accepts (signature checked) and every request it sees.
type hookReceiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	status   int      // answer; 0: 200
	requests int      // every request, whatever its body
	seqs     []uint64 // seqs of every signed request
	ok       []uint64 // seqs answered 2xx
	bad      []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests++
		var a alerts.Alert
		err := alerts.Verify(hookSecret, req.Header.Get(alerts.HeaderTimestamp), req.Header.Get(alerts.HeaderSignature), body, time.Now(), time.Minute)
		if err == nil {
			err = json.Unmarshal(body, &a)
		}
		if err != nil {
			r.bad = append(r.bad, err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.seqs = append(r.seqs, a.Seq)
		status := r.status
		if status == 0 {
			status = http.StatusOK
		}
		if status < 300 {
			r.ok = append(r.ok, a.Seq)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) port() string {
	_, port, _ := net.SplitHostPort(r.srv.Listener.Addr().String())
	return port
}

func (r *hookReceiver) snapshot() (requests int, ok []uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, append([]uint64(nil), r.ok...)
}

func (r *hookReceiver) seen() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint64(nil), r.seqs...)
}

func (r *hookReceiver) setStatus(code int) {
	r.mu.Lock()
	r.status = code
	r.mu.Unlock()
}

// createKey makes a key through the API and returns its id and secret.
func createKey(t *testing.T, base, admin string, role apikey.Role, tenant string) (id, secret string) {
	t.Helper()
	code, body := apiCall(t, base, "POST", "/v1/keys", admin, fmt.Sprintf(`{"role":%q,"tenant":%q}`, role, tenant))
	var k struct{ ID, Key string }
	if code != http.StatusCreated || json.Unmarshal([]byte(body), &k) != nil {
		t.Fatalf("create key: %d %s", code, body)
	}
	return k.ID, k.Key
}

func putHook(t *testing.T, base, key, url string, all bool) (int, string) {
	t.Helper()
	return apiCall(t, base, "PUT", "/v1/webhook", key, fmt.Sprintf(`{"url":%q,"secret":%q,"all":%v}`, url, hookSecret, all))
}

// metric returns a counter's value from /metrics.
func metric(t *testing.T, base, name string) string {
	t.Helper()
	_, body := apiCall(t, base, "GET", "/metrics", "", "")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return "absent"
}

// raise appends alerts for audience to the daemon's log, as the raiser
// does, and returns their seqs.
func raise(t *testing.T, d *daemon.Daemon, audience ...string) uint64 {
	t.Helper()
	as, err := d.Alerts.Append(context.Background(), []alerts.Alert{{
		Type: alerts.TypeExchangeDeposit, Severity: alerts.Critical, Chain: "ethereum",
		Block: &alerts.BlockRef{Number: 100, Hash: fmt.Sprintf("0x%064x", 1)},
		Tx:    fmt.Sprintf("0x%064x", 2), Amount: "1000", Tainted: "1000",
		Audience: audience, Time: time.Now().UTC(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return as[0].Seq
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// queueEmpty reports whether the dispatcher has nothing left to attempt.
func queueEmpty(t *testing.T, d *daemon.Daemon) bool {
	q, err := d.Store.PendingDeliveries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(q) == 0
}

// Finding 3 (issue 13), registration: a company key may not point its
// webhook at loopback, link-local (cloud metadata), private or other
// special addresses, nor at numbers in non-canonical forms, nor put
// credentials in the URL; each is 400 naming the url field, the password
// is never echoed, and nothing is stored.
func TestWebhookRegistrationRefusesInternalDestinations(t *testing.T) {
	rcv := newHookReceiver(t)
	p := rcv.port()
	d, base := daemontest.Start(t, "", nil)
	company := daemontest.Key(t, d, apikey.RoleCompany, "acme")
	for _, u := range []string{
		"http://127.0.0.1:" + p + "/hook",
		"http://[::1]:" + p + "/hook",
		"http://0x7f000001:" + p + "/hook",
		"http://2130706433:" + p + "/hook",
		"http://0177.0.0.1:" + p + "/hook",
		"http://127.1:" + p + "/hook",
		"http://[::ffff:127.0.0.1]:" + p + "/hook",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.7/hook",
		"http://[fd00::1]/hook",
		"http://0.0.0.0:" + p + "/hook",
		"http://hookuser:s3cr3t-pa55@hooks.example.com/hook",
		"https://s3cr3t-pa55@hooks.example.com/hook",
	} {
		t.Run(u, func(t *testing.T) {
			code, body := putHook(t, base, company, u, false)
			if code != http.StatusBadRequest || !strings.Contains(body, `"field":"url"`) {
				t.Fatalf("%d %s, want 400 naming the url", code, body)
			}
			if strings.Contains(body, "s3cr3t") {
				t.Fatalf("the answer repeats the password: %s", body)
			}
			if code, body := apiCall(t, base, "GET", "/v1/webhook", company, ""); code != http.StatusNotFound {
				t.Fatalf("a refused webhook was stored: %d %s", code, body)
			}
		})
	}
	if n, _ := rcv.snapshot(); n != 0 {
		t.Fatalf("the receiver on loopback got %d requests", n)
	}
}

// Finding 3, delivery: a name that resolves to loopback passes
// registration (a name may resolve anywhere later: DNS rebinding) but is
// refused on the address dialled. Nothing reaches the listener, the
// delivery is dead-lettered at once (not retried) and counted in
// chainhound_webhook_refused_total.
func TestWebhookRefusedAtDial(t *testing.T) {
	rcv := newHookReceiver(t)
	d, base := daemontest.Start(t, "", nil)
	company := daemontest.Key(t, d, apikey.RoleCompany, "acme")
	if code, body := putHook(t, base, company, "http://localhost:"+rcv.port()+"/hook", false); code != http.StatusOK {
		t.Fatalf("register localhost: %d %s", code, body)
	}
	seq := raise(t, d, "acme")
	waitUntil(t, "the refused delivery dead-lettered", func() bool { return metric(t, base, "chainhound_webhook_refused_total") == "1" })
	dead, err := d.Store.DeadLetters(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Seq != seq || dead[0].Tenant != "acme" || dead[0].Attempts != 1 || !strings.Contains(dead[0].LastError, "loopback") {
		t.Fatalf("dead letters %+v, want seq %d refused as loopback after one attempt", dead, seq)
	}
	if !queueEmpty(t, d) {
		t.Fatal("the refused delivery is still queued")
	}
	if n, _ := rcv.snapshot(); n != 0 {
		t.Fatalf("the loopback receiver got %d requests", n)
	}
	if v := metric(t, base, "chainhound_webhook_deliveries_total"); v != "0" {
		t.Fatalf("deliveries_total %s", v)
	}
}

// The operator's webhooks.allow_private lets an internal receiver in.
func TestWebhookAllowPrivateDelivers(t *testing.T) {
	rcv := newHookReceiver(t)
	d, base := daemontest.Start(t, "webhooks: { allow_private: [127.0.0.0/8] }\n", nil)
	company := daemontest.Key(t, d, apikey.RoleCompany, "acme")
	for _, u := range []string{"http://127.0.0.1:" + rcv.port() + "/hook", "http://localhost:" + rcv.port() + "/hook"} {
		if code, body := putHook(t, base, company, u, false); code != http.StatusOK {
			t.Fatalf("register %s: %d %s", u, code, body)
		}
	}
	// ::1 is not in the allow-list.
	if code, body := putHook(t, base, company, "http://[::1]:"+rcv.port()+"/hook", false); code != http.StatusBadRequest {
		t.Fatalf("register [::1]: %d %s", code, body)
	}
	if code, body := putHook(t, base, company, "http://127.0.0.1:"+rcv.port()+"/hook", false); code != http.StatusOK {
		t.Fatalf("register: %d %s", code, body)
	}
	seq := raise(t, d, "acme")
	waitUntil(t, "the delivery", func() bool { _, ok := rcv.snapshot(); return len(ok) == 1 })
	if _, ok := rcv.snapshot(); ok[0] != seq {
		t.Fatalf("delivered %v, want [%d]", ok, seq)
	}
	if v := metric(t, base, "chainhound_webhook_refused_total"); v != "0" {
		t.Fatalf("refused_total %s", v)
	}
}

// Finding 4 (issue 13): a webhook belongs to the key that registered it.
// Once an investigator's key is revoked its all:true webhook gets nothing
// more (neither new alerts nor the one it was retrying), while a control
// webhook of another live key receives the same alerts.
func TestWebhookStopsWhenKeyRevoked(t *testing.T) {
	revoked, control := newHookReceiver(t), newHookReceiver(t)
	d, base := daemontest.Start(t, "webhooks: { allow_private: [127.0.0.0/8] }\n", nil)
	admin := daemontest.Key(t, d, apikey.RoleAdmin, "ops")
	invID, inv := createKey(t, base, admin, apikey.RoleInvestigator, "sleuths")
	_, inv2 := createKey(t, base, admin, apikey.RoleInvestigator, "forensics")
	if code, body := putHook(t, base, inv, revoked.srv.URL+"/hook", true); code != http.StatusOK || !strings.Contains(body, invID) {
		t.Fatalf("register: %d %s, want the owning key %s shown", code, body, invID)
	}
	if code, body := putHook(t, base, inv2, control.srv.URL+"/hook", true); code != http.StatusOK {
		t.Fatalf("register control: %d %s", code, body)
	}

	// Both receive while both keys are live.
	first := raise(t, d, "acme")
	waitUntil(t, "the first alert at both", func() bool {
		_, a := revoked.snapshot()
		_, b := control.snapshot()
		return len(a) == 1 && len(b) == 1
	})

	// The receiver fails from now on, so the next delivery waits to be
	// retried; meanwhile the key is revoked.
	revoked.setStatus(http.StatusServiceUnavailable)
	second := raise(t, d, "acme")
	waitUntil(t, "a failed attempt", func() bool { n, _ := revoked.snapshot(); return n >= 2 })
	if code, body := apiCall(t, base, "POST", "/v1/keys/"+invID+"/revoke", admin, ""); code != http.StatusOK {
		t.Fatalf("revoke: %d %s", code, body)
	}
	third := raise(t, d, "acme")

	// The retried delivery is dropped at its next turn instead of being
	// retried until the receiver is back; the new alert is not queued.
	waitUntil(t, "the retried delivery dropped", func() bool { return metric(t, base, "chainhound_webhook_unauthorized_total") == "1" })
	waitUntil(t, "the control receives every alert", func() bool { _, b := control.snapshot(); return len(b) == 3 })
	waitUntil(t, "the queue drained", func() bool { return queueEmpty(t, d) })
	if _, b := control.snapshot(); fmt.Sprint(b) != fmt.Sprint([]uint64{first, second, third}) {
		t.Fatalf("control got %v", b)
	}
	for _, seq := range revoked.seen() {
		if seq == third {
			t.Fatalf("the revoked key's webhook was sent alert %d, raised after the revocation (requests %v)", third, revoked.seen())
		}
	}
	if _, a := revoked.snapshot(); fmt.Sprint(a) != fmt.Sprint([]uint64{first}) {
		t.Fatalf("the revoked key's webhook accepted %v, want only [%d] from before the revocation", a, first)
	}
	dead, err := d.Store.DeadLetters(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Seq != second || dead[0].Tenant != "sleuths" || !strings.Contains(dead[0].LastError, "revoked") {
		t.Fatalf("dead letters %+v, want seq %d of sleuths dropped as revoked", dead, second)
	}
}

// Finding 8 (issue 13), the webhook part: user information in a webhook
// URL is never stored, shown or logged. Registration refuses it; a webhook
// an older version stored with it is shown, logged and dead-lettered
// without it.
func TestWebhookUserinfoNeverShown(t *testing.T) {
	rcv := newHookReceiver(t)
	var logs testnodes.SyncBuffer
	d, base := daemontest.StartLogged(t, "", slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), nil)
	company := daemontest.Key(t, d, apikey.RoleCompany, "acme")
	if code, body := putHook(t, base, company, "https://newuser:n3w-pa55@hooks.example.com/hook", false); code != http.StatusBadRequest || strings.Contains(body, "n3w-pa55") {
		t.Fatalf("register with user information: %d %s", code, body)
	}
	// As stored by an older version: user information, no owning key.
	legacy := alerts.Webhook{Tenant: "acme", URL: "http://olduser:0ld-pa55@localhost:" + rcv.port() + "/hook", Secret: hookSecret, Created: time.Now().UTC()}
	if err := d.Store.PutWebhook(context.Background(), legacy); err != nil {
		t.Fatal(err)
	}
	code, body := apiCall(t, base, "GET", "/v1/webhook", company, "")
	if code != http.StatusOK || !strings.Contains(body, "localhost:"+rcv.port()) || strings.Contains(body, "olduser") || strings.Contains(body, "0ld-pa55") {
		t.Fatalf("get: %d %s, want the URL without user information", code, body)
	}
	raise(t, d, "acme")
	waitUntil(t, "the refused delivery", func() bool { return metric(t, base, "chainhound_webhook_refused_total") == "1" })
	dead, err := d.Store.DeadLetters(context.Background(), 0)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %+v err %v", dead, err)
	}
	for what, text := range map[string]string{"dead letter": dead[0].LastError, "log": logs.String()} {
		for _, secret := range []string{"olduser", "0ld-pa55", "newuser", "n3w-pa55"} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s holds %q:\n%s", what, secret, text)
			}
		}
	}
	if !strings.Contains(logs.String(), "localhost:"+rcv.port()) {
		t.Errorf("the log does not name the refused destination:\n%s", logs.String())
	}
}

// Webhooks stored before they had an owning key are delivered while their
// tenant holds a live key that may receive what they ask: acme (a live
// company key) gets its alert; bigco's all:true webhook does not (no key
// of bigco reads every alert); gone's key is revoked.
func TestLegacyWebhookOwnership(t *testing.T) {
	rA, rB, rG := newHookReceiver(t), newHookReceiver(t), newHookReceiver(t)
	d, base := daemontest.Start(t, "webhooks: { allow_private: [127.0.0.0/8] }\n", nil)
	admin := daemontest.Key(t, d, apikey.RoleAdmin, "ops")
	createKey(t, base, admin, apikey.RoleCompany, "acme")
	createKey(t, base, admin, apikey.RoleCompany, "bigco")
	goneID, _ := createKey(t, base, admin, apikey.RoleCompany, "gone")
	if code, body := apiCall(t, base, "POST", "/v1/keys/"+goneID+"/revoke", admin, ""); code != http.StatusOK {
		t.Fatalf("revoke: %d %s", code, body)
	}
	for _, h := range []struct {
		tenant string
		r      *hookReceiver
		all    bool
	}{{"acme", rA, false}, {"bigco", rB, true}, {"gone", rG, false}} {
		if err := d.Store.PutWebhook(context.Background(), alerts.Webhook{Tenant: h.tenant, URL: h.r.srv.URL + "/hook", Secret: hookSecret, All: h.all, Created: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
	}
	seq := raise(t, d, "acme", "gone")
	waitUntil(t, "acme's delivery", func() bool { _, ok := rA.snapshot(); return len(ok) == 1 })
	waitUntil(t, "the queue drained", func() bool { return queueEmpty(t, d) })
	if _, ok := rA.snapshot(); ok[0] != seq {
		t.Fatalf("acme got %v", ok)
	}
	for name, r := range map[string]*hookReceiver{"bigco (all without a key that reads all)": rB, "gone (revoked)": rG} {
		if n, _ := r.snapshot(); n != 0 {
			t.Errorf("%s got %d requests", name, n)
		}
	}
}
