package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/egress"
	"github.com/prometheus/client_golang/prometheus"
)

// DispatcherConfig configures webhook delivery. Zero fields take the
// defaults in brackets.
type DispatcherConfig struct {
	MaxAttempts    int           // attempts before dead-lettering [8]
	InitialBackoff time.Duration // wait after the first failure [1s]; doubles per failure
	MaxBackoff     time.Duration // cap of the wait [5m]
	Jitter         float64       // ± fraction of each wait, 0..1 [0.2]
	Timeout        time.Duration // per request [10s]
	Client         *http.Client  // [Egress.Client(): public destinations only, no proxy, no redirects]
	Egress         egress.Policy // destinations allowed despite being special (webhooks.allow_private)
	Buffer         int           // live subscription buffer [1024]
	Logger         *slog.Logger

	// Authorize, if set, is asked before a webhook's deliveries are queued
	// and again before each attempt: an error wrapping ErrNotAuthorized
	// (its key revoked, or of a role that may no longer see what the
	// webhook asks) queues nothing and dead-letters what is queued, at
	// once; another error is retried.
	Authorize func(ctx context.Context, h alerts.Webhook) error

	// Channels, if set, are the notification channels delivered to
	// besides the webhooks, through the same queue (package notify/sender).
	// Authorize is asked of each as of a webhook owned by its Key.
	Channels ChannelSet
}

// ErrNotAuthorized is wrapped by DispatcherConfig.Authorize's refusals.
var ErrNotAuthorized = errors.New("webhook not authorized")

