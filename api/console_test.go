package api_test

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
)

// GET / is the console's page with a strict CSP and no caching; its
// assets, named by content hash, are cached for a year; the page names
// no inline script or style and nothing off the server.
func TestConsoleServed(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{})
	resp, err := http.Get(e.ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP %q allows inline or eval", csp)
	}
	for h, want := range map[string]string{"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("GET / %s: %q, want %q", h, got, want)
		}
	}
	if m := regexp.MustCompile(`(?is)<script[^>]*>\s*[^<\s]|<style|\son[a-z]+=|style=|https?://`).FindString(page); m != "" {
		t.Errorf("the page has inline code or an outside reference: %q", m)
	}
	assets := regexp.MustCompile(`(?:src|href)="(assets/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(assets) != 2 {
		t.Fatalf("the page names %d assets, want a script and a stylesheet:\n%s", len(assets), page)
	}
	for _, a := range assets {
		resp, err := http.Get(e.ts.URL + "/" + a[1])
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(t, resp)
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Fatalf("GET /%s: %d, %d bytes", a[1], resp.StatusCode, len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("GET /%s Cache-Control %q, want a year, immutable", a[1], cc)
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET /%s has no CSP", a[1])
		}
	}
	for _, p := range []string{"/assets/nope.js", "/assets/..%2fdist%2findex.html", "/index.html", "/v1/nope"} {
		resp, err := http.Get(e.ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	if code, _ := e.do("POST", "/", "", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", code)
	}
}

// A browser cannot set Authorization on a websocket: it offers the key
// as the subprotocol chainhound.bearer.KEY beside chainhound.v1. The
// server authenticates with it, answers chainhound.v1 (never the key) and
// applies the key's tenancy; a wrong key is a 401 before any upgrade.
func TestWebsocketKeyAsSubprotocol(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{})
	binance := e.key(apikey.RoleExchange, "binance")
	e.appendAlerts(2, "kraken")
	e.appendAlerts(2, "binance")

	dial := func(protocols ...string) (*websocket.Conn, *http.Response, error) {
		d := websocket.Dialer{Subprotocols: protocols}
		h := http.Header{"Origin": {e.ts.URL}}
		return d.Dial(e.wsURL("?since=0"), h)
	}
	c, resp, err := dial(api.WSProtocol, "chainhound.bearer."+binance)
	if err != nil {
		t.Fatalf("dial with the key as a subprotocol: %v (%v)", err, resp)
	}
	defer c.Close()
	if got := c.Subprotocol(); got != api.WSProtocol {
		t.Fatalf("selected subprotocol %q, want %q (never the key)", got, api.WSProtocol)
	}
	if strings.Contains(resp.Header.Get("Sec-WebSocket-Protocol"), binance) {
		t.Fatal("the server echoed the key")
	}
	if got := seqs(readAlerts(t, c, 2)); !equalSeqs(got, []uint64{3, 4}) {
		t.Fatalf("binance's alerts: %v, want [3 4] (kraken's are not its)", got)
	}

	for name, protos := range map[string][]string{
		"no key":    {api.WSProtocol},
		"wrong key": {api.WSProtocol, "chainhound.bearer.chk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		"empty key": {api.WSProtocol, "chainhound.bearer."},
	} {
		_, resp, err := dial(protos...)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			t.Errorf("%s: err %v, status %d; want 401", name, err, status)
		}
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// chromiumTab opens url in headless Chromium (Debian's /usr/bin/chromium;
// skipped without it: cmd/chainhound's browser tests install it).
func chromiumTab(tb testing.TB, url string) context.Context {
	tb.Helper()
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		tb.Skip("no /usr/bin/chromium (the browser tests in cmd/chainhound install it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("#signin-form"))); err != nil {
		tb.Fatalf("chromium: %v", err)
	}
	return ctx
}

// The graph and the path draw services apart: a mixer is a diamond, a
// bridge a hexagon, an exchange a rectangle, a sanctioned address an
// octagon, a Bitcoin address double-bordered, a hop onto another chain
// dashed, amounts in the asset's units; a path hop out of a mixer or a
// bridge is marked. A FlowGraph and an alert written here, drawn by the
// page's own code in Chromium.
func TestConsoleDrawsServicesApart(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{})
	ctx := chromiumTab(t, e.ts.URL+"/")
	const graph = `{"chain":"ethereum","nodes":[
	  {"chain":"ethereum","address":"0xA1"},
	  {"chain":"ethereum","address":"0xB2","labels":[{"kind":"mixer","label":"Tornado 10 ETH"}]},
	  {"chain":"ethereum","address":"0xC3","labels":[{"kind":"bridge","label":"THORChain router"}]},
	  {"chain":"ethereum","address":"0xD4","labels":[{"kind":"exchange","label":"Desk"}]},
	  {"chain":"ethereum","address":"0xE5","labels":[{"kind":"sanctioned","label":"SDN"}]},
	  {"chain":"bitcoin","address":"bc1qdest"}],
	 "edges":[
	  {"chain":"ethereum","tx":"0x01","from":"0xA1","to":"0xB2","asset":{"symbol":"ETH","decimals":18},"amount":"10000000000000000000","hop":1},
	  {"chain":"ethereum","tx":"0x02","from":"0xA1","to":"0xC3","asset":{"symbol":"ETH","decimals":18},"amount":"1500000000000000000","hop":1},
	  {"chain":"ethereum","tx":"0x03","from":"0xA1","to":"0xD4","asset":{"symbol":"ETH","decimals":18},"amount":"1","hop":1},
	  {"chain":"ethereum","tx":"0x04","from":"0xA1","to":"0xE5","asset":{"symbol":"ETH","decimals":18},"amount":"2000000000000000000","hop":1},
	  {"chain":"bitcoin","tx":"b1","from":"bc1qvault","to":"bc1qdest","asset":{"symbol":"BTC","decimals":8},"amount":"12345678","hop":2}]}`
	var drawn struct {
		Nodes []struct{ Address, Kind, Shape, Border string }
		Edges []struct{ Tx, Style, Label string }
	}
	js, err := chromedp.Run(ctx, chromedp.Evaluate[string]("JSON.stringify(window.__ch.drawnStyles("+graph+"))"))
	if err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal([]byte(js), &drawn); err != nil {
		t.Fatal(err)
	}
	shapes := map[string]string{}
	borders := map[string]string{}
	for _, n := range drawn.Nodes {
		shapes[n.Address], borders[n.Address] = n.Shape, n.Border
	}
	for addr, want := range map[string]string{"0xA1": "ellipse", "0xB2": "diamond", "0xC3": "hexagon", "0xD4": "round-rectangle", "0xE5": "octagon"} {
		if shapes[addr] != want {
			t.Errorf("node %s drawn as %q, want %q (all: %v)", addr, shapes[addr], want, shapes)
		}
	}
	if borders["bc1qdest"] != "double" || borders["0xA1"] == "double" {
		t.Errorf("borders %v: want Bitcoin addresses double, Ethereum ones not", borders)
	}
	styles, labels := map[string]string{}, map[string]string{}
	for _, e := range drawn.Edges {
		styles[e.Tx], labels[e.Tx] = e.Style, e.Label
	}
	if styles["b1"] != "dashed" || styles["0x01"] != "solid" {
		t.Errorf("edge styles %v: want the Bitcoin hop of an Ethereum trace dashed, the others solid", styles)
	}
	for tx, want := range map[string]string{"0x01": "10 ETH · hop 1", "0x02": "1.5 ETH · hop 1", "0x03": "0.000000000000000001 ETH · hop 1", "b1": "0.12345678 BTC · hop 2"} {
		if labels[tx] != want {
			t.Errorf("edge %s labelled %q, want %q", tx, labels[tx], want)
		}
	}

	const alert = `{"seq":7,"chain":"ethereum","asset":{"symbol":"ETH","decimals":18},"path":[
	  {"chain":"ethereum","tx":"0x01","from":"0xA1","to":"0xB2","amount":"10000000000000000000"},
	  {"chain":"ethereum","tx":"0x05","from":"0xB2","to":"0xF6","amount":"9900000000000000000","via":{"kind":"mixer","protocol":"tornado","label":"Tornado 10 ETH"},"confidence":0.5},
	  {"chain":"bitcoin","tx":"b1","from":"0xF6","to":"bc1qdest","amount":"12345678","via":{"kind":"bridge","protocol":"thorchain"}}]}`
	js, err = chromedp.Run(ctx, chromedp.Evaluate[string]("JSON.stringify(window.__ch.pathItems("+alert+"))"))
	if err != nil {
		t.Fatal(err)
	}
	var items []struct{ Classes, Text string }
	if err := jsonUnmarshal([]byte(js), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("path items %+v", items)
	}
	for i, want := range []struct{ class, text string }{
		{"chain-ethereum", "10 ETH"},
		{"via-mixer", "9.9 ETH"},
		{"via-bridge", "0.12345678 BTC"},
	} {
		if !strings.Contains(items[i].Classes, want.class) || !strings.Contains(items[i].Text, want.text) {
			t.Errorf("path hop %d: %+v; want class %s and %s", i+1, items[i], want.class, want.text)
		}
	}
	if !strings.Contains(items[1].Text, "via mixer (tornado)") || !strings.Contains(items[1].Text, "confidence 50%") || strings.Contains(items[0].Classes, "via-") {
		t.Errorf("path hops %+v: want the mixer hop named with its confidence, the first hop plain", items)
	}
}

// An incident's tracking and taint summary as the incidents page shows
// them: a catch-up with its progress, a failure with its reason, exact
// amounts by asset key ("native" is the chain's coin).
func TestConsoleShowsTracking(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{})
	ctx := chromiumTab(t, e.ts.URL+"/")
	type shown struct {
		State, Text, Summary string
		Progress             *float64
	}
	show := func(inc string) shown {
		t.Helper()
		js, err := chromedp.Run(ctx, chromedp.Evaluate[string]("JSON.stringify(window.__ch.tracking("+inc+"))"))
		if err != nil {
			t.Fatal(err)
		}
		var s shown
		if err := jsonUnmarshal([]byte(js), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	c := show(`{"chain":"ethereum","tracking":{"state":"catching_up","from":100,"at":150,"to":200,"rate":25},
	  "summary":{"stolen":{"native":"50000000000000000000"},"tainted":{"native":"12500000000000000001"},"holders":[{},{}],"services":[{}]}}`)
	if c.State != "catching_up" || c.Progress == nil || *c.Progress != 50 || !strings.Contains(c.Text, "block 150 of 200") || !strings.Contains(c.Text, "25 blocks/s") {
		t.Errorf("catching up: %+v; want 50%% with block 150 of 200 at 25 blocks/s", c)
	}
	if want := "stolen 50 ETH · still tainted 12.500000000000000001 ETH · 2 holders · 1 services reached"; c.Summary != want {
		t.Errorf("summary %q, want %q", c.Summary, want)
	}
	f := show(`{"chain":"bitcoin","tracking":{"state":"failed","reason":"node pruned block 12"},"summary":{"stolen":{"native":"150000000"}}}`)
	if f.State != "failed" || !strings.Contains(f.Text, "node pruned block 12") || f.Progress != nil || !strings.HasPrefix(f.Summary, "stolen 1.5 BTC") {
		t.Errorf("failed: %+v; want the reason and 1.5 BTC stolen", f)
	}
	if l := show(`{"chain":"ethereum","tracking":{"state":"live","at":300}}`); l.State != "live" || l.Progress != nil {
		t.Errorf("live: %+v", l)
	}
}
