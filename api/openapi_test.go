package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/alerts/deliver"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/docs"
	"github.com/chainhound/chainhound/internal/egress"
	"github.com/chainhound/chainhound/notify"
	"github.com/chainhound/chainhound/notify/sender"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gorilla/websocket"
	"gopkg.in/yaml.v3"
)

// loadOpenAPI parses and validates docs/openapi.json as OpenAPI 3.1.
func loadOpenAPI(t *testing.T, data []byte) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("docs/openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("docs/openapi.json: openapi %q, want 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("docs/openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// docOperations lists the document's operations as "METHOD /path".
func docOperations(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// The router and the document list the same operations: a route added to
// server.go without its document (or the reverse) fails here.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t, docs.OpenAPI)
	e := newEnv(t, t.TempDir(), api.Config{})
	routes := e.srv.Routes()
	if len(routes) < 18 {
		t.Fatalf("the router lists %d routes: %q", len(routes), routes)
	}
	sort.Strings(routes)
	ops := docOperations(doc)
	if !slices.Equal(routes, ops) {
		for _, r := range routes {
			if !slices.Contains(ops, r) {
				t.Errorf("route %s is in the router, not in docs/openapi.json", r)
			}
		}
		for _, o := range ops {
			if !slices.Contains(routes, o) {
				t.Errorf("operation %s is in docs/openapi.json, not in the router", o)
			}
		}
	}
	if slices.Equal(routes, docOperations(withRoute(t, "GET /v1/extra"))) {
		t.Error("the comparison does not notice an operation the router lacks")
	}
}

// withRoute is the document with one more operation, to prove the
// comparison sees it.
func withRoute(t *testing.T, op string) *openapi3.T {
	doc := loadOpenAPI(t, docs.OpenAPI)
	method, path, _ := strings.Cut(op, " ")
	item := &openapi3.PathItem{}
	item.SetOperation(method, &openapi3.Operation{Responses: openapi3.NewResponses()})
	doc.Paths.Set(path, item)
	return doc
}

// conformance drives the real router and checks each request and
// response against the document.
type conformance struct {
	t      *testing.T
	e      *env
	doc    *openapi3.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string][]int // "METHOD /path" of the document → statuses answered
}

func init() {
	// /v1/trace?format=dot answers Graphviz text.
	openapi3filter.RegisterBodyDecoder("text/vnd.graphviz", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/javascript", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/css", openapi3filter.FileBodyDecoder)
}

func newConformance(t *testing.T, e *env) *conformance {
	doc := loadOpenAPI(t, docs.OpenAPI)
	doc.Servers = openapi3.Servers{{URL: e.ts.URL}}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &conformance{t: t, e: e, doc: doc, router: r, seen: map[string][]int{}}
}

var bearerAuth = func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Bearer ") {
		return fmt.Errorf("no bearer key")
	}
	return nil
}

// call sends method path with key and body, and checks that the answer
// has status want and that both fit the document. A request the test
// sends to be refused (want ≥ 400) is not itself validated.
func (c *conformance) call(method, path, key, body string, want int) string {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.e.ts.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	in := c.requestInput(req, []byte(body), want < 400)
	if in == nil {
		return ""
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, got)
	}
	c.checkResponse(in, resp.StatusCode, resp.Header, got)
	return string(got)
}

// requestInput finds the document's operation for req and, when valid is
// set, validates req against it.
func (c *conformance) requestInput(req *http.Request, body []byte, valid bool) *openapi3filter.RequestValidationInput {
	c.t.Helper()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Errorf("%s %s: not in docs/openapi.json: %v", req.Method, req.URL.Path, err)
		return nil
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearerAuth},
	}
	if valid {
		// ValidateRequest reads the body: give it a copy.
		vreq := req.Clone(req.Context())
		vreq.Body = io.NopCloser(bytes.NewReader(body))
		vin := *in
		vin.Request = vreq
		if err := openapi3filter.ValidateRequest(context.Background(), &vin); err != nil {
			c.t.Errorf("%s %s: the request does not fit docs/openapi.json: %v", req.Method, req.URL, err)
		}
	}
	return in
}

