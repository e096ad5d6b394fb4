package api_test

import (
	"encoding/json"
	"testing"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/watchlists"
)

// Text with control or bidirectional characters is refused by the API
// with 400 naming the field, for an exchange's own entry and an
// incident's title alike, and nothing is stored (issue 13, finding 7:
// one tenant's label forged a row of another's `alerts tail --format
// table`).
func TestAPIRefusesControlCharactersInText(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{Rate: 1000, Burst: 1000})
	exchange := e.key(apikey.RoleExchange, "binance")
	company := e.key(apikey.RoleCompany, "acme")
	bad := map[string]string{
		"ESC": "Binance 14\x1b[2K", "CR": "a\rb", "LF": "a\n9999  2026-01-01T00:00:00Z  forged", "NUL": "a\x00b",
		"RLO": "a\u202eb", "isolate": "\u2067x\u2069", "C1 CSI": "a\u009b2J", "DEL": "a\x7f", "TAB": "a\tb",
	}
	body := func(v map[string]any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for name, s := range bad {
		for _, field := range []string{"label", "note", "source"} {
			t.Run(field+" "+name, func(t *testing.T) {
				req := map[string]any{"chain": "ethereum", "address": newAddr, "kind": "exchange", field: s}
				st, resp := e.do("POST", "/v1/watchlist", exchange, body(req))
				code, f := errorCode(t, resp)
				if st != 400 || code != "invalid" || f != field {
					t.Fatalf("%d %s, want 400 invalid naming %s", st, resp, field)
				}
			})
		}
		t.Run("title "+name, func(t *testing.T) {
			req := map[string]any{"chain": "ethereum", "title": s, "seeds": []map[string]string{{"tx": theftTx}}}
			st, resp := e.do("POST", "/v1/incidents", company, body(req))
			code, f := errorCode(t, resp)
			if st != 400 || code != "invalid" || f != "title" {
				t.Fatalf("%d %s, want 400 invalid naming title", st, resp)
			}
		})
	}
	if n := len(e.reg.List(watchlists.Filter{})); n != 0 {
		t.Fatalf("%d entries stored from refused requests", n)
	}
	if n := len(e.book.List("*", "")); n != 0 {
		t.Fatalf("%d incidents stored from refused requests", n)
	}
	// Letters of any script, and punctuation, are text.
	ok := map[string]any{"chain": "ethereum", "address": newAddr, "kind": "exchange", "label": "币安 14 — Müller & Söhne (עברית)"}
	if st, resp := e.do("POST", "/v1/watchlist", exchange, body(ok)); st != 201 {
		t.Fatalf("%d %s", st, resp)
	}
}
