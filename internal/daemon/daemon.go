// Package daemon wires chainhound's parts into the running service: the
// store, watchlists and incidents, the tracer, the alert log with its
// raiser and webhook dispatcher, the followers and the API. `serve`,
// `demo` and the end-to-end tests all run this one assembly. The chains
// it can follow are registered in chains.go, one entry per chain.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/alerts/deliver"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/internal/egress"
	"github.com/chainhound/chainhound/notify/sender"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/store/redis"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/prometheus/client_golang/prometheus"
)

// ShutdownTimeout bounds a clean shutdown.
const ShutdownTimeout = 5 * time.Second

// Options are what the caller provides beyond the configuration.
type Options struct {
	Logger *slog.Logger
	// Listener serves the API; nil listens on cfg.API.Listen.
	Listener net.Listener
	// NoShippedLabels skips loading the embedded label sets.
	NoShippedLabels bool
}

// Daemon is the assembled service.
type Daemon struct {
	cfg *config.Config
	log *slog.Logger
	ln  net.Listener

	Store     store.Backend
	Registry  *watchlists.Registry
	Incidents *watchlists.TrackedBook // tells the engine (engineTracker)
	// engine is swapped for one loaded afresh from the store each time a
	// replica becomes active (Engine reads it).
	engMu      sync.RWMutex
	engine     *tracer.Engine
	Alerts     *alerts.Log
	Raiser     *alerts.Raiser
	Dispatcher *deliver.Dispatcher
	API        *api.Server

	// backends are the followed chains, in the registration order
	// (registered, chains.go): the order their followers start.
	backends []followed

	// history loads the history of the Tornado pools the tracer sees
	// (their deposits before chainhound first saw them).
	history     *tornado.Bootstrap
	historyWake chan struct{} // a pool seen for the first time (every engine's recogniser)

	// rs is the Redis store when this process is a replica: it follows
	// the chains only while it holds their leases (nil: pebble, always).
	rs      *redis.Store
	active  atomic.Bool // following the chains (a term is running)
	chgHead string      // the change stream's last id when memory was loaded

	running   bool            // Run started the API and followers
	runCtx    context.Context // Run's, for engineTracker
	closeOnce sync.Once
}

