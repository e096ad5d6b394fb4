package api

import (
	"bytes"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/chainhound/chainhound/web"
)

// ConsoleCSP is the Content-Security-Policy of the web console: its own
// scripts and styles only (none inline), API calls and the websocket to
// its own origin, images it draws itself (the PNG export is a blob), no
// frames, no plugins, no form posts elsewhere.
const ConsoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// WSProtocol is the websocket subprotocol the server selects when a
// client (a browser, which cannot set Authorization on a websocket)
// offers its key as a second subprotocol "chainhound.bearer.KEY".
const (
	WSProtocol       = "chainhound.v1"
	wsBearerProtocol = "chainhound.bearer."
)

// console serves the embedded web console: index.html at / (never
// cached, so a new bundle is picked up at once) and the assets, whose
// names carry their content hash, cached for a year.
type console struct {
	fsys    fs.FS
	index   []byte
	started time.Time
}

func newConsole(fsys fs.FS) *console {
	c := &console{fsys: fsys, started: time.Now()}
	if b, err := fs.ReadFile(fsys, "index.html"); err == nil {
		c.index = b
	}
	return c
}

func defaultConsole() *console { return newConsole(web.Dist()) }

// securityHeaders are set on every console response.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ConsoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

// serveIndex answers GET /.
func (c *console) serveIndex(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	if c.index == nil {
		writeError(w, Errorf(CodeNotFound, "", "this build has no web console"))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", c.started, bytes.NewReader(c.index))
}

// serveAsset answers GET /assets/{file}.
func (c *console) serveAsset(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	name := r.PathValue("file")
	if name == "" || strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
		writeError(w, Errorf(CodeNotFound, "", "no such asset %q", name))
		return
	}
	b, err := fs.ReadFile(c.fsys, path.Join("assets", name))
	if err != nil {
		writeError(w, Errorf(CodeNotFound, "", "no such asset %q", name))
		return
	}
	switch path.Ext(name) {
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	}
	// The name holds the content's hash: it never changes under a name.
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, name, c.started, bytes.NewReader(b))
}

// wsProtocolKey lets a browser authenticate the websocket: it cannot set
// an Authorization header there, so it offers the subprotocols
// "chainhound.v1" and "chainhound.bearer.KEY". When the request has no
// Authorization header, the key is taken from that offer; the server
// answers with "chainhound.v1" alone, never echoing the key. The key
// stays out of the URL, and so out of access logs and browser history.
func wsProtocolKey(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			if key, ok := protocolKey(r); ok {
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer "+key)
			}
		}
		next(w, r)
	}
}

// protocolKey returns the key offered as a "chainhound.bearer.KEY"
// subprotocol.
func protocolKey(r *http.Request) (string, bool) {
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if key, ok := strings.CutPrefix(strings.TrimSpace(p), wsBearerProtocol); ok && key != "" {
				return key, true
			}
		}
	}
	return "", false
}

// consoleRoutes registers the console: GET / and GET /assets/{file}.
func (s *Server) consoleRoutes(mux *http.ServeMux) {
	c := defaultConsole()
	s.patterns = append(s.patterns, "GET /", "GET /assets/{file}")
	mux.Handle("GET /{$}", s.instrument("GET /", http.HandlerFunc(c.serveIndex)))
	mux.Handle("GET /assets/{file}", s.instrument("GET /assets/{file}", http.HandlerFunc(c.serveAsset)))
}
