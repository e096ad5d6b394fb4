package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
)

const (
	acmeAddr    = "0x00000000000000000000000000000000000000a1" // acme's treasury
	globexAddr  = "0x00000000000000000000000000000000000000b2" // globex's treasury
	binanceAddr = "0x00000000000000000000000000000000000000c3" // binance's deposit wallet
	krakenAddr  = "0x00000000000000000000000000000000000000d4" // kraken's deposit wallet
	newAddr     = "0x00000000000000000000000000000000000000e5"
	theftTx     = "0x1111111111111111111111111111111111111111111111111111111111111111"
)

// isolation fixes a world of tenants and their resources.
type isolation struct {
	*env
	keys      map[string]string // role name → secret
	incidents map[string]string // owner → incident id
	alertTx   map[string]string // audience → the tx of its alert
}

func newIsolation(t *testing.T) *isolation {
	e := newEnv(t, t.TempDir(), api.Config{Rate: 1000, Burst: 1000})
	w := &isolation{env: e, keys: map[string]string{}, incidents: map[string]string{}, alertTx: map[string]string{}}
	w.keys["admin"] = e.key(apikey.RoleAdmin, "ops")
	w.keys["acme"] = e.key(apikey.RoleCompany, "acme")
	w.keys["globex"] = e.key(apikey.RoleCompany, "globex")
	w.keys["binance"] = e.key(apikey.RoleExchange, "binance")
	w.keys["kraken"] = e.key(apikey.RoleExchange, "kraken")
	w.keys["investigator"] = e.key(apikey.RoleInvestigator, "sleuths")
	for _, add := range []struct{ who, addr, kind string }{
		{"acme", acmeAddr, "treasury"}, {"globex", globexAddr, "treasury"},
		{"binance", binanceAddr, "exchange"}, {"kraken", krakenAddr, "exchange"},
	} {
		if st, body := e.do("POST", "/v1/watchlist", w.keys[add.who], `{"chain":"ethereum","address":"`+add.addr+`","kind":"`+add.kind+`","label":"`+add.who+` wallet"}`); st != 201 {
			t.Fatalf("setup %s: %d %s", add.who, st, body)
		}
	}
	for _, who := range []string{"acme", "globex"} {
		st, body := e.do("POST", "/v1/incidents", w.keys[who], `{"title":"`+who+` theft","chain":"ethereum","seeds":[{"tx":"`+theftTx+`"}],"policy":"haircut"}`)
		if st != 201 {
			t.Fatalf("setup incident %s: %d %s", who, st, body)
		}
		var inc struct{ ID string }
		json.Unmarshal([]byte(body), &inc)
		w.incidents[who] = inc.ID
	}
	for _, aud := range []string{"acme", "globex", "binance", "kraken", ""} {
		var as []alerts.Alert
		if aud == "" {
			as = e.appendAlerts(1)
		} else {
			as = e.appendAlerts(1, aud)
		}
		w.alertTx[aud] = as[0].Tx
	}
	return w
}

