package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
)

var _ tracer.Sink = (*Raiser)(nil)

// RaiserConfig configures a Raiser.
type RaiserConfig struct {
	// Severity decides severities; nil means DefaultSeverityTable. It must
	// pass Validate: NewRaiser panics on an invalid table.
	Severity *SeverityTable
	// Confirmations is each chain's configured depth, reported as the
	// confirmations of alert.confirmed (1 when absent).
	Confirmations map[chains.Chain]int
	// IncidentOwner returns the tenant that owns an incident, added to the
	// audience of its alerts. Nil: incidents add nobody.
	IncidentOwner func(ctx context.Context, id string) (owner string, err error)
	Logger        *slog.Logger
}

// Raiser turns tracer findings into alerts on a Log. It implements
// tracer.Sink; the daemon also calls Confirm on each Confirmed event.
type Raiser struct {
	log *Log
	st  Store
	cfg RaiserConfig
	sev *SeverityTable
	lg  *slog.Logger

	mu sync.Mutex // check-then-append of Raise, Retract, Confirm
	// confirmed is the highest block Confirm was called for, per chain:
	// an alert raised later from a block at or below it (a block applied
	// again, an incident caught up) is confirmed as it is raised.
	confirmed map[chains.Chain]chains.BlockRef
}

// NewRaiser returns a Raiser appending to log, whose indexes live in st
// (the log's store).
func NewRaiser(log *Log, st Store, cfg RaiserConfig) *Raiser {
	sev := cfg.Severity
	if sev == nil {
		d := DefaultSeverityTable()
		sev = &d
	} else {
		c := *sev
		sev = &c
	}
	if err := sev.Validate(); err != nil {
		panic(fmt.Sprintf("alerts.NewRaiser: %v", err))
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &Raiser{log: log, st: st, cfg: cfg, sev: sev, lg: lg.With("component", "alerts"), confirmed: map[chains.Chain]chains.BlockRef{}}
}

// Raise appends one alert per finding. A finding already raised (same ID,
// not retracted since) raises nothing, so replays are harmless. Findings
// whose type is not an alert type of CONTRACT.md (taint.left) are logged
// and skipped.
func (r *Raiser) Raise(ctx context.Context, fs []tracer.Finding) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var batch []Alert
	seen := make(map[string]bool, len(fs))
	for i := range fs {
		f := &fs[i]
		if f.ID == "" {
			return fmt.Errorf("raise finding %d (%s tx %s): empty finding id", i, f.Type, f.Tx)
		}
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		if !knownTypes[string(f.Type)] || f.Type == TypeConfirmed || f.Type == TypeRetracted {
			r.lg.Debug("finding type is not an alert", "type", f.Type, "finding", f.ID, "chain", f.Chain, "tx", f.Tx)
			continue
		}
		if _, ok, err := r.st.AlertFinding(ctx, f.ID); err != nil {
			return fmt.Errorf("raise finding %s: %w", f.ID, err)
		} else if ok {
			r.lg.Debug("finding already raised", "finding", f.ID, "chain", f.Chain, "tx", f.Tx)
			continue
		}
		a, err := r.alertOf(ctx, f)
		if err != nil {
			return err
		}
		batch = append(batch, a)
	}
	out, err := r.log.append(ctx, batch, func(as []Alert, w *AlertWrite) {
		for _, a := range as {
			w.SetFindings = append(w.SetFindings, FindingSeq{ID: a.Finding, Seq: a.Seq})
			if a.Block != nil {
				w.AddBlocks = append(w.AddBlocks, BlockSeq{Chain: chains.Chain(a.Chain), Hash: a.Block.Hash, Seq: a.Seq})
			}
		}
	})
	if err != nil {
		return fmt.Errorf("raise %d findings: %w", len(batch), err)
	}
	type block struct {
		chain chains.Chain
		ref   chains.BlockRef
	}
	var late []block // blocks confirmed already, in the order raised
	for _, a := range out {
		r.lg.Info("alert", "seq", a.Seq, "type", a.Type, "severity", a.Severity, "chain", a.Chain, "tx", a.Tx, "incident", a.Incident, "finding", a.Finding)
		c := chains.Chain(a.Chain)
		if top, ok := r.confirmed[c]; ok && a.Block != nil && a.Block.Number <= top.Number &&
			!slices.ContainsFunc(late, func(b block) bool { return b.chain == c && b.ref.Hash == a.Block.Hash }) {
			late = append(late, block{c, chains.BlockRef{Number: a.Block.Number, Hash: a.Block.Hash}})
		}
	}
	for _, b := range late {
		if err := r.confirm(ctx, b.chain, b.ref); err != nil {
			return err
		}
	}
	return nil
}