func (c *conformance) checkResponse(in *openapi3filter.RequestValidationInput, status int, h http.Header, body []byte) {
	c.t.Helper()
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: h,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("%s %s → %d: the response does not fit docs/openapi.json: %v\n%s",
			in.Request.Method, in.Request.URL, status, err, body)
	}
	op := in.Route.Method + " " + in.Route.Path
	c.mu.Lock()
	c.seen[op] = append(c.seen[op], status)
	c.mu.Unlock()
}

// recordedChain is a short Ethereum chain held in memory: the block
// source, transaction locator and balances of a node for the real tracer.
type recordedChain struct{ blocks []*chains.Block }

func (c *recordedChain) BlockByNumber(_ context.Context, n uint64) (*chains.Block, error) {
	if n >= uint64(len(c.blocks)) {
		return nil, fmt.Errorf("no block %d", n)
	}
	return c.blocks[n], nil
}

func (c *recordedChain) HeadNumber(context.Context) (uint64, error) {
	return uint64(len(c.blocks) - 1), nil
}

func (c *recordedChain) TxBlock(_ context.Context, h string) (chains.BlockRef, error) {
	for _, b := range c.blocks {
		for _, tx := range b.Txs {
			if tx.Hash == h {
				return b.Ref, nil
			}
		}
	}
	return chains.BlockRef{}, &chains.TxNotFoundError{Chain: chains.Ethereum, Tx: h}
}

func (c *recordedChain) BalanceAt(context.Context, string, chains.Asset, uint64) (*big.Int, error) {
	return big.NewInt(0), nil
}

func addr(n int) string { return fmt.Sprintf("0x%040x", 0xa000+n) }
func txh(n int) string  { return fmt.Sprintf("0x%064x", 0xf000+n) }

// theftChain: block 1 moves 50 ETH from the victim to the thief, block 2
// 20 ETH from the thief to an exchange deposit address.
func theftChain() *recordedChain {
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	c := &recordedChain{}
	for n := uint64(0); n < 4; n++ {
		b := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: n, Hash: fmt.Sprintf("0x%064x", n), Time: time.Unix(1_700_000_000+int64(n)*12, 0).UTC()}}
		if n > 0 {
			b.Ref.Parent = fmt.Sprintf("0x%064x", n-1)
		}
		move := func(tx int, from, to string, amt *big.Int) {
			b.Txs = append(b.Txs, chains.Tx{Hash: txh(tx), From: from, Transfers: []chains.Transfer{{
				Kind: chains.Native, LogIndex: -1, From: from, To: to, Asset: chains.ETH, Amount: amt}}})
		}
		switch n {
		case 1:
			move(1, addr(1), addr(2), eth(50))
		case 2:
			move(2, addr(2), addr(3), eth(20))
		}
		c.blocks = append(c.blocks, b)
	}
	return c
}

// chainTracer is the daemon's /v1/trace over one chain: the real
// tracer.TraceTx with the registry's labels.
type chainTracer struct {
	chain *recordedChain
	reg   *watchlists.Registry
}

func (ct chainTracer) Trace(ctx context.Context, req api.TraceRequest) (*tracer.FlowGraph, error) {
	g, err := tracer.TraceTx(ctx, tracer.TraceRequest{Chain: req.Chain, Tx: req.Tx, Hops: req.Hops, Policy: req.Policy, Blocks: req.Blocks},
		tracer.TraceDeps{Source: ct.chain, Locator: ct.chain, Balances: ct.chain, Labels: ct.reg})
	if errors.Is(err, tracer.ErrTxNotFound) { // as internal/daemon's adapter answers it
		return nil, api.Errorf(api.CodeNotFound, "tx", "%s transaction %s is not in a block the node knows", req.Chain, req.Tx)
	}
	return g, err
}

