package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/watchlists"
)

// Screening's bad input: each names its field; past 10,000 addresses is
// 413; a server without a screener answers 501.
func TestScreenBadInput(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{Rate: 1000, Burst: 1000}, func(d *api.Deps) {
		d.Screener = screening.New(screening.Config{}, d.Watchlist.(*watchlists.Registry), nil, nil)
	})
	k := e.key(apikey.RoleCompany, "acme")
	many := make([]string, api.MaxScreenBatch+1)
	for i := range many {
		many[i] = fmt.Sprintf("%q", fmt.Sprintf("0x%040x", i+1))
	}
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"unknown chain", "GET", "/v1/screen/dogecoin/0x00000000000000000000000000000000000000a1", "", 400, "chain"},
		{"bad address", "GET", "/v1/screen/ethereum/0xnope", "", 400, "address"},
		{"batch: unknown chain", "POST", "/v1/screen", `{"chain":"doge","addresses":["0x00000000000000000000000000000000000000a1"]}`, 400, "chain"},
		{"batch: the bad one named", "POST", "/v1/screen", `{"chain":"ethereum","addresses":["0x00000000000000000000000000000000000000a1","bc1qxyz"]}`, 400, "addresses[1]"},
		{"batch: unknown field", "POST", "/v1/screen", `{"chain":"ethereum","address":"x"}`, 400, "address"},
		{"batch: too many", "POST", "/v1/screen", `{"chain":"ethereum","addresses":[` + strings.Join(many, ",") + `]}`, 413, "addresses"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, body := e.do(c.method, c.path, k, c.body)
			if st != c.status {
				t.Fatalf("%d %s, want %d", st, body, c.status)
			}
			if _, f := errorCode(t, body); f != c.field {
				t.Fatalf("field %q, want %q", f, c.field)
			}
		})
	}
	plain := newEnv(t, t.TempDir(), api.Config{})
	if st, body := plain.do("GET", "/v1/screen/ethereum/0x00000000000000000000000000000000000000a1", plain.key(apikey.RoleCompany, "acme"), ""); st != 501 {
		t.Fatalf("without a screener: %d %s", st, body)
	}
}