// Open assembles the daemon on cfg: it opens the store (refusing a data
// directory in use) and loads watchlists, incidents, taint state and the
// alert log. Nothing is followed or served until Run.
func Open(ctx context.Context, cfg *config.Config, opts Options) (_ *Daemon, err error) {
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	d := &Daemon{cfg: cfg, log: lg, historyWake: make(chan struct{}, 1)}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.Store, d.rs, err = openStore(ctx, cfg, lg); err != nil {
		return nil, err
	}
	if d.rs != nil {
		// Changes other replicas make from now on reach this one's memory
		// (followChanges); what came before, Load reads.
		if d.chgHead, err = d.rs.ChangesHead(ctx); err != nil {
			return nil, err
		}
	}
	networks := Networks(cfg)

	d.Registry = watchlists.NewRegistry(d.Store, networks)
	if !opts.NoShippedLabels {
		// Shipped first: a stored entry for the same key replaces it.
		n, err := d.Registry.LoadShipped()
		if err != nil {
			return nil, fmt.Errorf("load shipped labels: %w", err)
		}
		lg.Info("shipped labels loaded", "entries", n)
	}
	if err := d.Registry.Load(ctx); err != nil {
		return nil, err
	}
	d.Incidents = watchlists.Tracked(watchlists.NewIncidentBook(d.Store, networks), engineTracker{d})
	d.Incidents.DefaultPolicy = watchlists.Policy(cfg.Tracer.Policy)
	d.Incidents.Check = d.checkSeeds
	if err := d.Incidents.Load(ctx); err != nil {
		return nil, err
	}

	if d.Alerts, err = alerts.OpenLog(ctx, d.Store, alerts.Retention{MaxCount: cfg.Alerts.Retention.MaxCount, MaxAge: cfg.Alerts.Retention.MaxAge}); err != nil {
		return nil, err
	}
	confs := map[chains.Chain]int{}
	for _, s := range registered {
		if sec := s.section(cfg); sec != nil {
			confs[s.chain] = sec.Confirmations
		}
	}
	if d.Raiser, err = alerts.NewRaiser(d.Alerts, d.Store, alerts.RaiserConfig{
		Confirmations: confs,
		IncidentOwner: func(ctx context.Context, id string) (string, error) {
			inc, err := d.Incidents.Get(id)
			if err != nil {
				return "", nil // an engine incident the book never saw: no tenant
			}
			return inc.Owner, nil
		},
		Logger: lg,
	}); err != nil {
		return nil, err
	}
	// Webhooks reach public addresses only, but those the operator allows
	// (checked at registration and on the address dialled), and only while
	// the key that registered them may receive them.
	// Notification channels (Slack, email, ...) are delivered through the
	// same queue, under the same egress policy and owner check.
	egressPolicy := egress.Policy{Allow: cfg.Webhooks.AllowPrivatePrefixes}
	channels := sender.New(d.Store, sender.Options{Egress: egressPolicy, PublicURL: cfg.API.PublicURL})
	d.Dispatcher = deliver.NewDispatcher(d.Alerts, d.Store, deliver.DispatcherConfig{
		Logger:    lg,
		Egress:    egressPolicy,
		Authorize: api.WebhookAuthorizer(d.Store),
		Channels:  channels,
	})

	if err := d.openFollowers(); err != nil {
		return nil, err
	}
	if err := d.openEngine(ctx); err != nil {
		return nil, err
	}

	d.API = api.New(api.Config{
		AllowedOrigins:         cfg.API.Origins,
		MaxWebsocketsPerKey:    cfg.API.MaxWebsocketsPerKey,
		MaxWebsocketsPerTenant: cfg.API.MaxWebsocketsPerTenant,
		Networks:               networks,
		Logger:                 lg,
	}, api.Deps{
		Keys:      d.Store,
		Alerts:    d.Alerts,
		Watchlist: d.Registry,
		Incidents: d.Incidents,
		Summaries: api.SummaryFunc(func(id string) (tracer.IncidentSummary, bool) { return d.Engine().Summary(id) }),
		Tracer:    newTraceAPI(d),
		Health:    api.HealthFunc(d.ChainStatus),
		Replica:   d.replicaInfo(),
		Webhooks:  deliver.NewWebhooks(d.Store, egressPolicy),
		Triage:    d.Store,
		TriageBus: d.triageBus(),
		Channels:  channels,
		Screener:  d.newScreener(),
	})
	// The dispatcher counts webhook deliveries itself (chainhound_webhook_*).
	if err := registerWebhookMetrics(d.API.Metrics(), d.Dispatcher); err != nil {
		return nil, err
	}
	if err := registerStoreMetrics(d.API.Metrics(), d.Store); err != nil {
		return nil, err
	}
	for _, f := range d.backends {
		if f.spec.attach != nil {
			if err := f.spec.attach(d, f.b); err != nil {
				return nil, err
			}
		}
	}
	if opts.Listener != nil {
		d.ln = opts.Listener
	} else if d.ln, err = net.Listen("tcp", cfg.API.Listen); err != nil {
		return nil, fmt.Errorf("api listen %s: %w", cfg.API.Listen, err)
	}
	return d, nil
}

func (d *Daemon) openFollowers() error {
	var err error
	d.backends, err = openBackends(d.cfg, d.Store, d.log)
	return err
}

// EngineConfig is the taint engine's configuration from the tracer
// section: the one mapping the daemon and replay share, so that an
// offline replay raises what the daemon would.
func EngineConfig(t config.Tracer) tracer.Config {
	dust := map[chains.Chain]*big.Int{}
	for c, v := range t.DustAmounts {
		dust[chains.Chain(c)] = v
	}
	drain := map[chains.Chain]*big.Int{}
	for c, v := range t.Drain.Amounts {
		drain[chains.Chain(c)] = v
	}
	floor := t.ConfidenceFloor // validated in (0, 1] by config, default 0.25
	return tracer.Config{
		Dust:            dust,
		MaxHops:         t.MaxHops,
		Policy:          watchlists.Policy(t.Policy),
		MinShare:        t.MinShare,
		ConfidenceFloor: &floor,
		// Journals as deep as the followers undo, so that any reorg a
		// follower reports can be undone.
		FinalityDepth: finalityDepth(),
		Drain: tracer.DrainConfig{
			Window:       t.Drain.Window,
			MinAmount:    drain,
			MinShare:     t.Drain.Share,
			AutoIncident: t.AutoIncident,
		},
	}
}

