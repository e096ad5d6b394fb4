package redis

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/tracer"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
)

// faultProxy is a scripted TCP proxy in front of a real redis-server: a
// real Redis cannot be made to apply a command and then lose its reply,
// nor to answer after the client's read timeout. Armed, it lets the next
// request holding a marker (EVALSHA: a write) through to Redis and then,
// as the fault says, drops Redis's reply and kills the connection, or
// holds the reply back for a while before passing it on.
type faultProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	fault string // "", "drop" or "stall"
	stall time.Duration
	hits  int // faults injected
	down  bool
	conns []net.Conn
}

func startFaultProxy(t *testing.T, target string) *faultProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.kill() })
	go p.serve()
	return p
}

func (p *faultProxy) addr() string { return p.ln.Addr().String() }

// arm makes the next write meet fault ("drop" or "stall" for d).
func (p *faultProxy) arm(fault string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault, p.stall = fault, d
}

func (p *faultProxy) injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits
}

// setDown makes the proxy refuse (close at once) every connection, and
// kills those open, as a Redis that went away.
func (p *faultProxy) setDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
	if down {
		p.kill()
	}
}

func (p *faultProxy) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go p.pipe(c, s)
	}
}

// pipe forwards requests from c to s and replies back, one request at a
// time as go-redis sends them on a connection outside a pipeline.
func (p *faultProxy) pipe(c, s net.Conn) {
	defer c.Close()
	defer s.Close()
	type reply struct {
		fault string
		stall time.Duration
	}
	next := make(chan reply, 16)
	go func() {
		defer s.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				r := reply{}
				p.mu.Lock()
				if p.fault != "" && bytes.Contains(bytes.ToLower(buf[:n]), []byte("evalsha")) {
					r = reply{p.fault, p.stall}
					p.fault = ""
					p.hits++
				}
				p.mu.Unlock()
				if r.fault != "" {
					next <- r
				}
				if _, err := s.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			select {
			case r := <-next:
				if r.fault == "drop" {
					return // the write was applied; its reply is lost with the connection
				}
				time.Sleep(r.stall)
			default:
			}
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

// faultReplica opens a replica through a fault proxy, holding its leases.
func faultReplica(t *testing.T, o Options) (*Store, *faultProxy, *testnodes.Redis) {
	r := testnodes.StartRedis(t)
	px := startFaultProxy(t, r.Addr)
	c := goredis.NewClient(&goredis.Options{Addr: px.addr(), ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond})
	if o.Prefix == "" {
		o.Prefix = freshPrefix()
	}
	o.Replica, o.Chains = "A", []chains.Chain{chains.Ethereum}
	if o.Lease == 0 {
		o.Lease = 5 * time.Second
	}
	s, err := OpenClient(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if ok, _, err := s.Acquire(ctx); !ok || err != nil {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	return s, px, r
}

func blockWithAlerts(first, n uint64, number uint64) store.Block {
	w := alerts.AlertWrite{}
	for seq := first; seq < first+n; seq++ {
		a := alerts.Alert{Seq: seq, Type: alerts.TypeExchangeDeposit, Chain: "ethereum", Severity: "high", Finding: "f" + itoa(seq), Tx: "0xtx" + itoa(number)}
		w.Records = append(w.Records, alerts.Record{Alert: a, Appended: time.Unix(1700000000, 0).UTC()})
		w.SetFindings = append(w.SetFindings, alerts.FindingSeq{ID: a.Finding, Seq: seq})
	}
	w.Last = first + n - 1
	return store.Block{
		Chain:      chains.Ethereum,
		Puts:       []tracer.KV{{Key: []byte("n/" + itoa(number)), Value: []byte("state")}},
		Alerts:     &w,
		Checkpoint: &chains.BlockRef{Number: number, Hash: "0xb" + itoa(number)},
	}
}

// checkLog fails unless the stream holds exactly the seqs 1..last once,
// the counter is last and the checkpoint is number.
func checkLog(t *testing.T, s *Store, last, number uint64) {
	t.Helper()
	recs, err := s.AlertsSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(recs)) != last {
		t.Fatalf("the stream holds %d alerts, want %d", len(recs), last)
	}
	for i, r := range recs {
		if r.Alert.Seq != uint64(i+1) {
			t.Fatalf("alert %d of the stream has seq %d", i, r.Alert.Seq)
		}
	}
	if got, err := s.LastAlertSeq(ctx); err != nil || got != last {
		t.Fatalf("alert counter %d (%v), want %d", got, err, last)
	}
	if ref, ok, err := s.Checkpoint(ctx, chains.Ethereum); err != nil || !ok || ref.Number != number {
		t.Fatalf("checkpoint %+v %v %v, want block %d", ref, ok, err, number)
	}
}

// A block write reaches Redis and is applied, but its reply is lost with
// the connection (the fault proxy kills it). go-redis sends it again; the
// script recognises its own write and answers applied: the write
// succeeds, its alerts are in the stream once, and the replica keeps its
// term. (Before: the second attempt was refused as a repeated seq.)
func TestWriteReplyLost(t *testing.T) {
	s, px, _ := faultReplica(t, Options{})
	if err := s.WriteBlock(ctx, blockWithAlerts(1, 2, 10)); err != nil {
		t.Fatal(err)
	}
	px.arm("drop", 0)
	if err := s.WriteBlock(ctx, blockWithAlerts(3, 2, 11)); err != nil {
		t.Fatalf("a write whose reply was lost: %v, want it recognised as applied", err)
	}
	if px.injected() != 1 {
		t.Fatalf("the proxy dropped %d replies, want 1", px.injected())
	}
	if s.Replays() != 1 {
		t.Fatalf("%d writes answered as applied already, want 1", s.Replays())
	}
	checkLog(t, s, 4, 11)
	if n := metricValue(t, s, "chainhound_redis_errors_total", "network"); n < 1 {
		t.Fatalf("chainhound_redis_errors_total{kind=network} is %v after a lost reply", n)
	}
	if !s.Active() {
		t.Fatal("the replica lost its term over a lost reply")
	}
	// The log goes on from there.
	if err := s.WriteBlock(ctx, blockWithAlerts(5, 1, 12)); err != nil {
		t.Fatal(err)
	}
	checkLog(t, s, 5, 12)
}

// The reply comes after the client's read timeout: the same.
func TestWriteReplyPastTimeout(t *testing.T) {
	s, px, _ := faultReplica(t, Options{})
	if err := s.WriteBlock(ctx, blockWithAlerts(1, 1, 9)); err != nil {
		t.Fatal(err) // the script cached: the next write is one EVALSHA
	}
	px.arm("stall", time.Second)
	if err := s.WriteBlock(ctx, blockWithAlerts(2, 2, 10)); err != nil {
		t.Fatalf("a write whose reply came after the timeout: %v, want it recognised as applied", err)
	}
	if px.injected() != 1 || s.Replays() != 1 {
		t.Fatalf("faults %d, replays %d; want 1 and 1", px.injected(), s.Replays())
	}
	checkLog(t, s, 3, 10)
	if n := metricValue(t, s, "chainhound_redis_errors_total", "timeout"); n < 1 {
		t.Fatalf("chainhound_redis_errors_total{kind=timeout} is %v after a reply past the timeout", n)
	}
}

// A write that genuinely conflicts is still refused: another write (its
// own id) with seqs already taken, after a write whose reply was lost.
func TestWriteConflictStillRefused(t *testing.T) {
	s, px, _ := faultReplica(t, Options{})
	px.arm("drop", 0)
	if err := s.WriteBlock(ctx, blockWithAlerts(1, 2, 10)); err != nil {
		t.Fatal(err)
	}
	err := s.WriteBlock(ctx, blockWithAlerts(1, 2, 11))
	var taken *alerts.SeqTakenError
	if !errors.As(err, &taken) || taken.Last != 2 {
		t.Fatalf("a second write of seqs 1..2: %v, want SeqTakenError at 2", err)
	}
	checkLog(t, s, 2, 10)
}

// Redis unreachable: a write is sent again with backoff for the retry
// budget, then fails with ErrUnknownOutcome (never acknowledged); once
// Redis is back a write goes through.
func TestWriteUnreachable(t *testing.T) {
	s, px, _ := faultReplica(t, Options{RetryFor: 700 * time.Millisecond})
	px.setDown(true)
	start := time.Now()
	err := s.WriteBlock(ctx, blockWithAlerts(1, 1, 10))
	if !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("a write while Redis is unreachable: %v, want ErrUnknownOutcome", err)
	}
	if took := time.Since(start); took < 500*time.Millisecond || took > 5*time.Second {
		t.Fatalf("gave up after %s, want about the retry budget (700ms)", took)
	}
	px.setDown(false)
	if err := s.WriteBlock(ctx, blockWithAlerts(1, 1, 10)); err != nil {
		t.Fatalf("a write once Redis is back: %v", err)
	}
	checkLog(t, s, 1, 10)
}

// The store's counter goes back below seqs the log handed out (a failover
// lost acknowledged writes: emulated by taking the last two back out of
// Redis). The log's next alert is above the seqs it delivered, not a
// repeat of them. (Before: the write was refused and the append failed.)
func TestLogAfterRegression(t *testing.T) {
	s, _, r := faultReplica(t, Options{})
	lg, err := alerts.OpenLog(ctx, s, alerts.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	a := alerts.Alert{Type: alerts.TypeExchangeDeposit, Chain: "ethereum", Severity: "high", Tx: "0x1"}
	for i := 0; i < 3; i++ {
		if _, err := lg.Append(ctx, []alerts.Alert{a}); err != nil {
			t.Fatal(err)
		}
	}
	c := r.Client(t)
	if err := c.Set(ctx, s.alertSeqKey(), 1, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.XDel(ctx, s.alertLogKey(), "2-0", "3-0").Err(); err != nil {
		t.Fatal(err)
	}
	out, err := lg.Append(ctx, []alerts.Alert{a})
	if err != nil {
		t.Fatalf("append after the store went back: %v", err)
	}
	if out[0].Seq != 4 {
		t.Fatalf("the alert after the store went back has seq %d, want 4 (2 and 3 were delivered)", out[0].Seq)
	}
	if got, _ := s.LastAlertSeq(ctx); got != 4 {
		t.Fatalf("counter %d, want 4", got)
	}
	// Another replica's write that is really behind is still refused.
	err = s.WriteAlerts(ctx, alerts.AlertWrite{Records: []alerts.Record{{Alert: alerts.Alert{Seq: 3, Type: a.Type, Chain: a.Chain, Severity: a.Severity}}}, Last: 3})
	var taken *alerts.SeqTakenError
	if !errors.As(err, &taken) || taken.Last != 4 {
		t.Fatalf("a write of seq 3 over counter 4: %v", err)
	}
}

// The metrics count every round trip and time it; a refused write counts
// as refused.
func TestRedisMetrics(t *testing.T) {
	s, _, _ := faultReplica(t, Options{})
	before := metricValue(t, s, "chainhound_redis_round_trips_total", "")
	if err := s.WriteBlock(ctx, blockWithAlerts(1, 1, 10)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Checkpoint(ctx, chains.Ethereum); err != nil {
		t.Fatal(err)
	}
	if n := metricValue(t, s, "chainhound_redis_round_trips_total", "") - before; n < 2 {
		t.Fatalf("%v round trips counted for a write and a read", n)
	}
	if n := metricValue(t, s, "chainhound_redis_round_trip_seconds", ""); n < 2 {
		t.Fatalf("latency histogram: %v round trips observed", n)
	}
	if err := s.WriteBlock(ctx, blockWithAlerts(1, 1, 11)); err == nil {
		t.Fatal("a write of a seq taken went through")
	}
	if n := metricValue(t, s, "chainhound_redis_errors_total", "refused"); n != 1 {
		t.Fatalf("chainhound_redis_errors_total{kind=refused} is %v, want 1", n)
	}
	if n := metricValue(t, s, "chainhound_redis_write_replays_total", ""); n != 0 {
		t.Fatalf("%v replays without a fault", n)
	}
}

// metricValue gathers s's collectors and returns the counter name (with
// the kind label when given), or a histogram's count.
func metricValue(t *testing.T, s *Store, name, kind string) float64 {
	t.Helper()
	r := prometheus.NewRegistry()
	for _, c := range s.Collectors() {
		if err := r.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	mfs, err := r.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if kind != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != kind) {
				continue
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// Problem, for /healthz: Redis unreachable; then, Redis back, the write
// that could not be completed; nothing once a write went through, nor on
// a standby.
func TestProblem(t *testing.T) {
	s, px, _ := faultReplica(t, Options{RetryFor: 300 * time.Millisecond})
	if p := s.Problem(ctx); p != "" {
		t.Fatalf("problem of a healthy store: %s", p)
	}
	px.setDown(true)
	if p := s.Problem(ctx); !strings.HasPrefix(p, "redis unreachable: ") {
		t.Fatalf("problem with Redis down: %q", p)
	}
	if err := s.WriteBlock(ctx, blockWithAlerts(1, 1, 10)); !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("write with Redis down: %v", err)
	}
	px.setDown(false)
	if p := s.Problem(ctx); !strings.HasPrefix(p, "redis writes failing: ") {
		t.Fatalf("problem after a failed write, Redis back: %q", p)
	}
	if err := s.WriteBlock(ctx, blockWithAlerts(1, 1, 10)); err != nil {
		t.Fatal(err)
	}
	if p := s.Problem(ctx); p != "" {
		t.Fatalf("problem after a write went through: %q", p)
	}
}

// The store no longer holds this replica's last write of chain state (a
// failover promoted a replica that had not received it: emulated by
// deleting the applied set). The next write is refused and the term
// ends, so that the next term loads the state afresh instead of writing
// on top of a store that went back.
func TestLostWriteEndsTerm(t *testing.T) {
	s, _, r := faultReplica(t, Options{})
	if err := s.WriteBlock(ctx, blockWithAlerts(1, 1, 10)); err != nil {
		t.Fatal(err)
	}
	if err := r.Client(t).Del(ctx, s.appliedKey()).Err(); err != nil {
		t.Fatal(err)
	}
	err := s.WriteBlock(ctx, store.Block{Chain: chains.Ethereum, Checkpoint: &chains.BlockRef{Number: 11, Hash: "0xb11"}})
	if !errors.Is(err, ErrLeaseLost) || !strings.Contains(err.Error(), "lost this replica's last write") {
		t.Fatalf("a write after the store lost the last one: %v, want ErrLeaseLost", err)
	}
	if s.Active() {
		t.Fatal("the term goes on over a store that lost its last write")
	}
	if ref, _, _ := s.Checkpoint(ctx, chains.Ethereum); ref.Number != 10 {
		t.Fatalf("checkpoint %d, want 10 (the refused write changed nothing)", ref.Number)
	}
	// A new term starts from what the store holds.
	if ok, _, err := s.Acquire(ctx); !ok || err != nil {
		t.Fatalf("acquire again: %v %v", ok, err)
	}
	if err := s.WriteBlock(ctx, store.Block{Chain: chains.Ethereum, Checkpoint: &chains.BlockRef{Number: 11, Hash: "0xb11"}}); err != nil {
		t.Fatalf("the new term's first write: %v", err)
	}
}