// Retract appends an alert.retracted for each finding that raised a live
// alert, naming its seq in Retracts and carrying the original's fields
// (so filters and audiences match). Findings never raised, or already
// retracted, append nothing. A retracted finding raised again later gets a
// new alert.
func (r *Raiser) Retract(ctx context.Context, fs []tracer.Finding) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var batch []Alert
	seen := make(map[string]bool, len(fs))
	for i := range fs {
		f := &fs[i]
		if f.ID == "" || seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		seq, ok, err := r.st.AlertFinding(ctx, f.ID)
		if err != nil {
			return fmt.Errorf("retract finding %s: %w", f.ID, err)
		}
		if !ok {
			continue
		}
		orig, found, err := r.log.get(ctx, seq)
		if err != nil {
			return fmt.Errorf("retract finding %s: read alert %d: %w", f.ID, seq, err)
		}
		if !found { // pruned: rebuild its fields from the finding
			if orig, err = r.alertOf(ctx, f); err != nil {
				return err
			}
			orig.Seq = seq
		}
		a := orig
		a.Type = TypeRetracted
		a.Retracts = &seq
		a.Confirms = nil
		a.Confirmations = 0
		a.Finding = f.ID
		batch = append(batch, a)
	}
	out, err := r.log.append(ctx, batch, func(as []Alert, w *AlertWrite) {
		for _, a := range as {
			w.DelFindings = append(w.DelFindings, a.Finding)
			if a.Block != nil {
				w.DelBlocks = append(w.DelBlocks, BlockSeq{Chain: chains.Chain(a.Chain), Hash: a.Block.Hash, Seq: *a.Retracts})
			}
		}
	})
	if err != nil {
		return fmt.Errorf("retract %d alerts: %w", len(batch), err)
	}
	for _, a := range out {
		r.lg.Info("alert retracted", "seq", a.Seq, "retracts", *a.Retracts, "chain", a.Chain, "tx", a.Tx, "finding", a.Finding)
	}
	return nil
}

// Confirm appends an alert.confirmed for each live alert raised from block
// ref of chain (Confirms = its seq, the original's fields, Confirmations =
// the chain's configured depth). Each alert is confirmed at most once.
func (r *Raiser) Confirm(ctx context.Context, chain chains.Chain, ref chains.BlockRef) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if top, ok := r.confirmed[chain]; !ok || ref.Number > top.Number {
		r.confirmed[chain] = ref
	}
	return r.confirm(ctx, chain, ref)
}

// confirm is Confirm with r.mu held.
func (r *Raiser) confirm(ctx context.Context, chain chains.Chain, ref chains.BlockRef) error {
	seqs, err := r.st.BlockAlerts(ctx, chain, ref.Hash)
	if err != nil {
		return fmt.Errorf("confirm %s block %d %s: %w", chain, ref.Number, ref.Hash, err)
	}
	if len(seqs) == 0 {
		return nil
	}
	depth := r.cfg.Confirmations[chain]
	if depth <= 0 {
		depth = 1
	}
	var batch []Alert
	var gone []BlockSeq
	for _, seq := range seqs {
		orig, ok, err := r.log.get(ctx, seq)
		if err != nil {
			return fmt.Errorf("confirm %s block %d: read alert %d: %w", chain, ref.Number, seq, err)
		}
		if !ok {
			gone = append(gone, BlockSeq{Chain: chain, Hash: ref.Hash, Seq: seq})
			continue
		}
		a := orig
		s := seq
		a.Type = TypeConfirmed
		a.Confirms = &s
		a.Retracts = nil
		a.Confirmations = depth
		batch = append(batch, a)
	}
	if len(batch) == 0 {
		return r.st.WriteAlerts(ctx, AlertWrite{DelBlocks: gone}) // index clean-up only
	}
	_, err = r.log.append(ctx, batch, func(as []Alert, w *AlertWrite) {
		w.DelBlocks = gone
		for _, a := range as {
			w.DelBlocks = append(w.DelBlocks, BlockSeq{Chain: chain, Hash: ref.Hash, Seq: *a.Confirms})
		}
	})
	if err != nil {
		return fmt.Errorf("confirm %d alerts of %s block %d: %w", len(batch), chain, ref.Number, err)
	}
	return nil
}

// audience returns the tenants besides admins that may see f: the owner
// of its labelled entry and of its incident, or only one of them when the
// tracer says so (a tenant's own entry, a private incident).
func (r *Raiser) audience(ctx context.Context, f *tracer.Finding) ([]string, error) {
	var out []string
	if f.Label != nil && f.Label.Owner != "" && f.Audience != tracer.AudienceIncidentOwner {
		out = append(out, f.Label.Owner)
	}
	if f.Incident != "" && r.cfg.IncidentOwner != nil && f.Audience != tracer.AudienceLabelOwner {
		o, err := r.cfg.IncidentOwner(ctx, f.Incident)
		if err != nil {
			return nil, fmt.Errorf("owner of incident %s: %w", f.Incident, err)
		}
		if o != "" {
			out = append(out, o)
		}
	}
	return out, nil // Log.append puts each tenant once, in order
}