func (d *Daemon) openEngine(ctx context.Context) error {
	learner, err := learnedBook(ctx, d.Registry, d.log)
	if err != nil {
		return fmt.Errorf("learned deposit addresses: %w", err)
	}
	deps := tracer.Deps{
		Store:     d.Store,
		Labels:    d.Registry,
		Sink:      findingCounter{d},
		Incidents: d.Incidents,
		Learner:   learner,
		Sources:   map[chains.Chain]chains.BlockSource{},
		Locators:  map[chains.Chain]chains.TxLocator{},
		Logger:    d.log,
	}
	for _, f := range d.backends {
		c := f.spec.chain
		deps.Sources[c] = f.b
		deps.Locators[c] = f.b
		// One reader of each kind: the tracer reads balances of the
		// account-model chain, prevouts of the UTXO one.
		if br, ok := f.b.(chains.BalanceReader); ok {
			deps.Balances = br
		}
		if pr, ok := f.b.(chains.PrevoutResolver); ok {
			deps.Prevouts = pr
		}
		if f.spec.engine != nil {
			f.spec.engine(d, f.b, &deps)
		}
	}
	// THORChain swaps cross the chains: its recogniser reads every chain.
	deps.Recognisers = append(deps.Recognisers, thorchain.New(d.Registry, d.log))
	cfg := EngineConfig(d.cfg.Tracer)
	if x := d.cfg.Index; !x.Off {
		if indexStore(d.Store) {
			cfg.Index = tracer.IndexConfig{Enabled: true, Retain: x.For, RetainBlocks: x.Blocks}
		} else {
			d.log.Warn("the store cannot hold the transfer index: late incidents and traces need an archive node", "store", d.cfg.Store.Backend)
		}
	}
	eng, err := tracer.New(cfg, deps)
	if err != nil {
		return fmt.Errorf("tracer: %w", err)
	}
	if err := eng.Load(ctx); err != nil {
		eng.Close()
		return fmt.Errorf("tracer: %w", err)
	}
	d.engMu.Lock()
	old := d.engine
	d.engine = eng
	d.engMu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// Engine returns the taint engine (on a replica, the one of its current
// or last term).
func (d *Daemon) Engine() *tracer.Engine {
	d.engMu.RLock()
	defer d.engMu.RUnlock()
	return d.engine
}

// engineState is the engine of the moment, for the Tornado history loader.
type engineState struct{ d *Daemon }

func (e engineState) RecogniserState(c chains.Chain, name, key string) ([]byte, bool) {
	return e.d.Engine().RecogniserState(c, name, key)
}

func (e engineState) RecogniserKeys(c chains.Chain, name, prefix string) []string {
	return e.d.Engine().RecogniserKeys(c, name, prefix)
}

func (e engineState) PutRecogniserState(ctx context.Context, c chains.Chain, name string, values map[string][]byte) error {
	return e.d.Engine().PutRecogniserState(ctx, c, name, values)
}

// Addr is the API's listening address.
func (d *Daemon) Addr() string { return d.ln.Addr().String() }

// ChainStatus reports each follower's progress for /healthz.
func (d *Daemon) ChainStatus() map[chains.Chain]chains.Status {
	out := make(map[chains.Chain]chains.Status, len(d.backends))
	for _, f := range d.backends {
		out[f.spec.chain] = f.b.Status()
	}
	return out
}

// Run follows the chains and serves the API until ctx is done or a part
// fails; then it shuts down, within ShutdownTimeout, and closes the store.
// A replica (Redis) serves the API at once and follows the chains only
// while it holds their leases: it stands by until it can take them, and
// stands by again, without exiting, when it loses them.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// The incident book's tracker (engineTracker) hands the engine the
	// incidents opened and closed from now on, with this context.
	d.runCtx = ctx

	var wg sync.WaitGroup
	run := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && !errors.Is(err, context.Canceled) {
				d.log.Error("stopped", "part", name, "err", err)
				cancel(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	d.running = true
	run("api", func(ctx context.Context) error { return d.API.Serve(ctx, d.ln) })
	for _, f := range d.backends {
		if f.spec.backfill != nil {
			wg.Add(1)
			go func() { defer wg.Done(); d.reportBackfill(ctx, f) }()
		}
	}
	if d.rs == nil {
		run("chains", d.term)
	} else {
		// The alerts the active replica appends reach this one's
		// subscribers through the stream.
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.Alerts.FollowTail(ctx, d.rs, func(err error) { d.log.Warn("follow the alert stream", "err", err) })
		}()
		wg.Add(1)
		go func() { defer wg.Done(); d.followChanges(ctx) }()
		run("replica", d.lead)
	}
	attrs := []any{"api", "http://" + d.Addr(), "chains", len(d.backends), "store", d.cfg.Store.Backend, "data_dir", d.cfg.DataDir}
	if d.rs != nil {
		attrs = append(attrs, "replica", d.rs.Replica())
	}
	d.log.Info("chainhound running", attrs...)

	<-ctx.Done()
	cause := context.Cause(ctx)
	d.log.Info("shutting down", "cause", cause)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		d.log.Info("stopped: every part finished; closing the store")
	case <-time.After(ShutdownTimeout):
		d.log.Warn("shutdown: parts still running after timeout; closing the store anyway", "timeout", ShutdownTimeout)
	}
	if errors.Is(cause, context.Canceled) {
		return nil
	}
	return cause
}