// Every route of the real router, driven over HTTP with each role, its
// successes and its refusals: every request the test means to be valid
// fits the document, every answer fits the document (status, headers,
// body), and every operation of the document is answered with success
// at least once.
func TestOpenAPIConformance(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	chain := theftChain()
	e := newEnv(t, t.TempDir(), api.Config{Networks: map[chains.Chain]string{chains.Ethereum: "mainnet"}}, func(d *api.Deps) {
		d.Webhooks = deliver.NewWebhooks(d.Keys.(alerts.WebhookStore), egress.Policy{})
		d.Channels = sender.New(d.Keys.(notify.Store), sender.Options{Egress: egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
		d.Health = api.HealthFunc(func() map[chains.Chain]chains.Status {
			st := chains.Status{Network: "mainnet", Head: 100, Processed: 100, LastBlockTime: time.Now(), Connected: healthy.Load()}
			return map[chains.Chain]chains.Status{chains.Ethereum: st, chains.Bitcoin: {Network: "mainnet", Connected: true}}
		})
		d.Tracer = chainTracer{chain: chain, reg: d.Watchlist.(*watchlists.Registry)}
		d.Screener = screening.New(screening.Config{}, d.Watchlist.(*watchlists.Registry), nil, nil)
		d.Summaries = api.SummaryFunc(func(id string) (tracer.IncidentSummary, bool) {
			return tracer.IncidentSummary{
				ID: id, Chain: chains.Ethereum, Policy: watchlists.Haircut,
				Stolen:   map[string]*big.Int{"": big.NewInt(50)},
				Tainted:  map[string]*big.Int{"": big.NewInt(30)},
				Holders:  []tracer.Holder{{Chain: chains.Ethereum, Address: addr(2), Tainted: big.NewInt(30), Hops: 1}},
				Services: []tracer.Destination{{Chain: chains.Ethereum, Address: addr(3), Tainted: big.NewInt(20)}},
				CatchUp:  tracer.CatchUpProgress{Done: true, Start: 1, Current: 3, Target: 3},
				Tracking: tracer.Tracking{State: tracer.Live, At: 3},
			}, true
		})
	})
	c := newConformance(t, e)
	admin, company := e.key(apikey.RoleAdmin, "ops"), e.key(apikey.RoleCompany, "acme")
	exchange, investigator := e.key(apikey.RoleExchange, "binance"), e.key(apikey.RoleInvestigator, "ivy")

	// No key.
	c.call("GET", "/healthz", "", "", 200)
	c.call("GET", "/metrics", "", "", 200)
	page := c.call("GET", "/", "", "", 200)
	if js := regexp.MustCompile(`assets/main-[A-Z0-9]+\.js`).FindString(page); js == "" {
		t.Errorf("GET / names no script:\n%s", page)
	} else {
		c.call("GET", "/"+js, "", "", 200)
	}
	c.call("GET", "/assets/main-NOSUCH.js", "", "", 404)
	if got := c.call("GET", "/v1/openapi.json", "", "", 200); got != string(docs.OpenAPI) {
		t.Error("GET /v1/openapi.json is not docs/openapi.json")
	}
	c.call("GET", "/v1/alerts", "", "", 401)
	c.call("GET", "/v1/alerts", "chk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", 401)

	// Watchlist.
	c.call("POST", "/v1/watchlist", admin, fmt.Sprintf(`{"chain":"ethereum","address":%q,"kind":"exchange","label":"Hot 1","owner":"binance"}`, addr(3)), 201)
	c.call("POST", "/v1/watchlist", company, fmt.Sprintf(`{"chain":"ethereum","address":%q,"kind":"treasury","label":"cold wallet","note":"n","source":"file.csv"}`, addr(1)), 201)
	c.call("POST", "/v1/watchlist", exchange, fmt.Sprintf(`{"chain":"ethereum","address":%q,"kind":"exchange","label":"deposit 2"}`, addr(4)), 201)
	c.call("POST", "/v1/watchlist", admin, `{"chain":"ethereum","address":"0x12","kind":"exchange"}`, 400)
	c.call("POST", "/v1/watchlist", admin, `{"chain":"ethereum","address":`, 400)
	c.call("POST", "/v1/watchlist", investigator, fmt.Sprintf(`{"chain":"ethereum","address":%q,"kind":"exchange"}`, addr(5)), 403)
	c.call("GET", "/v1/watchlist", admin, "", 200)
	c.call("GET", "/v1/watchlist?chain=ethereum&kind=exchange&owner=binance", exchange, "", 200)
	c.call("GET", "/v1/watchlist?kind=nope", admin, "", 400)
	c.call("GET", "/v1/watchlist", investigator, "", 403)

	// Incidents.
	open := fmt.Sprintf(`{"title":"cold wallet drained","chain":"ethereum","seeds":[{"tx":%q}],"policy":"haircut","dust":"1000","max_hops":6,"confidence_floor":0.5}`, txh(1))
	var inc struct{ ID string }
	if err := json.Unmarshal([]byte(c.call("POST", "/v1/incidents", company, open, 201)), &inc); err != nil || inc.ID == "" {
		t.Fatalf("open incident: %v", err)
	}
	if body := c.call("POST", "/v1/incidents", company, open, 201); !strings.Contains(body, `"warnings"`) {
		t.Errorf("a second incident over the same seed has no warnings: %s", body)
	}
	c.call("POST", "/v1/incidents", admin, fmt.Sprintf(`{"chain":"ethereum","seeds":[{"address":%q,"from_block":1}],"owner":"acme"}`, addr(1)), 201)
	c.call("POST", "/v1/incidents", company, `{"chain":"ethereum","seeds":[]}`, 400)
	c.call("POST", "/v1/incidents", exchange, open, 403)
	c.call("GET", "/v1/incidents", company, "", 200)
	c.call("GET", "/v1/incidents", investigator, "", 200)
	if body := c.call("GET", "/v1/incidents/"+inc.ID, company, "", 200); !strings.Contains(body, `"tracking"`) || !strings.Contains(body, `"summary"`) {
		t.Errorf("an incident without its summary and tracking: %s", body)
	}
	c.call("GET", "/v1/incidents/inc_nope", company, "", 404)
	c.call("POST", "/v1/incidents/"+inc.ID+"/close", company, "", 200)
	c.call("POST", "/v1/incidents/"+inc.ID+"/close", company, "", 409)
	c.call("POST", "/v1/incidents/"+inc.ID+"/close", investigator, "", 403)

	// Alerts: every shape the log holds.
	as := []alerts.Alert{testAlert("binance"), testAlert("binance")}
	dep := testAlert("acme")
	dep.Type, dep.Severity = alerts.TypeMixerWithdrawal, alerts.High
	dep.Heuristics, dep.Provisional, dep.Confidence = []string{"unique-denomination"}, true, 0.6
	dep.Path = []alerts.Hop{{Chain: "ethereum", Tx: txh(1), From: addr(1), To: addr(2), Amount: "50", Via: &alerts.Via{Kind: "mixer", Protocol: "tornado", Label: "Tornado 100 ETH"}, Confidence: 0.6}}
	as = append(as, dep)
	stored, err := e.log.Append(context.Background(), as)
	if err != nil {
		t.Fatal(err)
	}
	retract := testAlert("binance")
	retract.Type, retract.Severity, retract.Retracts = alerts.TypeRetracted, alerts.Info, &stored[0].Seq
	bridge := testAlert("binance")
	bridge.Type, bridge.Dest, bridge.Incidents = alerts.TypeBridge, &alerts.Dest{Chain: "bitcoin", Address: "bc1q", Asset: "BTC.BTC"}, []string{"inc_a", "inc_b"}
	if _, err := e.log.Append(context.Background(), []alerts.Alert{retract, bridge}); err != nil {
		t.Fatal(err)
	}
	c.call("GET", "/v1/alerts", admin, "", 200)
	c.call("GET", "/v1/alerts?since=1&limit=2&type=taint.exchange_deposit,alert.retracted&chain=ethereum&min_severity=info&owner=binance&label=Hot+1&incident=inc_TEST", exchange, "", 200)
	c.call("GET", "/v1/alerts?since=999", admin, "", 400)
	c.call("GET", "/v1/alerts?type=taint.nope", admin, "", 400)

	// Triage: the answers, the triaged alerts in the page and the websocket.
	seq := strconv.FormatUint(stored[0].Seq, 10)
	c.call("PATCH", "/v1/alerts/"+seq, exchange, `{"status":"acknowledged","assignee":"ana"}`, 200)
	c.call("PATCH", "/v1/alerts/"+seq, exchange, `{"status":"shrug"}`, 400)
	c.call("PATCH", "/v1/alerts/"+seq, company, `{"status":"resolved"}`, 404)
	c.call("POST", "/v1/alerts/"+seq+"/comments", exchange, `{"text":"frozen"}`, 201)
	c.call("POST", "/v1/alerts/"+seq+"/comments", exchange, `{"text":""}`, 400)
	c.call("GET", "/v1/alerts?status=acknowledged,new", exchange, "", 200)
	// An exchange reads the incident its alert cites (inc_TEST is not one).
	c.call("GET", "/v1/incidents/inc_TEST", exchange, "", 404)
	citing := testAlert("binance", "acme")
	citing.Incident, citing.Hops = inc.ID, 1
	citing.Path = []alerts.Hop{{Chain: "ethereum", Tx: txh(1), From: addr(1), To: addr(3), Amount: "50"}}
	if _, err := e.log.Append(context.Background(), []alerts.Alert{citing}); err != nil {
		t.Fatal(err)
	}
	if body := c.call("GET", "/v1/incidents/"+inc.ID, exchange, "", 200); !strings.Contains(body, `"alerts"`) || strings.Contains(body, `"summary"`) {
		t.Errorf("an exchange's view of a cited incident: %s", body)
	}

	// The websocket: refusals before the upgrade, then frames that are alerts.
	c.call("GET", "/v1/alerts/ws", admin, "", 400) // not an upgrade
	c.call("GET", "/v1/alerts/ws?since=999", admin, "", 400)
	c.websocket(admin, "?since=0&min_severity=info", 5)

	// Trace, with the real tracer over the recorded chain.
	if body := c.call("GET", "/v1/trace/ethereum/"+txh(1)+"?hops=6&policy=poison&blocks=10", investigator, "", 200); !strings.Contains(body, "Hot 1") {
		t.Errorf("the trace does not reach the labelled exchange: %s", body)
	}
	c.call("GET", "/v1/trace/ethereum/"+txh(1)+"?format=dot", admin, "", 200)
	c.call("GET", "/v1/trace/ethereum/"+txh(9), admin, "", 404)
	c.call("GET", "/v1/trace/ethereum/0x12", admin, "", 400)
	c.call("GET", "/v1/trace/ethereum/"+txh(1), company, "", 403)

	// Screening (labels only: no index here).
	c.call("POST", "/v1/watchlist", admin, fmt.Sprintf(`{"chain":"ethereum","address":%q,"kind":"sanctioned","label":"OFAC SDN"}`, addr(6)), 201)
	if body := c.call("GET", "/v1/screen/ethereum/"+addr(6), company, "", 200); !strings.Contains(body, `"risk":"severe"`) {
		t.Errorf("a sanctioned address screens %s", body)
	}
	c.call("GET", "/v1/screen/ethereum/0x12", company, "", 400)
	if body := c.call("POST", "/v1/screen", exchange, fmt.Sprintf(`{"chain":"ethereum","addresses":[%q,%q]}`, addr(7), addr(6)), 200); !strings.Contains(body, `"risk":"none"`) {
		t.Errorf("batch: %s", body)
	}
	c.call("POST", "/v1/screen", exchange, `{"chain":"ethereum","addresses":[]}`, 400)

	// Keys.
	var nk struct{ ID string }
	if err := json.Unmarshal([]byte(c.call("POST", "/v1/keys", admin, `{"role":"exchange","tenant":"kraken"}`, 201)), &nk); err != nil {
		t.Fatal(err)
	}
	c.call("POST", "/v1/keys", admin, `{"role":"king","tenant":"kraken"}`, 400)
	c.call("POST", "/v1/keys", company, `{"role":"admin","tenant":"acme"}`, 403)
	c.call("GET", "/v1/keys", admin, "", 200)
	c.call("POST", "/v1/keys/"+nk.ID+"/revoke", admin, "", 200)
	c.call("GET", "/v1/keys", admin, "", 200) // now with a revoked key
	c.call("POST", "/v1/keys/key_nope/revoke", admin, "", 404)

	// Webhooks.
	secret := strings.Repeat("s", deliver.MinSecretLen)
	c.call("PUT", "/v1/webhook", exchange, `{"url":"https://hooks.binance.example/chainhound","secret":"`+secret+`"}`, 200)
	c.call("PUT", "/v1/webhook?tenant=acme", admin, `{"url":"https://hooks.acme.example/","secret":"`+secret+`","all":true}`, 200)
	c.call("PUT", "/v1/webhook", exchange, `{"url":"ftp://x","secret":"`+secret+`"}`, 400)
	c.call("GET", "/v1/webhook", exchange, "", 200)
	c.call("GET", "/v1/webhook?tenant=acme", exchange, "", 403)
	c.call("DELETE", "/v1/webhook", exchange, "", 204)
	c.call("GET", "/v1/webhook", exchange, "", 404)

	// Channels: a local receiver stands in for Slack.
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer slack.Close()
	var ch struct{ ID string }
	if err := json.Unmarshal([]byte(c.call("PUT", "/v1/channels", exchange, `{"type":"slack","target":"`+slack.URL+`/services/T/B/x","filter":{"types":["taint.exchange_deposit"],"min_severity":"high","chains":["ethereum"]}}`, 201)), &ch); err != nil || ch.ID == "" {
		t.Fatalf("add channel: %v", err)
	}
	c.call("PUT", "/v1/channels/desk-mail", company, `{"type":"email","target":"desk@acme.example","smtp":{"server":"smtp.acme.example:587","username":"u","password":"p","from":"hound@acme.example"}}`, 200)
	c.call("PUT", "/v1/channels/down?tenant=acme", admin, `{"type":"discord","target":"`+slack.URL+`/down"}`, 200)
	c.call("PUT", "/v1/channels", exchange, `{"type":"irc","target":"x"}`, 400)
	c.call("PUT", "/v1/channels/Bad%20Id", exchange, `{"type":"slack","target":"https://hooks.slack.com/x"}`, 400)
	c.call("PUT", "/v1/channels", exchange, `{"type":"slack","target":"https://hooks.slack.com/x","all":true}`, 403)
	c.call("GET", "/v1/channels", exchange, "", 200)
	c.call("GET", "/v1/channels?tenant=acme", admin, "", 200)
	c.call("GET", "/v1/channels?tenant=acme", exchange, "", 403)
	c.call("GET", "/v1/channels/"+ch.ID, exchange, "", 200)
	c.call("GET", "/v1/channels/"+ch.ID, company, "", 404) // another tenant's
	c.call("POST", "/v1/channels/"+ch.ID+"/test", exchange, "", 200)
	c.call("POST", "/v1/channels/down/test", company, "", 502)
	c.call("POST", "/v1/channels/nope/test", exchange, "", 404)
	c.call("DELETE", "/v1/channels/"+ch.ID, company, "", 404)
	c.call("DELETE", "/v1/channels/"+ch.ID, exchange, "", 204)
	c.call("GET", "/v1/channels/"+ch.ID, exchange, "", 404)

	// Removing entries.
	c.call("DELETE", "/v1/watchlist/ethereum/"+addr(1), company, "", 204)
	c.call("DELETE", "/v1/watchlist/ethereum/"+addr(1), company, "", 404)
	c.call("DELETE", "/v1/watchlist/ethereum/"+addr(3)+"?owner=binance&kind=exchange", admin, "", 204)
	c.call("DELETE", "/v1/watchlist/ethereum/0x12", admin, "", 400)

	// Degraded health.
	healthy.Store(false)
	c.call("GET", "/healthz", "", "", 503)

	// Every operation of the document answered with success.
	for _, op := range docOperations(c.doc) {
		ok := slices.ContainsFunc(c.seen[op], func(s int) bool { return s < 300 })
		if !ok {
			t.Errorf("%s: no successful call in this test (statuses %v)", op, c.seen[op])
		}
	}
}

// websocket opens /v1/alerts/ws with query, checks the handshake against
// the document and each of the first n frames against the Alert schema.
func (c *conformance) websocket(key, query string, n int) {
	c.t.Helper()
	u := strings.Replace(c.e.ts.URL, "http://", "ws://", 1) + "/v1/alerts/ws" + query
	req, _ := http.NewRequest("GET", c.e.ts.URL+"/v1/alerts/ws"+query, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	in := c.requestInput(req, nil, true)
	if in == nil {
		return
	}
	conn, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + key}})
	if err != nil {
		c.t.Fatalf("websocket: %v", err)
	}
	defer conn.Close()
	c.checkResponse(in, resp.StatusCode, resp.Header, nil)
	schema := c.doc.Components.Schemas["Alert"].Value
	for i := 0; i < n; i++ {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, msg, err := conn.ReadMessage()
		if err != nil {
			c.t.Fatalf("websocket frame %d: %v", i, err)
		}
		var v any
		if err := json.Unmarshal(msg, &v); err != nil {
			c.t.Fatalf("websocket frame %d is not JSON: %v", i, err)
		}
		if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			c.t.Errorf("websocket frame %d does not fit the Alert schema: %v\n%s", i, err, msg)
		}
	}
}

