package redis

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
)

// metrics counts the store's round trips to Redis, their errors by kind
// and their latency, through a go-redis hook on the client (on each node's
// client of a Cluster, where MOVED and ASK are seen).
type metrics struct {
	trips   prometheus.Counter
	errs    *prometheus.CounterVec
	latency prometheus.Histogram
}

func newMetrics() *metrics {
	return &metrics{
		trips: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chainhound_redis_round_trips_total",
			Help: "Round trips to Redis (a command, or a pipeline), retries and redirections included.",
		}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chainhound_redis_errors_total",
			Help: "Redis round trips that failed, by kind: timeout, network, refused (a guarded write refused: lease fenced, lock lost, conflict, seq taken), moved, ask, tryagain, loading, readonly, clusterdown, noscript (a script sent whole after), other.",
		}, []string{"kind"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chainhound_redis_round_trip_seconds",
			Help:    "Latency of Redis round trips (blocking reads of the streams left out).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
}

// Collectors returns the store's Redis metrics (chainhound_redis_*) and
// the count of writes Redis answered as applied already, for the daemon
// to register.
func (s *Store) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.m.trips, s.m.errs, s.m.latency,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "chainhound_redis_write_replays_total",
			Help: "Writes whose earlier attempt Redis had applied though its reply was lost (a network error or timeout): answered as applied, not written again.",
		}, func() float64 { return float64(s.Replays()) }),
	}
}

// hook installs the metrics on c.
func (m *metrics) hook(c goredis.UniversalClient) {
	if cc, ok := c.(*goredis.ClusterClient); ok {
		cc.OnNewNode(func(n *goredis.Client) { n.AddHook(m) })
		return
	}
	c.AddHook(m)
}

// DialHook counts a failed dial as a network error, and wraps the
// connection to count its read and write failures: go-redis retries a
// command after a network error or timeout inside ProcessHook, which then
// sees only the last attempt.
func (m *metrics) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			m.errs.WithLabelValues("network").Inc()
			return c, err
		}
		return &countedConn{Conn: c, m: m}, nil
	}
}

// countedConn counts a connection's failures by kind: timeout, network.
type countedConn struct {
	net.Conn
	m *metrics
}

func (c *countedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.fail(err)
	return n, err
}

func (c *countedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.fail(err)
	return n, err
}

func (c *countedConn) fail(err error) {
	if err == nil || errors.Is(err, net.ErrClosed) {
		return // closed by go-redis itself
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.m.errs.WithLabelValues("timeout").Inc()
		return
	}
	c.m.errs.WithLabelValues("network").Inc()
}

// ProcessHook counts one command's round trip.
func (m *metrics) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		m.observe(start, err, cmd.Name() == "xread")
		return err
	}
}

// ProcessPipelineHook counts a pipeline as one round trip.
func (m *metrics) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		m.observe(start, err, false)
		return err
	}
}

func (m *metrics) observe(start time.Time, err error, blocking bool) {
	m.trips.Inc()
	if !blocking {
		m.latency.Observe(time.Since(start).Seconds())
	}
	if err == nil || errors.Is(err, goredis.Nil) {
		return
	}
	// Timeouts and network errors are counted by the connection, each
	// attempt once; a dial refused by DialHook.
	if k := errorKind(err); k != "timeout" && k != "network" {
		m.errs.WithLabelValues(k).Inc()
	}
}

// errorKind names the kind of a Redis error for chainhound_redis_errors_total.
func errorKind(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	msg := err.Error()
	for _, k := range []struct{ prefix, kind string }{
		{"CHGUARD ", "refused"}, {"CHCONFLICT", "refused"}, {"CHSEQ", "refused"}, {"CHHELD ", "refused"},
		{"MOVED ", "moved"}, {"ASK ", "ask"}, {"TRYAGAIN ", "tryagain"}, {"LOADING ", "loading"},
		{"READONLY ", "readonly"}, {"CLUSTERDOWN ", "clusterdown"}, {"MASTERDOWN ", "clusterdown"}, {"NOSCRIPT ", "noscript"}, {"NOREPLICAS ", "readonly"},
	} {
		if strings.HasPrefix(msg, k.prefix) {
			return k.kind
		}
	}
	if Transient(err) {
		return "network"
	}
	return "other"
}