// Every role × resource × verb: the status, and that no other tenant's
// address, incident or alert appears in the body.
func TestTenantIsolation(t *testing.T) {
	w := newIsolation(t)
	incAcme, incGlobex := w.incidents["acme"], w.incidents["globex"]
	everyone := []string{acmeAddr, globexAddr, binanceAddr, krakenAddr, incAcme, incGlobex,
		w.alertTx["acme"], w.alertTx["globex"], w.alertTx["binance"], w.alertTx["kraken"], w.alertTx[""]}
	// visible lists, per row, what the body may contain; everything else
	// of everyone must not appear.
	type row struct {
		name, who, method, path, body string
		status                        int
		visible                       []string
	}
	entry := func(addr, kind string) string {
		return `{"chain":"ethereum","address":"` + addr + `","kind":"` + kind + `"}`
	}
	incident := `{"chain":"ethereum","seeds":[{"tx":"` + theftTx + `"}]}`
	rows := []row{
		// watchlist: add
		{"admin adds any kind for anyone", "admin", "POST", "/v1/watchlist", `{"chain":"ethereum","address":"` + newAddr + `","kind":"mixer","owner":"globex"}`, 201, nil},
		{"company adds treasury", "acme", "POST", "/v1/watchlist", entry(newAddr, "treasury"), 201, nil},
		{"company may not add exchange", "acme", "POST", "/v1/watchlist", entry(newAddr, "exchange"), 403, nil},
		{"company may not set another owner", "acme", "POST", "/v1/watchlist", `{"chain":"ethereum","address":"` + newAddr + `","kind":"treasury","owner":"globex"}`, 403, nil},
		{"exchange adds exchange", "binance", "POST", "/v1/watchlist", entry(newAddr, "exchange"), 201, nil},
		{"exchange may not add treasury", "binance", "POST", "/v1/watchlist", entry(newAddr, "treasury"), 403, nil},
		{"investigator may not add", "investigator", "POST", "/v1/watchlist", entry(newAddr, "custom"), 403, nil},
		{"no key may not add", "", "POST", "/v1/watchlist", entry(newAddr, "custom"), 401, nil},
		// watchlist: list
		{"admin lists all", "admin", "GET", "/v1/watchlist", "", 200, []string{acmeAddr, globexAddr, binanceAddr, krakenAddr}},
		{"company lists its own", "acme", "GET", "/v1/watchlist", "", 200, []string{acmeAddr}},
		{"company asking for another owner gets nothing", "acme", "GET", "/v1/watchlist?owner=globex", "", 200, nil},
		{"exchange lists its own", "binance", "GET", "/v1/watchlist?chain=ethereum", "", 200, []string{binanceAddr}},
		{"investigator may not list", "investigator", "GET", "/v1/watchlist", "", 403, nil},
		{"no key may not list", "", "GET", "/v1/watchlist", "", 401, nil},
		// watchlist: delete
		{"company may not delete another's", "acme", "DELETE", "/v1/watchlist/ethereum/" + globexAddr, "", 404, nil},
		{"company may not delete an exchange's", "acme", "DELETE", "/v1/watchlist/ethereum/" + binanceAddr, "", 404, nil},
		{"exchange may not delete another's", "binance", "DELETE", "/v1/watchlist/ethereum/" + krakenAddr, "", 404, nil},
		{"exchange may not delete for another owner", "binance", "DELETE", "/v1/watchlist/ethereum/" + krakenAddr + "?owner=kraken", "", 403, nil},
		{"investigator may not delete", "investigator", "DELETE", "/v1/watchlist/ethereum/" + acmeAddr, "", 403, nil},
		{"no key may not delete", "", "DELETE", "/v1/watchlist/ethereum/" + acmeAddr, "", 401, nil},
		// incidents
		{"admin opens", "admin", "POST", "/v1/incidents", incident, 201, nil},
		{"company opens (warned of its own incident on the same seed)", "acme", "POST", "/v1/incidents", incident, 201, []string{incAcme}},
		{"exchange may not open", "binance", "POST", "/v1/incidents", incident, 403, nil},
		{"investigator may not open", "investigator", "POST", "/v1/incidents", incident, 403, nil},
		{"admin lists all incidents", "admin", "GET", "/v1/incidents", "", 200, []string{incAcme, incGlobex}},
		{"company lists its own incidents", "acme", "GET", "/v1/incidents", "", 200, []string{incAcme}},
		{"exchange may not list incidents", "binance", "GET", "/v1/incidents", "", 403, nil},
		{"investigator lists incidents", "investigator", "GET", "/v1/incidents", "", 200, []string{incAcme, incGlobex}},
		{"company reads its incident", "acme", "GET", "/v1/incidents/" + incAcme, "", 200, []string{incAcme}},
		{"company may not read another's incident", "acme", "GET", "/v1/incidents/" + incGlobex, "", 404, nil},
		{"exchange may not read an incident its alerts do not cite", "binance", "GET", "/v1/incidents/" + incAcme, "", 404, nil},
		{"investigator reads an incident", "investigator", "GET", "/v1/incidents/" + incGlobex, "", 200, []string{incGlobex}},
		{"company may not close another's", "acme", "POST", "/v1/incidents/" + incGlobex + "/close", "", 404, nil},
		{"exchange may not close", "binance", "POST", "/v1/incidents/" + incAcme + "/close", "", 403, nil},
		{"investigator may not close", "investigator", "POST", "/v1/incidents/" + incAcme + "/close", "", 403, nil},
		{"no key may not read incidents", "", "GET", "/v1/incidents", "", 401, nil},
		// alerts
		{"admin reads all alerts", "admin", "GET", "/v1/alerts?since=0", "", 200, []string{w.alertTx["acme"], w.alertTx["globex"], w.alertTx["binance"], w.alertTx["kraken"], w.alertTx[""]}},
		{"company reads its alerts", "acme", "GET", "/v1/alerts", "", 200, []string{w.alertTx["acme"]}},
		{"exchange reads its alerts", "kraken", "GET", "/v1/alerts?limit=10", "", 200, []string{w.alertTx["kraken"]}},
		{"investigator reads all alerts", "investigator", "GET", "/v1/alerts", "", 200, []string{w.alertTx["acme"], w.alertTx["globex"], w.alertTx["binance"], w.alertTx["kraken"], w.alertTx[""]}},
		{"no key may not read alerts", "", "GET", "/v1/alerts", "", 401, nil},
		// trace (no tracer configured: 501 for who may, 403 for who may not)
		{"admin traces", "admin", "GET", "/v1/trace/ethereum/" + theftTx, "", 501, nil},
		{"investigator traces", "investigator", "GET", "/v1/trace/ethereum/" + theftTx, "", 501, nil},
		{"company may not trace", "acme", "GET", "/v1/trace/ethereum/" + theftTx, "", 403, nil},
		{"exchange may not trace", "binance", "GET", "/v1/trace/ethereum/" + theftTx, "", 403, nil},
		// keys
		{"admin lists keys", "admin", "GET", "/v1/keys", "", 200, nil},
		{"company may not list keys", "acme", "GET", "/v1/keys", "", 403, nil},
		{"exchange may not create keys", "binance", "POST", "/v1/keys", `{"role":"admin","tenant":"binance"}`, 403, nil},
		{"investigator may not revoke keys", "investigator", "POST", "/v1/keys/key_x/revoke", "", 403, nil},
		// the last rows change what earlier rows read
		{"company deletes its own", "acme", "DELETE", "/v1/watchlist/ethereum/" + acmeAddr, "", 204, nil},
		{"company closes its own", "acme", "POST", "/v1/incidents/" + incAcme + "/close", "", 200, []string{incAcme}},
		{"closing twice conflicts", "acme", "POST", "/v1/incidents/" + incAcme + "/close", "", 409, nil},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			st, body := w.do(r.method, r.path, w.keys[r.who], r.body)
			if st != r.status {
				t.Fatalf("%s %s as %s: %d %s, want %d", r.method, r.path, r.who, st, body, r.status)
			}
			if st >= 400 {
				errorCode(t, body)
			}
			low := strings.ToLower(body)
			for _, s := range everyone {
				shown := strings.Contains(low, strings.ToLower(s))
				want := contains(r.visible, s)
				echoed := strings.Contains(strings.ToLower(r.path+r.body), strings.ToLower(s))
				if shown && !want && !echoed { // echoing the caller's own input reveals nothing
					t.Errorf("body leaks %s: %s", s, body)
				}
				if !shown && want {
					t.Errorf("body lacks %s: %s", s, body)
				}
			}
		})
	}
}

