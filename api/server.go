package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/chainhound/chainhound/apikey"
)

// Server is chainhound's HTTP server.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	metrics *Metrics
	hub     *hub
	limits  *limiters
	authLim *authThrottle
	ws      *wsRegistry
	cited   citations // the incidents each tenant's alerts cite (exchange keys read those)
	mux     *http.ServeMux
	// patterns are the routes registered, for Routes.
	patterns []string

	// Websocket connections read the store (catch-up pages, the key
	// check on each ping) on goroutines Close does not wait for; they do
	// so under wsStoreMu's read lock and not at all once Close has set
	// wsStoreClosed, so the store may be closed right after Close.
	wsStoreMu     sync.RWMutex
	wsStoreClosed bool

	startOnce sync.Once
	hubCtx    context.Context
	hubStop   context.CancelFunc
	hubDone   chan struct{}
	busDone   chan struct{} // closed when followTriageBus returns; nil without a bus
}

// New returns a server over deps. The websocket hub starts with the first
// call of Handler or Run and stops with Close (Run closes it itself).
func New(cfg Config, deps Deps) *Server {
	cfg = cfg.withDefaults()
	m := deps.Metrics
	if m == nil {
		m = NewMetrics()
	}
	m.watchHealth(deps.Health)
	s := &Server{
		cfg:     cfg,
		deps:    deps,
		log:     cfg.Logger.With("component", "api"),
		metrics: m,
		limits:  newLimiters(cfg.Rate, cfg.Burst),
		authLim: newAuthThrottle(cfg.AuthFailureRate, cfg.AuthFailureBurst),
		ws:      newWSRegistry(cfg.MaxWebsocketsPerKey, cfg.MaxWebsocketsPerTenant),
		hubDone: make(chan struct{}),
	}
	s.hubCtx, s.hubStop = context.WithCancel(context.Background())
	s.hub = newHub(deps.Alerts, cfg, m, s.log)
	s.mux = s.routes()
	return s
}

// Metrics returns the server's metrics, for the other parts to increment.
func (s *Server) Metrics() *Metrics { return s.metrics }

func (s *Server) start() {
	s.startOnce.Do(func() {
		s.hub.subscribe()
		go func() {
			defer close(s.hubDone)
			s.hub.run(s.hubCtx)
		}()
		if s.deps.TriageBus != nil {
			s.busDone = make(chan struct{})
			go func() {
				defer close(s.busDone)
				s.followTriageBus(s.hubCtx)
			}()
		}
	})
}

// Handler returns the HTTP handler and starts the hub.
func (s *Server) Handler() http.Handler {
	s.start()
	return s.mux
}

// Close stops the hub, closing every websocket with 1001 (going away).
func (s *Server) Close() {
	s.start()
	s.hubStop()
	<-s.hubDone
	if s.busDone != nil {
		<-s.busDone
	}
	s.wsStoreMu.Lock()
	s.wsStoreClosed = true
	s.wsStoreMu.Unlock()
}

// wsStore reports whether a websocket connection may read the store; if
// so it must call wsStoreDone after.
func (s *Server) wsStore() bool {
	s.wsStoreMu.RLock()
	if s.wsStoreClosed {
		s.wsStoreMu.RUnlock()
		return false
	}
	return true
}

func (s *Server) wsStoreDone() { s.wsStoreMu.RUnlock() }

