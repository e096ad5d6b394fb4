package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
)

// hubFeedBuffer is the hub's own buffer on the alert log. Should the hub
// fall that far behind, the log drops it and the hub catches up from the
// store (alerts.Log.Follow): it never makes Append wait. hubFeedBatch is
// the most alerts handed to the hub at once.
const (
	hubFeedBuffer = 8192
	hubFeedBatch  = 256
)

// fanMsg is one alert ready to send: encoded once, shared by every
// subscriber. It is the JSON alone, not a websocket.PreparedMessage:
// without compression a prepared frame saves each subscriber only the
// copy of the payload into its (pooled) write buffer, but costs a 4 KiB
// scratch buffer per alert and keeps a second copy of the frame alive in
// the ring, which at 1,000 alerts/s was most of the hub's garbage.
type fanMsg struct {
	alert alerts.Alert
	data  []byte
	// event: data is a triage event, not an alert (alert is zero); it is
	// written whatever the connection's last seq.
	event bool
}

// kick reasons, passed by the hub to wsConn.kick.
const (
	kickSlow = iota + 1
	kickShutdown
	kickRevoked // not the hub: the key was revoked (wsRegistry.revoke)
)

// subscriber is one websocket connection as the hub sees it.
type subscriber struct {
	key    apikey.Key
	filter Filter
	out    *wsConn // its bounded queue and writer; the hub never blocks on it
	// Owned by the hub goroutine.
	after uint64 // skip alerts with Seq ≤ after (served by the catch-up)
	in    bool   // in the set
}

// wants reports whether s wants alert m. An alert the hub fans out is new
// (just appended): a status filter without new skips it.
func (s *subscriber) wants(m *fanMsg) bool {
	return m.alert.Seq > s.after && s.filter.Match(&m.alert) && s.filter.MatchStatus(alerts.StatusNew)
}

// wantsTriage reports whether s is told of ev: its tenant's, and with a
// status filter, a change to or from one of its statuses.
func (s *subscriber) wantsTriage(ev *alerts.TriageEvent) bool {
	if s.key.Tenant != ev.Triage.Tenant {
		return false
	}
	if s.filter.MatchStatus(ev.Triage.Status) {
		return true
	}
	for _, c := range ev.Changes {
		if c.Field == "status" && s.filter.MatchStatus(c.From) {
			return true
		}
	}
	return false
}

type joinReq struct {
	sub   *subscriber
	after uint64
	ok    chan bool // false: after is older than the ring; page more
}

// hub owns the subscriber set and fans alerts out.
type hub struct {
	log     AlertLog
	cfg     Config
	metrics *Metrics
	logger  *slog.Logger

	join   chan joinReq
	leave  chan *subscriber
	triage chan alerts.TriageEvent // triaged's queue
	done   chan struct{}           // closed when run returns

	// Owned by run.
	all      map[*subscriber]struct{}            // admin and investigator keys: every alert
	byTenant map[string]map[*subscriber]struct{} // others: alerts whose Audience has the tenant
	ring     []*fanMsg                           // the last RingSize alerts
	ringHead int
	floor    uint64 // every alert with Seq > floor is in the ring or later
	last     uint64 // the last alert fanned out
}

func newHub(log AlertLog, cfg Config, m *Metrics, logger *slog.Logger) *hub {
	return &hub{
		log: log, cfg: cfg, metrics: m, logger: logger,
		join:     make(chan joinReq),
		leave:    make(chan *subscriber, 64),
		triage:   make(chan alerts.TriageEvent, triageQueue),
		done:     make(chan struct{}),
		all:      map[*subscriber]struct{}{},
		byTenant: map[string]map[*subscriber]struct{}{},
	}
}

// subscribe places the hub on the log: it fans out every alert after
// the log's Last now (run follows the log from there, paging what was
// appended before it subscribes). Called before run, synchronously.
func (h *hub) subscribe() {
	if h.log == nil {
		return
	}
	h.last = h.log.Last()
	h.floor = h.last
}

// run fans alerts out from the log until ctx is done, then tells every
// subscriber to go away.
func (h *hub) run(ctx context.Context) {
	defer close(h.done)
	if h.log == nil {
		<-ctx.Done()
		return
	}
	feed := make(chan []alerts.Alert)
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		h.follow(ctx, h.last, feed)
	}()
	defer func() { <-followed }()
	for {
		select {
		case <-ctx.Done():
			h.shutdown()
			return
		case as := <-feed:
			for _, a := range as {
				h.fanOut(a)
			}
		case j := <-h.join:
			j.ok <- h.add(j.sub, j.after)
		case s := <-h.leave:
			h.remove(s)
		case ev := <-h.triage:
			h.fanTriage(ev)
		}
	}
}