// The same isolation holds on the websocket: each key receives exactly
// the alerts it may see.
func TestTenantIsolationWebsocket(t *testing.T) {
	w := newIsolation(t)
	var sentinels []uint64 // appended by earlier cases; everyone sees them
	for _, tc := range []struct {
		who  string
		want []string // audiences whose alerts it receives
	}{
		{"admin", []string{"acme", "globex", "binance", "kraken", ""}},
		{"investigator", []string{"acme", "globex", "binance", "kraken", ""}},
		{"acme", []string{"acme"}},
		{"globex", []string{"globex"}},
		{"binance", []string{"binance"}},
		{"kraken", []string{"kraken"}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			c := w.mustDial(w.keys[tc.who], "?since=0")
			got := readAlerts(t, c, len(tc.want)+len(sentinels))
			for i, aud := range tc.want {
				if got[i].Tx != w.alertTx[aud] {
					t.Fatalf("frame %d: tx %s, want the %q alert", i, got[i].Tx, aud)
				}
			}
			if rest := seqs(got[len(tc.want):]); !equalSeqs(rest, sentinels) {
				t.Fatalf("then %v, want the earlier sentinels %v", rest, sentinels)
			}
			// A sentinel everyone sees marks the end: nothing else came
			// before it.
			sentinel := w.appendAlerts(1, "acme", "globex", "binance", "kraken")[0]
			sentinels = append(sentinels, sentinel.Seq)
			if next := readAlerts(t, c, 1)[0]; next.Seq != sentinel.Seq {
				t.Fatalf("after its alerts, got seq %d (tx %s), want the sentinel %d", next.Seq, next.Tx, sentinel.Seq)
			}
		})
	}
	// A company may not filter by another tenant's incident.
	if _, resp, err := w.dial(w.keys["acme"], "?incident="+w.incidents["globex"]); err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("acme filtering by globex's incident: %v %v", err, resp)
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

