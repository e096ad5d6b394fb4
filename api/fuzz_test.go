package api_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/alerts/deliver"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/internal/egress"
)

// jsonRoutes are the endpoints that read a JSON body, each tried with an
// admin key and with a tenant key of a role that may use it.
var jsonRoutes = []struct {
	method, path string
	role         apikey.Role
}{
	{"POST", "/v1/watchlist", apikey.RoleAdmin},
	{"POST", "/v1/watchlist", apikey.RoleExchange},
	{"POST", "/v1/incidents", apikey.RoleAdmin},
	{"POST", "/v1/incidents", apikey.RoleCompany},
	{"POST", "/v1/keys", apikey.RoleAdmin},
	{"PUT", "/v1/webhook", apikey.RoleAdmin},
	{"PUT", "/v1/webhook", apikey.RoleCompany},
}

// fuzzEnv is one server over a real store for a whole fuzz run, with the
// request rate unlimited and webhooks configured, called in process
// through its handler.
type fuzzEnv struct {
	*env
	h    http.Handler
	keys map[apikey.Role]string
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	cfg := api.Config{Rate: 1e9, Burst: 1e9, Logger: slog.New(slog.DiscardHandler)}
	e := newEnv(f, f.TempDir(), cfg, func(d *api.Deps) {
		d.Webhooks = deliver.NewWebhooks(d.Keys.(alerts.WebhookStore), egress.Policy{})
	})
	fe := &fuzzEnv{env: e, h: e.srv.Handler(), keys: map[apikey.Role]string{}}
	for _, r := range []apikey.Role{apikey.RoleAdmin, apikey.RoleCompany, apikey.RoleExchange, apikey.RoleInvestigator} {
		fe.keys[r] = e.key(r, "t"+string(r))
	}
	return fe
}

// serve sends one request to path with the raw query, in process.
func (fe *fuzzEnv) serve(method, path, rawQuery string, role apikey.Role, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://chainhound.test"+path, bytes.NewReader(body))
	req.URL.RawQuery = rawQuery // set, not parsed from a request line: any bytes
	req.Header.Set("Authorization", "Bearer "+fe.keys[role])
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	fe.h.ServeHTTP(rec, req)
	return rec
}

// checkErrorShape fails unless a non-2xx answer is one error in the
// contract's shape.
func checkErrorShape(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code < 300 {
		return
	}
	var v struct {
		Error *api.Error `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.Error == nil || v.Error.Code == "" || v.Error.Message == "" {
		t.Fatalf("%s: %d with a body not in the error shape: %q", what, rec.Code, rec.Body.String())
	}
}

// FuzzJSONBodies sends arbitrary bodies to every endpoint that reads JSON
// (watchlist entries, incidents, keys, webhooks) through the real
// handlers over a real store: never a panic, never a 5xx, and every
// refusal one error in the contract's shape.
func FuzzJSONBodies(f *testing.F) {
	for i, b := range []string{
		`{"chain":"ethereum","address":"0x1111111111111111111111111111111111111111","kind":"exchange","label":"Hot 1"}`,
		`{"chain":"bitcoin","address":"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq","kind":"treasury","owner":"acme"}`,
		`{"chain":"ethereum","address":"0x2222222222222222222222222222222222222222","kind":"mixer","protocol":"tornado"}`,
		`{"title":"hack","chain":"ethereum","seeds":[{"tx":"0x` + "ab" + `"}],"policy":"haircut","dust":"1","max_hops":64,"min_share":0.5,"confidence_floor":0.25}`,
		`{"title":"drain","chain":"ethereum","seeds":[{"address":"0x1111111111111111111111111111111111111111","from_block":1}]}`,
		`{"role":"company","tenant":"acme"}`,
		`{"url":"https://example.com/hook","secret":"0123456789abcdef0123","all":true}`,
		`{"chain":null,"address":1e400}`,
		`[]`, `{}`, `{"a":`, `{"max_hops":-1}`, `{"seeds":[{}]}`,
	} {
		f.Add(uint8(i), []byte(b))
	}
	fe := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := jsonRoutes[int(route)%len(jsonRoutes)]
		rec := fe.serve(r.method, r.path, "", r.role, body)
		what := r.method + " " + r.path + " as " + string(r.role)
		if rec.Code >= 500 {
			t.Fatalf("%s with %q: %d %s", what, body, rec.Code, rec.Body.String())
		}
		checkErrorShape(t, what, rec)
	})
}

// FuzzWSQuery sends arbitrary query strings to the websocket endpoint
// and the alert list, which parse the same filters: never a panic or a
// 5xx; the websocket (asked without an upgrade) always answers 400 in the
// error shape, naming a bad parameter or, for good ones, the missing
// upgrade; and whatever ParseFilter accepts matches an alert without
// panicking.
func FuzzWSQuery(f *testing.F) {
	for _, q := range []string{
		"since=0", "since=3&type=taint.exchange_deposit", "type=taint.bridge,treasury.drain&chain=ethereum",
		"chain=bitcoin,ethereum&min_severity=high", "incident=inc_01JM", "owner=acme&label=Hot%201",
		"since=18446744073709551615", "since=-1", "since=1e3", "type=", "chain=solana", "min_severity=urgent",
		"bogus=1", "label=" + string(bytes.Repeat([]byte("x"), 201)), "%zz", "since=1&since=2", "limit=5",
	} {
		f.Add(q)
	}
	fe := newFuzzEnv(f)
	fe.appendAlerts(3, "tcompany")
	sample := testAlert("tcompany")
	f.Fuzz(func(t *testing.T, query string) {
		if len(query) > 4096 {
			return
		}
		for _, role := range []apikey.Role{apikey.RoleAdmin, apikey.RoleCompany} {
			ws := fe.serve("GET", "/v1/alerts/ws", query, role, nil)
			if ws.Code != http.StatusBadRequest {
				t.Fatalf("ws ?%s as %s: %d %s, want 400", query, role, ws.Code, ws.Body.String())
			}
			checkErrorShape(t, "ws ?"+query, ws)
			list := fe.serve("GET", "/v1/alerts", query, role, nil)
			if list.Code != http.StatusOK && list.Code != http.StatusBadRequest {
				t.Fatalf("list ?%s as %s: %d %s", query, role, list.Code, list.Body.String())
			}
			checkErrorShape(t, "list ?"+query, list)
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		if flt, e := api.ParseFilter(q, "since"); e == nil {
			flt.Match(&sample)
			_ = flt.String()
		} else if e.Field == "" || e.Code != api.CodeInvalidFilter {
			t.Fatalf("ParseFilter(%q): %+v: want invalid_filter naming the parameter", query, e)
		}
	})
}
