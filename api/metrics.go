package api

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are chainhound's Prometheus metrics, served at /metrics. The
// other parts increment the exported collectors; the api itself keeps the
// websocket, alert and HTTP ones, and reads head, processed and lag from
// Health at each scrape.
type Metrics struct {
	Registry *prometheus.Registry

	// Followers: blocks handled (Connected events acknowledged) and
	// blocks fetched while catching up, by chain; the backfill rate in
	// blocks per second as the follower measures it.
	BlocksProcessed *prometheus.CounterVec
	BackfillRate    *prometheus.GaugeVec
	// Tracer: findings by type.
	Findings *prometheus.CounterVec
	// Alerts appended, by type (counted by the websocket hub).
	Alerts *prometheus.CounterVec
	// Webhook deliveries are counted by the alerts dispatcher, whose
	// collectors (chainhound_webhook_*) the daemon registers on Registry.
	// Websocket subscribers connected and dropped for falling behind.
	WSSubscribers prometheus.Gauge
	WSDropped     prometheus.Counter
	// Websockets refused before the upgrade, by reason (per_key,
	// per_tenant: a cap was reached).
	WSRefused *prometheus.CounterVec
	// Requests refused with 429 for too many failed authentications
	// from their source address.
	AuthThrottled prometheus.Counter
	// HTTP requests by route and status, and their duration.
	Requests *prometheus.CounterVec
	Duration *prometheus.HistogramVec

	health atomic.Pointer[Health]
}

// NewMetrics registers chainhound's metrics, with the Go and process
// collectors, on a fresh registry.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		BlocksProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainhound_blocks_processed_total", Help: "Blocks processed, by chain.",
		}, []string{"chain"}),
		BackfillRate: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "chainhound_backfill_blocks_per_second", Help: "Current catch-up rate in blocks per second, by chain (0 when following the head).",
		}, []string{"chain"}),
		Findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainhound_findings_total", Help: "Tracer findings, by type.",
		}, []string{"type"}),
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainhound_alerts_total", Help: "Alerts appended to the log, by type.",
		}, []string{"type"}),
		WSSubscribers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chainhound_websocket_subscribers", Help: "Websocket subscribers connected.",
		}),
		WSDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chainhound_websocket_dropped_total", Help: "Websocket subscribers closed for falling behind (4008).",
		}),
		WSRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainhound_websocket_refused_total", Help: "Websockets refused before the upgrade because a cap was reached, by reason (per_key, per_tenant).",
		}, []string{"reason"}),
		AuthThrottled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chainhound_auth_throttled_total", Help: "Requests refused (429) for too many failed authentications from their source address.",
		}),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainhound_http_requests_total", Help: "HTTP requests, by route and status.",
		}, []string{"route", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "chainhound_http_request_duration_seconds", Help: "HTTP request duration, by route.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	for _, reason := range []string{refusedPerKey, refusedPerTenant} {
		m.WSRefused.WithLabelValues(reason) // shown at 0 before the first refusal
	}
	r.MustRegister(m.BlocksProcessed, m.BackfillRate, m.Findings, m.Alerts,
		m.WSSubscribers, m.WSDropped, m.WSRefused, m.AuthThrottled, m.Requests, m.Duration,
		chainCollector{m}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) watchHealth(h Health) {
	if h != nil {
		m.health.Store(&h)
	}
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

var (
	descHead      = prometheus.NewDesc("chainhound_chain_head", "The node's head block, by chain.", []string{"chain", "network"}, nil)
	descProcessed = prometheus.NewDesc("chainhound_chain_processed", "The last block processed, by chain.", []string{"chain", "network"}, nil)
	descLag       = prometheus.NewDesc("chainhound_chain_lag_blocks", "Head minus processed, by chain.", []string{"chain", "network"}, nil)
	descConnected = prometheus.NewDesc("chainhound_chain_connected", "1 when the follower is connected to its node.", []string{"chain", "network"}, nil)
)

// chainCollector reads the followers' status at scrape time.
type chainCollector struct{ m *Metrics }

func (c chainCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descHead
	ch <- descProcessed
	ch <- descLag
	ch <- descConnected
}

func (c chainCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.m.health.Load()
	if h == nil {
		return
	}
	for chain, st := range (*h).ChainStatus() {
		l := []string{string(chain), st.Network}
		conn := 0.0
		if st.Connected {
			conn = 1
		}
		ch <- prometheus.MustNewConstMetric(descHead, prometheus.GaugeValue, float64(st.Head), l...)
		ch <- prometheus.MustNewConstMetric(descProcessed, prometheus.GaugeValue, float64(st.Processed), l...)
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(lag(st)), l...)
		ch <- prometheus.MustNewConstMetric(descConnected, prometheus.GaugeValue, conn, l...)
	}
}

func lag(st chains.Status) uint64 {
	if st.Head > st.Processed {
		return st.Head - st.Processed
	}
	return 0
}

// instrument counts and times requests to route.
func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		code := rec.status
		if rec.hijacked {
			code = http.StatusSwitchingProtocols
		}
		s.metrics.Requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
		if !rec.hijacked {
			s.metrics.Duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		}
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status   int
	wrote    bool
	hijacked bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Hijack lets the websocket upgrade take the connection.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.hijacked = true
	return http.NewResponseController(r.ResponseWriter).Hijack()
}