var _ = time.Second

// An entry an admin vouches for is trusted (it parks taint for every
// incident): the tenant it names may not turn it into its own untrusted
// entry, nor remove it. Its own entries are untrusted.
func TestTenantCannotReplaceVouchedEntry(t *testing.T) {
	w := newIsolation(t)
	st, body := w.do("POST", "/v1/watchlist", w.keys["admin"], `{"chain":"ethereum","address":"`+newAddr+`","kind":"exchange","owner":"binance","label":"Binance 14 (vetted)"}`)
	if st != 201 || strings.Contains(body, `"untrusted"`) {
		t.Fatalf("admin adds for binance: %d %s (want 201, trusted)", st, body)
	}
	st, body = w.do("POST", "/v1/watchlist", w.keys["binance"], `{"chain":"ethereum","address":"`+newAddr+`","kind":"exchange","label":"mine now"}`)
	if code, _ := errorCode(t, body); st != http.StatusConflict || code != "conflict" || !strings.Contains(body, "only an admin") {
		t.Fatalf("binance replaces the vouched entry: %d %s, want 409 conflict", st, body)
	}
	if st, body = w.do("DELETE", "/v1/watchlist/ethereum/"+newAddr, w.keys["binance"], ""); st != http.StatusConflict {
		t.Fatalf("binance removes the vouched entry: %d %s, want 409", st, body)
	}
	st, body = w.do("GET", "/v1/watchlist?owner=binance", w.keys["admin"], "")
	if st != 200 || !strings.Contains(body, "Binance 14 (vetted)") || strings.Contains(body, "mine now") {
		t.Fatalf("after the refusals: %d %s", st, body)
	}
	if !strings.Contains(grepLines(strings.ReplaceAll(body, "},{", "}\n{"), "binance wallet"), `"untrusted":true`) {
		t.Fatalf("binance's own entry is not marked untrusted: %s", body)
	}
	if st, body = w.do("DELETE", "/v1/watchlist/ethereum/"+newAddr+"?owner=binance", w.keys["admin"], ""); st != http.StatusNoContent {
		t.Fatalf("admin removes it: %d %s", st, body)
	}
}

// A mixer or bridge entry names its protocol; an unknown one, or one for
// another kind, is refused naming the field and the known protocols.
func TestWatchlistProtocol(t *testing.T) {
	w := newIsolation(t)
	for _, c := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"chain":"ethereum","address":"` + newAddr + `","kind":"mixer","protocol":"tornado","label":"Tornado 100 ETH"}`, 201, `"protocol":"tornado"`},
		{`{"chain":"ethereum","address":"` + newAddr + `","kind":"bridge","protocol":"thorchain"}`, 201, `"protocol":"thorchain"`},
		{`{"chain":"ethereum","address":"` + newAddr + `","kind":"bridge","protocol":"tornado"}`, 400, `protocol \"tornado\" is for mixer entries`},
		{`{"chain":"ethereum","address":"` + newAddr + `","kind":"mixer","protocol":"railgun"}`, 400, `unknown protocol \"railgun\" (want one of tornado, thorchain, lifi`},
	} {
		st, body := w.do("POST", "/v1/watchlist", w.keys["admin"], c.body)
		if st != c.status || !strings.Contains(body, c.want) {
			t.Errorf("POST %s: %d %s; want %d with %s", c.body, st, body, c.status, c.want)
		}
		if st == 400 {
			if _, field := errorCode(t, body); field != "protocol" {
				t.Errorf("POST %s: error field %q, want protocol", c.body, field)
			}
		}
	}
}