// follow hands run the log's alerts after after, in batches, through
// feed (alerts.Log.Follow: the stored ones, then live; a hub that fell
// behind pages the store again). A store error is retried with backoff
// until ctx is done.
func (h *hub) follow(ctx context.Context, after uint64, feed chan<- []alerts.Alert) {
	backoff := chains.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for {
		err := h.log.FollowBatches(ctx, after, hubFeedBuffer, hubFeedBatch, func(as []alerts.Alert) error {
			select {
			case feed <- slices.Clone(as):
				after = as[len(as)-1].Seq
				backoff.Reset()
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if ctx.Err() != nil {
			return
		}
		h.logger.Error("websocket hub: read alert log", "after", after, "err", err)
		if !chains.Sleep(ctx, backoff.Next()) {
			return
		}
	}
}

// triageQueue is how many triage events wait for the hub; past it an
// event is dropped (logged): subscribers read the triage from the alerts.
const triageQueue = 1024

// triaged queues ev for the tenant's subscribers without blocking.
func (h *hub) triaged(ev alerts.TriageEvent) {
	select {
	case h.triage <- ev:
	case <-h.done:
	default:
		h.logger.Warn("websocket hub: triage events queue full; event dropped", "seq", ev.Triage.Seq, "tenant", ev.Triage.Tenant)
	}
}

// fanTriage sends ev to the subscribers of its tenant that want it.
func (h *hub) fanTriage(ev alerts.TriageEvent) {
	data, err := encodeTriageMsg(ev)
	if err != nil {
		h.logger.Error("websocket hub: encode triage event", "seq", ev.Triage.Seq, "err", err)
		return
	}
	m := &fanMsg{data: data, event: true}
	offer := func(s *subscriber) {
		if !s.wantsTriage(&ev) {
			return
		}
		if !s.out.push(m) {
			h.metrics.WSDropped.Inc()
			h.kick(s, kickSlow)
		}
	}
	for s := range h.all {
		offer(s)
	}
	for s := range h.byTenant[ev.Triage.Tenant] {
		offer(s)
	}
}

func (h *hub) fanOut(a alerts.Alert) {
	h.last = a.Seq
	h.metrics.Alerts.WithLabelValues(a.Type).Inc()
	data, err := json.Marshal(a)
	if err != nil {
		h.logger.Error("websocket hub: encode alert", "seq", a.Seq, "err", err)
		return
	}
	m := &fanMsg{alert: a, data: data}
	h.remember(m)
	for s := range h.all {
		h.offer(s, m)
	}
	for _, t := range a.Audience { // each tenant once (alerts.Log)
		for s := range h.byTenant[t] {
			h.offer(s, m)
		}
	}
}

// offer queues m for s without blocking; a full queue drops s.
func (h *hub) offer(s *subscriber, m *fanMsg) {
	if !s.wants(m) {
		return
	}
	if !s.out.push(m) {
		h.metrics.WSDropped.Inc()
		h.logger.Info("websocket subscriber too slow; dropped", "key", s.key.ID, "tenant", s.key.Tenant, "seq", m.alert.Seq)
		h.kick(s, kickSlow)
	}
}

func (h *hub) remember(m *fanMsg) {
	if len(h.ring) < h.cfg.RingSize {
		h.ring = append(h.ring, m)
		return
	}
	h.floor = h.ring[h.ringHead].alert.Seq
	h.ring[h.ringHead] = m
	h.ringHead = (h.ringHead + 1) % len(h.ring)
}

// add joins s to the set after seq after, replaying from the ring what
// the hub fanned out since. It refuses when the ring no longer reaches
// back to after.
func (h *hub) add(s *subscriber, after uint64) bool {
	if after < h.floor {
		return false
	}
	s.after = after
	s.in = true
	if seesAllAlerts(s.key) {
		h.all[s] = struct{}{}
	} else {
		set := h.byTenant[s.key.Tenant]
		if set == nil {
			set = map[*subscriber]struct{}{}
			h.byTenant[s.key.Tenant] = set
		}
		set[s] = struct{}{}
	}
	h.metrics.WSSubscribers.Inc()
	n := len(h.ring)
	for i := 0; i < n && s.in; i++ {
		m := h.ring[(h.ringHead+i)%n]
		if m.alert.Seq > after && seesAlert(s.key, m.alert.Audience) {
			h.offer(s, m)
		}
	}
	return true
}

func (h *hub) remove(s *subscriber) {
	if !s.in {
		return
	}
	s.in = false
	if seesAllAlerts(s.key) {
		delete(h.all, s)
	} else if set := h.byTenant[s.key.Tenant]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(h.byTenant, s.key.Tenant)
		}
	}
	h.metrics.WSSubscribers.Dec()
}

func (h *hub) kick(s *subscriber, reason int) {
	h.remove(s)
	s.out.kick(reason)
}

func (h *hub) shutdown() {
	for s := range h.all {
		h.kick(s, kickShutdown)
	}
	for _, set := range h.byTenant {
		for s := range set {
			h.kick(s, kickShutdown)
		}
	}
}

// joinHub asks the hub to add s after seq after. ok is false when the
// catch-up must page further; closed is true when the hub has stopped.
func (h *hub) joinHub(s *subscriber, after uint64) (ok, closed bool) {
	req := joinReq{sub: s, after: after, ok: make(chan bool, 1)}
	select {
	case h.join <- req:
	case <-h.done:
		return false, true
	}
	select {
	case ok := <-req.ok:
		return ok, false
	case <-h.done:
		return false, true
	}
}

// leaveHub removes s (a no-op if the hub dropped it already).
func (h *hub) leaveHub(s *subscriber) {
	select {
	case h.leave <- s:
	case <-h.done:
	}
}