// Run serves on listen until ctx is done, then shuts down gracefully:
// websocket subscribers are told to go away (they resume by sequence) and
// in-flight requests get up to 10 s.
func (s *Server) Run(ctx context.Context, listen string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("api listen %s: %w", listen, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on an existing listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	s.log.Info("api listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("api serve: %w", err)
	case <-ctx.Done():
	}
	s.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("api shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("api serve: %w", err)
	}
	return nil
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc) {
		s.patterns = append(s.patterns, pattern)
		mux.Handle(pattern, s.instrument(pattern, h))
	}
	auth := func(pattern string, h func(http.ResponseWriter, *http.Request, apikey.Key)) {
		handle(pattern, s.authenticated(h))
	}
	handle("GET /healthz", s.healthz)
	s.patterns = append(s.patterns, "GET /metrics")
	mux.Handle("GET /metrics", s.metrics.handler())
	handle("GET /v1/openapi.json", s.openapi)

	auth("POST /v1/watchlist", s.addEntry)
	auth("GET /v1/watchlist", s.listEntries)
	auth("DELETE /v1/watchlist/{chain}/{address}", s.removeEntry)
	auth("POST /v1/incidents", s.openIncident)
	auth("GET /v1/incidents", s.listIncidents)
	auth("GET /v1/incidents/{id}", s.getIncident)
	auth("POST /v1/incidents/{id}/close", s.closeIncident)
	auth("GET /v1/alerts", s.listAlerts)
	handle("GET /v1/alerts/ws", wsProtocolKey(s.authenticated(s.alertsWS)))
	auth("PATCH /v1/alerts/{seq}", s.patchAlert)
	auth("POST /v1/alerts/{seq}/comments", s.commentAlert)
	auth("GET /v1/trace/{chain}/{tx}", s.trace)
	auth("GET /v1/screen/{chain}/{address}", s.screenOne)
	auth("POST /v1/screen", s.screenBatch)
	auth("POST /v1/keys", s.createKey)
	auth("GET /v1/keys", s.listKeys)
	auth("POST /v1/keys/{id}/revoke", s.revokeKey)
	auth("PUT /v1/webhook", s.putWebhook)
	auth("GET /v1/webhook", s.getWebhook)
	auth("DELETE /v1/webhook", s.deleteWebhook)
	auth("PUT /v1/channels", s.putChannel)
	auth("GET /v1/channels", s.listChannels)
	auth("PUT /v1/channels/{id}", s.putChannel)
	auth("GET /v1/channels/{id}", s.getChannel)
	auth("DELETE /v1/channels/{id}", s.deleteChannel)
	auth("POST /v1/channels/{id}/test", s.testChannel)
	s.consoleRoutes(mux)
	mux.Handle("/", s.instrument("/", http.HandlerFunc(s.noRoute)))
	return mux
}

// routeMethods are the methods routes are registered with.
var routeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// noRoute answers what no route matched: 405 with Allow when the path
// is a route's under another method, else 404. (The catch-all "/" route
// keeps the mux from answering 405 itself.)
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowedMethods(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, Errorf(CodeMethod, "", "method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", ")))
		return
	}
	writeError(w, Errorf(CodeNotFound, "", "no such endpoint %s %s", r.Method, r.URL.Path))
}

// allowedMethods lists the methods of the routes that match r's path.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	for _, m := range routeMethods {
		probe := *r
		probe.Method = m
		if _, pattern := s.mux.Handler(&probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	return allow
}

// writeJSON sends v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

type errorBody struct {
	Error *Error `json:"error"`
}

// writeError sends e in the docs/interface.md error shape.
func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Code.Status(), errorBody{Error: e})
}

// fail classifies err, logs what is not the client's fault, and answers.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e, known := asError(err)
	if !known {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, e)
}

// decodeBody reads one JSON object of type T from r's body, capped at
// MaxBodyBytes, refusing unknown fields and trailing data.
func decodeBody[T any](s *Server, w http.ResponseWriter, r *http.Request) (T, *Error) {
	var v T
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return v, Errorf(CodeInvalidJSON, "", "Content-Type %q is not application/json", ct)
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		var mbe *http.MaxBytesError
		var ute *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &mbe):
			return v, Errorf(CodeTooLarge, "", "request body exceeds %d bytes", s.cfg.MaxBodyBytes)
		case errors.As(err, &ute):
			return v, Errorf(CodeInvalidJSON, ute.Field, "field %s: want %s, got JSON %s", ute.Field, ute.Type, ute.Value)
		case errors.As(err, &se):
			return v, Errorf(CodeInvalidJSON, "", "malformed JSON at byte %d: %v", se.Offset, err)
		case errors.Is(err, io.EOF):
			return v, Errorf(CodeInvalidJSON, "", "empty body: want a JSON object")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return v, Errorf(CodeInvalidJSON, f, "unknown field %q", f)
		}
		return v, Errorf(CodeInvalidJSON, "", "malformed JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return v, Errorf(CodeTooLarge, "", "request body exceeds %d bytes", s.cfg.MaxBodyBytes)
		}
		return v, Errorf(CodeInvalidJSON, "", "trailing data after the JSON object")
	}
	return v, nil
}