// followChanges applies to memory the watchlist entries and incidents
// that any replica writes, as the change stream names them, within about
// a second; when it fell behind the stream's cap it reads them all again.
func (d *Daemon) followChanges(ctx context.Context) {
	after := d.chgHead
	for ctx.Err() == nil {
		cs, behind, err := d.rs.Changes(ctx, after, time.Second)
		if err == nil && behind {
			err = d.reloadShared(ctx, &after)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.log.Warn("follow the change stream", "after", after, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		for _, c := range cs {
			if c.All {
				if err := d.Registry.Load(ctx); err != nil {
					d.log.Warn("reload watchlist entries", "err", err)
					break
				}
			}
			d.Registry.Apply(c.Puts, c.Dels)
			for _, inc := range c.Incidents {
				d.Incidents.Refresh(inc)
			}
			after = c.ID
		}
	}
}

// reloadShared reads every entry and incident again, moving *after to
// the change stream's head first.
func (d *Daemon) reloadShared(ctx context.Context, after *string) error {
	head, err := d.rs.ChangesHead(ctx)
	if err != nil {
		return err
	}
	d.log.Warn("change stream trimmed past this replica: reading every entry and incident again")
	if err := d.Registry.Load(ctx); err != nil {
		return err
	}
	incs, err := d.Store.Incidents(ctx)
	if err != nil {
		return err
	}
	for _, inc := range incs {
		d.Incidents.Refresh(inc)
	}
	*after = head
	return nil
}

// lead takes the leases whenever they are free (trying every 200 ms) and
// runs a term while it holds them, until ctx is done or a term fails for another reason than
// their loss.
func (d *Daemon) lead(ctx context.Context) error {
	// A standby tries often (one cheap script), so that it takes over
	// within about the lease after the active replica died.
	every := min(d.cfg.Store.Lease/3, 200*time.Millisecond)
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ok, holder, err := d.rs.Acquire(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			d.log.Warn("take leases", "err", err)
		case ok:
			err := d.term(ctx)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			switch {
			case err == nil || errors.Is(err, redis.ErrLeaseLost):
				d.log.Warn("leases lost: standing by", "replica", d.rs.Replica())
			case errors.Is(err, redis.ErrUnknownOutcome) || redis.Transient(err):
				// Redis went away mid-block: the block was not acknowledged
				// (its write is all or nothing). Stand by and take the leases
				// again once Redis answers; the term resumes from the
				// checkpoint (docs/decisions/0020).
				d.log.Warn("redis write failed: standing by", "replica", d.rs.Replica(), "err", err)
			default:
				return err
			}
		case !ok && err == nil:
			d.log.Debug("standing by", "active", holder)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// term follows the chains until ctx is done, a part fails or (on a
// replica) the leases are lost (redis.ErrLeaseLost). A replica first
// loads the tracer state afresh: another replica may have moved it on.
func (d *Daemon) term(ctx context.Context) (err error) {
	var lost <-chan struct{}
	if d.rs != nil {
		lost = d.rs.Lost()
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if rerr := d.rs.Release(rctx); rerr != nil {
				d.log.Warn("release leases", "err", rerr)
			}
		}()
		if err := d.openEngine(ctx); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	run := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && !errors.Is(err, context.Canceled) {
				if !errors.Is(err, redis.ErrLeaseLost) {
					d.log.Error("stopped", "part", name, "err", err)
				}
				cancel(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	if err := d.Dispatcher.Start(ctx); err != nil {
		return fmt.Errorf("webhooks: %w", err)
	}
	defer d.Dispatcher.Close()
	d.active.Store(true)
	defer d.active.Store(false)
	wg.Add(1)
	go func() { defer wg.Done(); d.Alerts.RunRetention(ctx, time.Minute) }()
	if d.history != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = d.history.Run(ctx) }() // node errors are logged and retried
	}
	for _, f := range d.backends {
		c := f.spec.chain
		run(string(c), func(ctx context.Context) error { return f.b.Run(ctx, d.handler(c)) })
	}
	eng := d.Engine()
	for _, inc := range d.Incidents.List("*", watchlists.Open) {
		if _, known := eng.Summary(inc.ID); known {
			continue
		}
		if err := eng.OpenIncident(ctx, inc); err != nil {
			d.log.Error("tracer refused incident", "incident", inc.ID, "err", err)
		}
	}
	select {
	case <-ctx.Done():
	case <-lost:
		cancel(redis.ErrLeaseLost)
	}
	wg.Wait()
	if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
		return cause
	}
	return nil
}

// reportBackfill copies a follower's catch-up rate (those whose
// registration reads it: Ethereum's) into the metrics every few seconds.
func (d *Daemon) reportBackfill(ctx context.Context, f followed) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	rate := d.API.Metrics().BackfillRate.WithLabelValues(string(f.spec.chain))
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if remaining, perSecond := f.spec.backfill(f.b); remaining == 0 {
				rate.Set(0)
			} else {
				rate.Set(perSecond)
			}
		}
	}
}