func (c *DispatcherConfig) defaults() {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.InitialBackoff <= 0 {
		c.InitialBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Minute
	}
	if c.MaxBackoff < c.InitialBackoff {
		c.MaxBackoff = c.InitialBackoff
	}
	if c.Jitter < 0 || c.Jitter > 1 {
		c.Jitter = 0.2
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Client == nil {
		c.Client = c.Egress.Client()
	}
	if c.Buffer <= 0 {
		c.Buffer = 1024
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Backoff returns the wait after the attempts-th failed attempt, before
// jitter: InitialBackoff·2^(attempts−1), capped at MaxBackoff.
func (c DispatcherConfig) Backoff(attempts int) time.Duration {
	c.defaults()
	d := c.InitialBackoff
	for i := 1; i < attempts && d < c.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, c.MaxBackoff)
}

// DispatchStats counts deliveries since start.
type DispatchStats struct {
	Delivered    uint64 // 2xx responses
	Failures     uint64 // failed attempts
	DeadLetters  uint64 // deliveries given up
	Refused      uint64 // deliveries refused by the egress policy (dead-lettered at once)
	Unauthorized uint64 // queued deliveries dropped because the webhook's key may no longer receive them
}

// Dispatcher delivers alerts to webhooks. It follows the log from a
// durable cursor, turns each alert into one queued delivery per matching
// webhook (atomically with the cursor), and sends each tenant's queue in
// its own goroutine. The pipeline never waits for it: it reads the log like
// any subscriber and, when it falls behind, resumes from its cursor.
type Dispatcher struct {
	log *alerts.Log
	st  alerts.WebhookStore
	cfg DispatcherConfig
	lg  *slog.Logger

	delivered, failures, dead, refused, unauthorized atomic.Uint64

	mu     sync.Mutex
	queues map[string]*tenantQueue
	stop   chan struct{}
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

type tenantQueue struct {
	mu      sync.Mutex
	pending []alerts.Delivery
	wake    chan struct{}
}

// NewDispatcher returns a dispatcher of log's alerts to the webhooks in st.
func NewDispatcher(log *alerts.Log, st alerts.WebhookStore, cfg DispatcherConfig) *Dispatcher {
	cfg.defaults()
	return &Dispatcher{log: log, st: st, cfg: cfg, lg: cfg.Logger.With("component", "webhooks"), queues: map[string]*tenantQueue{}}
}

// Start resumes the stored queue and starts delivering. Stop it with Close.
func (d *Dispatcher) Start(ctx context.Context) error {
	pending, err := d.st.PendingDeliveries(ctx)
	if err != nil {
		return fmt.Errorf("start webhook dispatcher: %w", err)
	}
	d.ctx, d.cancel = context.WithCancel(context.WithoutCancel(ctx))
	d.stop = make(chan struct{})
	d.add(pending)
	if len(pending) > 0 {
		d.lg.Info("resuming webhook deliveries", "pending", len(pending))
	}
	d.wg.Add(1)
	go d.feed()
	return nil
}

// Close stops delivery and waits for it. A request in flight is allowed
// to finish (at most Timeout) so its outcome is recorded; what is left
// stays queued for the next Start.
func (d *Dispatcher) Close() {
	if d.stop == nil {
		return
	}
	close(d.stop)
	d.cancel()
	d.wg.Wait()
	d.stop = nil
	// The tenants' senders are gone: a Start after this one (a replica
	// active again) makes new ones from the stored queue.
	d.mu.Lock()
	d.queues = map[string]*tenantQueue{}
	d.mu.Unlock()
}

// Stats returns the counters.
func (d *Dispatcher) Stats() DispatchStats {
	return DispatchStats{Delivered: d.delivered.Load(), Failures: d.failures.Load(), DeadLetters: d.dead.Load(),
		Refused: d.refused.Load(), Unauthorized: d.unauthorized.Load()}
}

// Collectors returns Prometheus collectors of the counters, for the api's
// registry: chainhound_webhook_deliveries_total,
// chainhound_webhook_failures_total, chainhound_webhook_dead_letters_total,
// chainhound_webhook_refused_total, chainhound_webhook_unauthorized_total.
func (d *Dispatcher) Collectors() []prometheus.Collector {
	c := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	return []prometheus.Collector{
		c("chainhound_webhook_deliveries_total", "Webhook deliveries answered with 2xx.", &d.delivered),
		c("chainhound_webhook_failures_total", "Failed webhook delivery attempts.", &d.failures),
		c("chainhound_webhook_dead_letters_total", "Webhook deliveries dead-lettered after the last attempt.", &d.dead),
		c("chainhound_webhook_refused_total", "Webhook deliveries refused because the address dialled is not public (webhooks.allow_private), dead-lettered at once.", &d.refused),
		c("chainhound_webhook_unauthorized_total", "Queued webhook deliveries dropped because the webhook's key is revoked or may no longer receive them.", &d.unauthorized),
	}
}

// feed follows the log from the cursor until Close; after an error, again
// from the cursor a second later.
func (d *Dispatcher) feed() {
	defer d.wg.Done()
	for {
		err := d.follow()
		select {
		case <-d.stop:
			return
		default:
		}
		d.lg.Warn("webhook feed", "err", err)
		select {
		case <-d.stop:
			return
		case <-time.After(time.Second):
		}
	}
}

// follow follows the log from the stored cursor (alerts.Log.Follow):
// the backlog in pages, then live, one queue write per batch. It returns
// only with an error (ctx's at Close).
func (d *Dispatcher) follow() error {
	cursor, err := d.st.DeliveryCursor(d.ctx)
	if err != nil {
		return err
	}
	return d.log.FollowBatches(d.ctx, cursor, d.cfg.Buffer, 500, func(as []alerts.Alert) error {
		var err error
		cursor, err = d.enqueue(as, cursor)
		return err
	})
}

// enqueue stores one delivery per (alert, matching webhook) and the new
// cursor, then hands them to the tenant queues.
func (d *Dispatcher) enqueue(as []alerts.Alert, cursor uint64) (uint64, error) {
	hooks, err := d.authorized()
	if err != nil {
		return cursor, err
	}
	dests, err := d.authorizedChannels()
	if err != nil {
		return cursor, err
	}
	now := time.Now().UTC()
	var ds []alerts.Delivery
	for _, a := range as {
		var body []byte
		encode := func() error {
			if body == nil {
				if body, err = json.Marshal(a); err != nil {
					return fmt.Errorf("encode alert %d: %w", a.Seq, err)
				}
			}
			return nil
		}
		for _, h := range hooks {
			if !h.Wants(a) {
				continue
			}
			if err := encode(); err != nil {
				return cursor, err
			}
			ds = append(ds, alerts.Delivery{Seq: a.Seq, Tenant: h.Tenant, Body: body, Next: now, Created: now})
		}
		for _, dest := range dests {
			if !dest.receives(a) {
				continue
			}
			if err := encode(); err != nil {
				return cursor, err
			}
			ds = append(ds, alerts.Delivery{Seq: a.Seq, Tenant: dest.Tenant, Channel: dest.Channel, Body: body, Next: now, Created: now})
		}
	}
	last := as[len(as)-1].Seq
	if err := d.st.EnqueueDeliveries(d.ctx, ds, last); err != nil {
		return cursor, fmt.Errorf("queue deliveries of alerts %d..%d: %w", as[0].Seq, last, err)
	}
	d.add(ds)
	return last, nil
}

// authorized returns the webhooks whose keys may receive deliveries.
func (d *Dispatcher) authorized() ([]alerts.Webhook, error) {
	hooks, err := d.st.ListWebhooks(d.ctx)
	if err != nil || d.cfg.Authorize == nil {
		return hooks, err
	}
	ok := hooks[:0]
	for _, h := range hooks {
		err := d.cfg.Authorize(d.ctx, h)
		switch {
		case err == nil:
			ok = append(ok, h)
		case errors.Is(err, ErrNotAuthorized):
			d.lg.Debug("webhook skipped", "tenant", h.Tenant, "reason", err)
		default:
			return nil, fmt.Errorf("authorize webhook of %s: %w", h.Tenant, err)
		}
	}
	return ok, nil
}

// authorizedChannels returns the channels whose keys may receive
// deliveries.
func (d *Dispatcher) authorizedChannels() ([]Destination, error) {
	if d.cfg.Channels == nil {
		return nil, nil
	}
	dests, err := d.cfg.Channels.Destinations(d.ctx)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	if d.cfg.Authorize == nil {
		return dests, nil
	}
	ok := dests[:0]
	for _, dest := range dests {
		err := d.cfg.Authorize(d.ctx, dest.owner())
		switch {
		case err == nil:
			ok = append(ok, dest)
		case errors.Is(err, ErrNotAuthorized):
			d.lg.Debug("channel skipped", "tenant", dest.Tenant, "channel", dest.Channel, "reason", err)
		default:
			return nil, fmt.Errorf("authorize channel %s of %s: %w", dest.Channel, dest.Tenant, err)
		}
	}
	return ok, nil
}

// add appends ds to their destinations' queues, starting a sender per new
// destination.
func (d *Dispatcher) add(ds []alerts.Delivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, dl := range ds {
		k := queueKey(dl)
		q := d.queues[k]
		if q == nil {
			q = &tenantQueue{wake: make(chan struct{}, 1)}
			d.queues[k] = q
			d.wg.Add(1)
			go d.send(q)
		}
		q.mu.Lock()
		q.pending = append(q.pending, dl)
		q.mu.Unlock()
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// send delivers one destination's queue (a tenant's webhook, or one
// channel) in order.
func (d *Dispatcher) send(q *tenantQueue) {
	defer d.wg.Done()
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.mu.Unlock()
			select {
			case <-d.stop:
				return
			case <-q.wake:
				continue
			}
		}
		dl := q.pending[0]
		q.mu.Unlock()
		if wait := time.Until(dl.Next); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-d.stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
		select {
		case <-d.stop:
			return
		default:
		}
		done := d.attempt(&dl)
		q.mu.Lock()
		if done {
			q.pending = q.pending[1:]
		} else {
			q.pending[0] = dl
		}
		q.mu.Unlock()
	}
}

// attempt makes one delivery attempt and records its outcome; it reports
// whether dl left the queue.
func (d *Dispatcher) attempt(dl *alerts.Delivery) bool {
	ctx := context.WithoutCancel(d.ctx) // let a started attempt finish and be recorded
	lg := d.lg.With("tenant", dl.Tenant, "seq", dl.Seq)
	if dl.Channel != "" {
		lg = lg.With("channel", dl.Channel)
	}
	owner, deliver, ok, err := d.destination(ctx, dl)
	if err != nil {
		lg.Warn("delivery destination lookup", "err", err)
		dl.Next = time.Now().Add(d.cfg.InitialBackoff)
		return false
	}
	if !ok {
		dl.LastError = "webhook deleted"
		if dl.Channel != "" {
			dl.LastError = "channel removed"
		}
		d.finish(ctx, lg, dl, true)
		return true
	}
	if d.cfg.Authorize != nil {
		if err := d.cfg.Authorize(ctx, owner); errors.Is(err, ErrNotAuthorized) {
			d.unauthorized.Add(1)
			dl.LastError = "not delivered: " + err.Error()
			lg.Info("delivery dropped", "reason", err)
			d.finish(ctx, lg, dl, true)
			return true
		} else if err != nil {
			lg.Warn("delivery authorization", "err", err)
			dl.Next = time.Now().Add(d.cfg.InitialBackoff)
			return false
		}
	}
	err = deliver()
	if err == nil {
		d.finish(ctx, lg, dl, false)
		return true
	}
	d.failures.Add(1)
	dl.Attempts++
	dl.LastError = err.Error()
	if refused := (*egress.RefusedError)(nil); errors.As(err, &refused) {
		// Retrying cannot help until the operator changes the allow-list
		// (or the name resolves elsewhere): give up at once.
		d.refused.Add(1)
		lg.Warn("delivery refused: destination not public", "err", err)
		d.finish(ctx, lg, dl, true)
		return true
	}
	if dl.Attempts >= d.cfg.MaxAttempts {
		lg.Warn("webhook delivery dead-lettered", "attempts", dl.Attempts, "err", err)
		d.finish(ctx, lg, dl, true)
		return true
	}
	wait := d.cfg.Backoff(dl.Attempts)
	if j := d.cfg.Jitter; j > 0 {
		wait = time.Duration(float64(wait) * (1 - j + 2*j*rand.Float64()))
	}
	if ra := (*RetryAfterError)(nil); errors.As(err, &ra) {
		wait = max(wait, ra.After) // the receiver's word: not sooner
	}
	dl.Next = time.Now().Add(wait).UTC()
	lg.Info("webhook delivery failed", "attempt", dl.Attempts, "retry_in", wait, "err", err)
	if err := d.st.UpdateDelivery(ctx, *dl); err != nil {
		lg.Warn("record webhook attempt", "err", err)
	}
	return false
}

// destination returns who owns dl's destination (for Authorize) and a
// function making one attempt; false when the webhook or channel is gone.
func (d *Dispatcher) destination(ctx context.Context, dl *alerts.Delivery) (alerts.Webhook, func() error, bool, error) {
	if dl.Channel == "" {
		hook, ok, err := d.st.GetWebhook(ctx, dl.Tenant)
		if err != nil || !ok {
			return alerts.Webhook{}, nil, ok, err
		}
		return hook, func() error { return d.post(ctx, hook, dl) }, true, nil
	}
	if d.cfg.Channels == nil {
		return alerts.Webhook{}, nil, false, nil
	}
	dest, ok, err := d.cfg.Channels.Destination(ctx, dl.Tenant, dl.Channel)
	if err != nil || !ok {
		return alerts.Webhook{}, nil, ok, err
	}
	return dest.owner(), func() error {
		ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
		defer cancel()
		return d.cfg.Channels.Send(ctx, dest, *dl)
	}, true, nil
}

func (d *Dispatcher) finish(ctx context.Context, lg *slog.Logger, dl *alerts.Delivery, dead bool) {
	if dead {
		dl.Dead = time.Now().UTC()
	}
	if err := d.st.FinishDelivery(ctx, *dl, dead); err != nil {
		lg.Warn("record webhook delivery", "dead", dead, "err", err)
	}
	// Counted once recorded: whoever reads the counters finds the store
	// in step (a dead letter counted is one that can be listed).
	if dead {
		d.dead.Add(1)
	} else {
		d.delivered.Add(1)
	}
}

func (d *Dispatcher) post(ctx context.Context, h alerts.Webhook, dl *alerts.Delivery) error {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(dl.Body))
	if err != nil {
		return fmt.Errorf("build request to %s: %w", h.SafeURL(), bareURLError(err))
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "chainhound-webhook")
	req.Header.Set(alerts.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(alerts.HeaderSignature, alerts.Sign(h.Secret, ts, dl.Body))
	req.Header.Set(alerts.HeaderSeq, strconv.FormatUint(dl.Seq, 10))
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("post to %s: %w", h.SafeURL(), bareURLError(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post to %s: %w", h.SafeURL(), HTTPError(resp))
	}
	return nil
}

// bareURLError drops the *url.Error around err: its text repeats the URL,
// user name included.
func bareURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
