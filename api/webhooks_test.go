package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/alerts/deliver"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/internal/egress"
)

// A tenant registers, reads and deletes its webhook over the API; the
// secret is never shown back; bad input and other tenants are refused;
// what is stored is what the dispatcher reads.
func TestWebhookEndpoints(t *testing.T) {
	var hooks *deliver.Webhooks
	e := newEnv(t, t.TempDir(), api.Config{}, func(d *api.Deps) {
		hooks = deliver.NewWebhooks(d.Keys.(alerts.WebhookStore), egress.Policy{})
		d.Webhooks = hooks
	})
	exch, admin := e.key(apikey.RoleExchange, "binance"), e.key(apikey.RoleAdmin, "ops")
	secret := strings.Repeat("s", deliver.MinSecretLen)

	code, body := e.do("PUT", "/v1/webhook", exch, `{"url":"https://hooks.binance.example/chainhound","secret":"`+secret+`"}`)
	if code != http.StatusOK || strings.Contains(body, secret) {
		t.Fatalf("put: %d %s", code, body)
	}
	h, ok, err := hooks.Get(t.Context(), "binance")
	if err != nil || !ok || h.URL != "https://hooks.binance.example/chainhound" || h.Secret != secret || h.All {
		t.Fatalf("stored %+v ok=%v err=%v", h, ok, err)
	}
	code, body = e.do("GET", "/v1/webhook", exch, "")
	var v struct{ Tenant, URL string }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &v) != nil || v.Tenant != "binance" || strings.Contains(body, secret) {
		t.Fatalf("get: %d %s", code, body)
	}

	bad := []struct {
		name, path, key, body string
		code                  int
		want                  string
	}{
		{"http url only", "/v1/webhook", exch, `{"url":"ftp://x","secret":"` + secret + `"}`, 400, `"field":"url"`},
		{"short secret", "/v1/webhook", exch, `{"url":"https://x.example","secret":"short"}`, 400, `"field":"secret"`},
		{"every alert is not for an exchange", "/v1/webhook", exch, `{"url":"https://x.example","secret":"` + secret + `","all":true}`, 403, "forbidden"},
		{"another tenant's", "/v1/webhook?tenant=coinbase", exch, `{"url":"https://x.example","secret":"` + secret + `"}`, 403, "forbidden"},
		{"no key", "/v1/webhook", "", `{"url":"https://x.example","secret":"` + secret + `"}`, 401, "unauthorized"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			code, body := e.do("PUT", b.path, b.key, b.body)
			if code != b.code || !strings.Contains(body, b.want) {
				t.Fatalf("%d %s, want %d with %s", code, body, b.code, b.want)
			}
		})
	}
	if h2, _, _ := hooks.Get(t.Context(), "binance"); h2.URL != h.URL {
		t.Fatalf("a refused request changed the webhook: %+v", h2)
	}

	// An admin manages another tenant's and may take every alert.
	if code, body := e.do("PUT", "/v1/webhook?tenant=coinbase", admin, `{"url":"https://cb.example/h","secret":"`+secret+`","all":true}`); code != http.StatusOK {
		t.Fatalf("admin put: %d %s", code, body)
	}
	if code, _ := e.do("DELETE", "/v1/webhook", exch, ""); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := e.do("GET", "/v1/webhook", exch, ""); code != http.StatusNotFound {
		t.Fatalf("get after delete: %d", code)
	}
	if _, ok, _ := hooks.Get(t.Context(), "coinbase"); !ok {
		t.Fatal("deleting binance's webhook touched coinbase's")
	}
}