// handler feeds one chain's events to the engine and the raiser. On a
// block store (Redis), a block's writes are held back and written
// together: a connected block's findings are raised once the engine is
// done with it, so that its alerts, its tracer state and its checkpoint
// are one write (blockStore).
func (d *Daemon) handler(chain chains.Chain) chains.Handler {
	m := d.API.Metrics()
	bs, _ := d.Store.(*blockStore)
	return func(ctx context.Context, ev chains.Event) error {
		var held *pending
		if bs != nil && (ev.Type == chains.Connected || ev.Type == chains.Disconnected) {
			ctx, held = withBlock(ctx, chain, ev.Type == chains.Connected)
		}
		if err := d.Engine().Handle(ctx, ev); err != nil {
			return fmt.Errorf("tracer %s block %d: %w", ev.Type, ev.Ref.Number, err)
		}
		if held != nil {
			// The held findings are raised, then the held retractions made,
			// as the engine asked; the last alert write carries the
			// checkpoint of a connected block.
			raise, retract := held.findings, held.retractions
			held.findings, held.retractions = nil, nil
			if ev.Type == chains.Connected {
				ref := ev.Ref
				if len(retract) == 0 {
					held.checkpoint = &ref
				}
				if len(raise) > 0 {
					if err := d.Raiser.Raise(ctx, raise); err != nil {
						return fmt.Errorf("raise findings of %s block %d: %w", chain, ev.Ref.Number, err)
					}
				}
				if len(retract) > 0 {
					held.checkpoint = &ref
					if err := d.Raiser.Retract(ctx, retract); err != nil {
						return fmt.Errorf("retract findings after %s block %d: %w", chain, ev.Ref.Number, err)
					}
				}
			}
			if err := bs.flush(ctx, held); err != nil {
				return fmt.Errorf("store %s block %d: %w", chain, ev.Ref.Number, err)
			}
		}
		switch ev.Type {
		case chains.Confirmed:
			if err := d.Raiser.Confirm(ctx, chain, ev.Ref); err != nil {
				return fmt.Errorf("confirm %s block %d: %w", chain, ev.Ref.Number, err)
			}
		case chains.Connected:
			m.BlocksProcessed.WithLabelValues(string(chain)).Inc()
		}
		return nil
	}
}

