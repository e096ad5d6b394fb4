package alerts

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strconv"
	"strings"
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
// (the log's store). It refuses a cfg.Severity table that does not
// validate (SeverityTable.Validate).
func NewRaiser(log *Log, st Store, cfg RaiserConfig) (*Raiser, error) {
	sev := cfg.Severity
	if sev == nil {
		d := DefaultSeverityTable()
		sev = &d
	} else {
		c := *sev
		sev = &c
	}
	if err := sev.Validate(); err != nil {
		return nil, fmt.Errorf("alerts.NewRaiser: %w", err)
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &Raiser{log: log, st: st, cfg: cfg, sev: sev, lg: lg.With("component", "alerts"), confirmed: map[chains.Chain]chains.BlockRef{}}, nil
}

// Raise appends one alert per finding — one per deposit: the findings of
// several incidents on the same transfer (two incidents over one theft,
// one downstream of another) that the same tenants may see make one
// alert listing every incident (`incidents`, the largest share first,
// `incident` the largest), whose tainted amount is the largest of theirs,
// never their sum. A finding already raised (same ID, not retracted
// since) raises nothing, so replays are harmless; a finding on a deposit
// already alerted for another incident points at that alert and raises
// nothing. Findings whose type is not an alert type of docs/interface.md
// (taint.left) are logged and skipped.
func (r *Raiser) Raise(ctx context.Context, fs []tracer.Finding) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	type group struct {
		key    string // the deposit's key ("d_…"), or the finding's id
		alerts []Alert
	}
	var groups []*group
	byKey := map[string]*group{}
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
		if !Raisable(f) {
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
		key := a.Finding
		if isTaint(a.Type) && a.Incident != "" {
			key = depositKey(&a)
			if g := byKey[key]; g != nil && slices.ContainsFunc(g.alerts, func(m Alert) bool { return m.Incident == a.Incident }) {
				key = a.Finding // one incident's two findings on a transfer stay two
			}
		}
		g := byKey[key]
		if g == nil {
			g = &group{key: key}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.alerts = append(g.alerts, a)
	}
	var batch []Alert
	var ids [][]string       // per alert of batch: the ids that point at it
	var earlier []FindingSeq // findings on deposits alerted before
	for _, g := range groups {
		if g.key != g.alerts[0].Finding {
			seq, live, err := r.liveAlert(ctx, g.key)
			if err != nil {
				return err
			}
			if live {
				orig, found, err := r.log.get(ctx, seq)
				if err != nil {
					return fmt.Errorf("raise: read alert %d: %w", seq, err)
				}
				for _, a := range g.alerts {
					if found && (orig.Incident == a.Incident || slices.Contains(orig.Incidents, a.Incident)) {
						// Another finding of an incident alerted there: its own alert.
						batch = append(batch, mergeDeposit([]Alert{a}))
						ids = append(ids, []string{a.Finding})
						continue
					}
					earlier = append(earlier, FindingSeq{ID: a.Finding, Seq: seq})
					r.lg.Info("deposit alerted already: the incident's finding points at that alert", "seq", seq, "incident", a.Incident, "finding", a.Finding)
				}
				continue
			}
		}
		a := mergeDeposit(g.alerts)
		var gids []string
		if g.key != a.Finding {
			gids = append(gids, g.key)
		}
		for _, m := range g.alerts {
			gids = append(gids, m.Finding)
		}
		batch = append(batch, a)
		ids = append(ids, gids)
	}
	if len(batch) == 0 {
		if len(earlier) > 0 {
			return r.st.WriteAlerts(ctx, AlertWrite{SetFindings: earlier})
		}
		return nil
	}
	out, err := r.log.append(ctx, batch, func(as []Alert, w *AlertWrite) {
		w.SetFindings = earlier
		for i, a := range as {
			for _, id := range ids[i] {
				w.SetFindings = append(w.SetFindings, FindingSeq{ID: id, Seq: a.Seq})
			}
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
		r.lg.Info("alert", "seq", a.Seq, "type", a.Type, "severity", a.Severity, "chain", a.Chain, "tx", a.Tx, "incident", a.Incident, "incidents", len(a.Incidents), "finding", a.Finding)
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

// depositKey names the deposit a taint alert is about, for the tenants
// who see it: the same transfer, type and audience, whatever incident.
// Incidents of different owners make different keys (an owner never sees
// another's incident), so the labelled entry's owner gets one alert per
// owner group.
func depositKey(a *Alert) string {
	h := sha256.New()
	block := ""
	if a.Block != nil {
		block = a.Block.Hash
	}
	asset := ""
	if a.Asset != nil {
		asset = a.Asset.Symbol
		if a.Asset.Contract != nil {
			asset += "/" + *a.Asset.Contract
		}
	}
	fmt.Fprintf(h, "%s|%s|%s|%s|%d|%s|%s|%s|%v|%s", a.Type, a.Chain, block, a.Tx, a.Index, a.From, a.To, asset, a.Pending, strings.Join(a.Audience, ","))
	return "d_" + hex.EncodeToString(h.Sum(nil)[:16])
}

// retractedKey marks alert seq retracted: the ids of a merged alert's
// other findings still point at it.
func retractedKey(seq uint64) string { return "r_" + strconv.FormatUint(seq, 10) }

// liveAlert returns the alert id points at and whether it is live (not
// retracted).
func (r *Raiser) liveAlert(ctx context.Context, id string) (uint64, bool, error) {
	seq, ok, err := r.st.AlertFinding(ctx, id)
	if err != nil || !ok {
		return 0, false, err
	}
	_, gone, err := r.st.AlertFinding(ctx, retractedKey(seq))
	if err != nil {
		return 0, false, err
	}
	return seq, !gone, nil
}

// mergeDeposit makes one alert of the alerts of several incidents on one
// deposit: the one carrying the most taint, listing every incident, the
// largest first.
func mergeDeposit(as []Alert) Alert {
	tainted := func(a *Alert) *big.Int {
		v, ok := new(big.Int).SetString(a.Tainted, 10)
		if !ok {
			return new(big.Int)
		}
		return v
	}
	slices.SortStableFunc(as, func(x, y Alert) int {
		return cmp.Or(tainted(&y).Cmp(tainted(&x)), cmp.Compare(x.Incident, y.Incident))
	})
	a := as[0]
	if a.Incident == "" {
		return a
	}
	for _, m := range as {
		if !slices.Contains(a.Incidents, m.Incident) {
			a.Incidents = append(a.Incidents, m.Incident)
		}
		a.Audience = append(a.Audience, m.Audience...)
	}
	return a
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
	var stale []string // findings of a merged alert retracted already
	seen := make(map[string]bool, len(fs))
	retracted := map[uint64]bool{}
	for i := range fs {
		f := &fs[i]
		if f.ID == "" || seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		seq, ok, err := r.liveAlert(ctx, f.ID)
		if err != nil {
			return fmt.Errorf("retract finding %s: %w", f.ID, err)
		}
		if !ok || retracted[seq] {
			// Never raised, or its (merged) alert is retracted already.
			if _, points, _ := r.st.AlertFinding(ctx, f.ID); points {
				stale = append(stale, f.ID)
			}
			continue
		}
		retracted[seq] = true
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
	if len(batch) == 0 {
		if len(stale) > 0 {
			return r.st.WriteAlerts(ctx, AlertWrite{DelFindings: stale})
		}
		return nil
	}
	out, err := r.log.append(ctx, batch, func(as []Alert, w *AlertWrite) {
		w.DelFindings = stale
		for _, a := range as {
			w.DelFindings = append(w.DelFindings, a.Finding)
			w.SetFindings = append(w.SetFindings, FindingSeq{ID: retractedKey(*a.Retracts), Seq: *a.Retracts})
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