// The AsyncAPI document names the router's websocket route, the query
// parameters the OpenAPI document gives it, and an alert payload that is
// the OpenAPI document's Alert.
func TestAsyncAPIMatchesTheRouter(t *testing.T) {
	var doc struct {
		AsyncAPI string `yaml:"asyncapi"`
		Channels map[string]struct {
			Address  string `yaml:"address"`
			Bindings struct {
				WS struct {
					Method string `yaml:"method"`
					Query  struct {
						Properties map[string]any `yaml:"properties"`
					} `yaml:"query"`
				} `yaml:"ws"`
			} `yaml:"bindings"`
		} `yaml:"channels"`
		Components struct {
			Messages map[string]struct {
				Payload struct {
					SchemaFormat string            `yaml:"schemaFormat"`
					Schema       map[string]string `yaml:"schema"`
				} `yaml:"payload"`
				Examples []struct {
					Payload any `yaml:"payload"`
				} `yaml:"examples"`
			} `yaml:"messages"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(docs.AsyncAPI, &doc); err != nil {
		t.Fatalf("docs/asyncapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.AsyncAPI, "3.") || len(doc.Channels) != 1 {
		t.Fatalf("docs/asyncapi.yaml: asyncapi %q, %d channels", doc.AsyncAPI, len(doc.Channels))
	}
	oa := loadOpenAPI(t, docs.OpenAPI)
	e := newEnv(t, t.TempDir(), api.Config{})
	for name, ch := range doc.Channels {
		route := ch.Bindings.WS.Method + " " + ch.Address
		if !slices.Contains(e.srv.Routes(), route) {
			t.Errorf("channel %s: %s is not a route of the router", name, route)
		}
		var want []string
		for _, p := range oa.Paths.Find(ch.Address).Get.Parameters {
			want = append(want, p.Value.Name)
		}
		var got []string
		for p := range ch.Bindings.WS.Query.Properties {
			got = append(got, p)
		}
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("channel %s: query %q, the OpenAPI document's %q", name, got, want)
		}
	}
	payloads := map[string]string{"alert": "Alert", "triage": "TriageEvent"}
	for name, m := range doc.Components.Messages {
		ref := m.Payload.Schema["$ref"]
		if ref != "./openapi.json#/components/schemas/"+payloads[name] {
			t.Errorf("message %s: payload %q, want the OpenAPI document's %s", name, ref, payloads[name])
			continue
		}
		schema := oa.Components.Schemas[payloads[name]].Value
		for i, ex := range m.Examples {
			b, _ := json.Marshal(ex.Payload)
			var v any
			_ = json.Unmarshal(b, &v)
			if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
				t.Errorf("message %s example %d does not fit the Alert schema: %v", name, i, err)
			}
		}
	}
}

// The validator refuses what the document does not say: an undocumented
// status and a body field the schema does not have.
func TestOpenAPIValidatorRefuses(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{})
	c := newConformance(t, e)
	req, _ := http.NewRequest("GET", e.ts.URL+"/v1/keys", nil)
	req.Header.Set("Authorization", "Bearer x")
	in := c.requestInput(req, nil, true)
	for _, bad := range []struct {
		status int
		body   string
	}{
		{418, `{"error":{"code":"internal","message":"x"}}`},
		{200, `{"keys":[{"id":"key_1","role":"admin","tenant":"ops","created":"2026-01-01T00:00:00Z","secret":"x"}]}`},
		{200, `{"keys":[{"id":"key_1","role":"root","tenant":"ops","created":"2026-01-01T00:00:00Z"}]}`},
	} {
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: bad.status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(bad.body)), Options: &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if openapi3filter.ValidateResponse(context.Background(), out) == nil {
			t.Errorf("%d %s: accepted", bad.status, bad.body)
		}
	}
}
