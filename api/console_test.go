package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/api"
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
	binance := e.key(api.RoleExchange, "binance")
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