// Close stops the parts and closes the store; safe to call twice.
func (d *Daemon) Close() error {
	var err error
	d.closeOnce.Do(func() {
		if d.Dispatcher != nil {
			d.Dispatcher.Close()
		}
		if d.API != nil && d.running {
			d.API.Close()
		}
		closeBackends(d.backends)
		if eng := d.Engine(); eng != nil {
			err = errors.Join(err, eng.Close())
		}
		if d.ln != nil {
			d.ln.Close()
		}
		if d.Store != nil {
			err = errors.Join(err, d.Store.Close())
		}
	})
	return err
}

// findingCounter counts findings by type, then hands them to the raiser.
type findingCounter struct{ d *Daemon }

func (f findingCounter) Raise(ctx context.Context, fs []tracer.Finding) error {
	if f.d.API != nil {
		for _, x := range fs {
			f.d.API.Metrics().Findings.WithLabelValues(string(x.Type)).Inc()
		}
	}
	if holdFindings(ctx, fs) {
		return nil // raised by the handler at the end of the block
	}
	return f.d.Raiser.Raise(ctx, fs)
}

func (f findingCounter) Retract(ctx context.Context, fs []tracer.Finding) error {
	if holdRetractions(ctx, fs) {
		return nil // retracted by the handler at the end of the block
	}
	return f.d.Raiser.Retract(ctx, fs)
}

// checkSeeds refuses an incident whose seed transaction the node says is
// not on its chain, naming the hash, instead of accepting it and failing
// later. A node that cannot answer refuses nothing: the tracer's catch-up
// says what went wrong.
func (d *Daemon) checkSeeds(ctx context.Context, inc watchlists.Incident) error {
	f, ok := d.backend(inc.Chain)
	if !ok {
		return nil
	}
	loc := f.b
	for i, s := range inc.Seeds {
		if s.Tx == "" {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := loc.TxBlock(cctx, s.Tx)
		cancel()
		var nf *chains.TxNotFoundError
		if errors.As(err, &nf) {
			return fmt.Errorf("seeds[%d].tx: %w", i, err)
		}
		if err != nil {
			d.log.Warn("seed transaction not checked: the node did not answer", "tx", s.Tx, "err", err)
		}
	}
	return nil
}

// openHistory makes the loader of Tornado pools' history and exposes its
// progress: chainhound_mixer_history_pending (pools seen whose history is
// not loaded yet: their withdrawals' alerts are provisional) and
// chainhound_mixer_history_loaded_total.
func (d *Daemon) openHistory(src tornado.HistorySource) error {
	loaded := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "chainhound_mixer_history_loaded_total", Help: "Mixer pools whose history (deposits before chainhound saw them) was loaded.",
	})
	d.history = &tornado.Bootstrap{Source: src, State: engineState{d}, Log: d.log, Wake: d.historyWake,
		Loaded: func(string, int) { loaded.Inc() }}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chainhound_mixer_history_pending", Help: "Mixer pools seen whose history is not loaded yet (their withdrawals' alerts are provisional).",
	}, func() float64 { return float64(d.history.PendingCount()) })
	for _, c := range []prometheus.Collector{loaded, pending} {
		if err := d.API.Metrics().Registry.Register(c); err != nil {
			return fmt.Errorf("register mixer history metrics: %w", err)
		}
	}
	return nil
}

// registerWebhookMetrics exposes the dispatcher's counters on the API's
// registry.
func registerWebhookMetrics(m *api.Metrics, disp *deliver.Dispatcher) error {
	for _, c := range disp.Collectors() {
		if err := m.Registry.Register(c); err != nil {
			return fmt.Errorf("register webhook metrics: %w", err)
		}
	}
	return nil
}

// triageBus is the Redis store's, so that a triage change made through
// one replica reaches the websockets of all; nil on pebble.
func (d *Daemon) triageBus() alerts.TriageBus {
	if d.rs == nil {
		return nil
	}
	return d.rs
}
