package api

import (
	"context"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// Watchlist is the watchlist registry (*watchlists.Registry). One address
// may carry one entry per (owner, kind); adding an existing one replaces it.
type Watchlist interface {
	Add(ctx context.Context, entries ...watchlists.Entry) ([]watchlists.Entry, error)
	Remove(ctx context.Context, chain chains.Chain, addr, owner string, kind watchlists.Kind) (int, error)
	List(f watchlists.Filter) []watchlists.Entry
	// Lookup returns the entries of a normalised address.
	Lookup(chain chains.Chain, addr string) []watchlists.Entry
}

var _ Watchlist = (*watchlists.Registry)(nil)

// Incidents keeps declared thefts (*watchlists.IncidentBook). Open assigns
// the ID, status and opening time; Get and Close of an absent id wrap
// watchlists.ErrNotFound; List("*", "") lists all.
type Incidents interface {
	Open(ctx context.Context, inc watchlists.Incident) (watchlists.Incident, error)
	Close(ctx context.Context, id string) (watchlists.Incident, error)
	Get(id string) (watchlists.Incident, error)
	List(owner string, status watchlists.IncidentStatus) []watchlists.Incident
	// Covering names the open incidents of the same owner that already
	// follow one of inc's seeds (a warning, not a refusal).
	Covering(inc watchlists.Incident) []string
}

var _ Incidents = (*watchlists.IncidentBook)(nil)

// Summarizer gives an incident's taint summary (holders, amount still
// tainted, where it went, what the tracer is doing with it):
// *tracer.Engine.
type Summarizer interface {
	Summary(id string) (tracer.IncidentSummary, bool)
}

var _ Summarizer = (*tracer.Engine)(nil)

// SummaryFunc adapts a function to Summarizer.
type SummaryFunc func(id string) (tracer.IncidentSummary, bool)

// Summary calls f.
func (f SummaryFunc) Summary(id string) (tracer.IncidentSummary, bool) { return f(id) }

// AlertLog is the sequenced alert log (*alerts.Log).
type AlertLog interface {
	Since(ctx context.Context, since uint64, limit int) ([]alerts.Alert, error)
	Last() uint64
	FollowBatches(ctx context.Context, after uint64, buf, max int, fn func([]alerts.Alert) error) error
}

var _ AlertLog = (*alerts.Log)(nil)

// Replica is a replica's identity and roles for /healthz (*redis.Store of
// a replica): its id, and per chain "active" or "standby".
type Replica interface {
	Replica() string
	Roles() map[chains.Chain]string
	// StandbyErr says why a standby could not take over now (nil: it can).
	StandbyErr() error
	// Problem says why the shared store degrades this replica now (Redis
	// unreachable, writes failing, leases not renewable); "" when nothing.
	Problem(ctx context.Context) string
}

// Health reports each followed chain's progress (the followers' Status).
type Health interface {
	ChainStatus() map[chains.Chain]chains.Status
}

// HealthFunc adapts a function to Health.
type HealthFunc func() map[chains.Chain]chains.Status

// ChainStatus calls f.
func (f HealthFunc) ChainStatus() map[chains.Chain]chains.Status { return f() }

// TraceRequest asks for the forward flow graph of one transaction.
type TraceRequest struct {
	Chain  chains.Chain
	Tx     string
	Hops   int // 0: the tracer's default
	Policy watchlists.Policy
	// Blocks to replay from the transaction's block (0: the tracer's
	// default).
	Blocks uint64
}

// Tracer traces a transaction forward for /v1/trace (internal/daemon's
// adapter of tracer.TraceTx). The graph is sent as JSON, or as its DOT.
type Tracer interface {
	Trace(ctx context.Context, req TraceRequest) (*tracer.FlowGraph, error)
}

// Deps are the parts the server consumes. Keys and Alerts are required;
// a nil Watchlist, Incidents or Tracer makes its endpoints answer 501.
type Deps struct {
	Keys      apikey.Store
	Alerts    AlertLog
	Watchlist Watchlist
	Incidents Incidents
	Summaries Summarizer
	Tracer    Tracer
	Health    Health
	// Replica, when set, adds "replica" and each chain's "role" to
	// /healthz; a standby chain is ok while its follower is not running.
	Replica  Replica
	Webhooks WebhookRegistry // nil: /v1/webhook answers 501
	// Triage keeps each tenant's triage of alerts; nil: PATCH
	// /v1/alerts/{seq} and its comments answer 501, and alerts are new.
	Triage alerts.TriageStore
	// TriageBus, on a shared store, carries triage events between
	// replicas; nil: each server tells its own subscribers only.
	TriageBus alerts.TriageBus
	Channels  ChannelRegistry // nil: /v1/channels answers 501
	// Screener screens addresses (/v1/screen); nil: 501.
	Screener *screening.Screener
	Metrics  *Metrics // nil: the server makes its own
}
