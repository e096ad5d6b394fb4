package tracer

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/holiman/uint256"
)

// newIncident checks def and builds its runtime view (not yet registered).
func (e *Engine) newIncident(def watchlists.Incident) (*incident, error) {
	if def.ID == "" {
		return nil, fmt.Errorf("incident: empty id")
	}
	if strings.ContainsAny(def.ID, "/\x00") {
		return nil, fmt.Errorf("incident %q: id may not contain '/'", def.ID)
	}
	if _, err := chains.ParseChain(string(def.Chain)); err != nil {
		return nil, fmt.Errorf("incident %s: %w", def.ID, err)
	}
	if len(def.Seeds) == 0 {
		return nil, fmt.Errorf("incident %s: no seeds", def.ID)
	}
	policy := def.Policy
	if policy == "" {
		policy = e.cfg.Policy
	}
	if _, err := watchlists.ParsePolicy(string(policy)); err != nil {
		return nil, fmt.Errorf("incident %s: %w", def.ID, err)
	}
	inc := &incident{def: def, policy: policy, maxHops: def.MaxHops, seedTx: map[string]bool{}, seedAddr: map[string]uint64{}}
	if inc.maxHops <= 0 {
		inc.maxHops = e.cfg.MaxHops
	}
	inc.confFloor = DefaultConfidenceFloor
	if f := e.cfg.ConfidenceFloor; f != nil {
		inc.confFloor = *f
	}
	if f := def.ConfidenceFloor; f != nil {
		if !(*f >= 0 && *f <= 1) {
			return nil, fmt.Errorf("incident %s: confidence_floor %v not in [0, 1]", def.ID, *f)
		}
		inc.confFloor = *f
	}
	dust := def.Dust
	if dust == nil {
		dust = e.cfg.Dust[def.Chain]
	}
	if dust != nil {
		if dust.Sign() < 0 || inc.dust.SetFromBig(dust) {
			return nil, fmt.Errorf("incident %s: dust %s out of range", def.ID, dust)
		}
	}
	for c, d := range e.cfg.Dust {
		if c == def.Chain || d == nil {
			continue
		}
		var u uint256.Int
		if d.Sign() >= 0 && !u.SetFromBig(d) {
			if inc.dustOn == nil {
				inc.dustOn = map[chains.Chain]*uint256.Int{}
			}
			inc.dustOn[c] = &u
		}
	}
	for i, s := range def.Seeds {
		switch {
		case s.Tx != "" && s.Address != "":
			return nil, fmt.Errorf("incident %s: seed %d names both a tx and an address", def.ID, i)
		case s.Tx != "":
			inc.seedTx[strings.ToLower(s.Tx)] = true
		case s.Address != "":
			a := s.Address
			if def.Chain == chains.Ethereum {
				a = strings.ToLower(a)
			}
			inc.seedAddr[a] = s.FromBlock
		default:
			return nil, fmt.Errorf("incident %s: seed %d is empty", def.ID, i)
		}
	}
	inc.rt = incRuntime{stolen: map[string]*uint256.Int{}}
	return inc, nil
}

// OpenIncident starts following an incident. Seeds at or after the next
// block join the live stream at once; seeds in the past are caught up by
// replaying their blocks through the chain's BlockSource in the
// background, while the live stream goes on for the other incidents.
func (e *Engine) OpenIncident(ctx context.Context, def watchlists.Incident) error {
	inc, err := e.newIncident(def)
	if err != nil {
		return err
	}
	start, err := e.seedStart(ctx, inc)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		// Shown as failed, with the reason, until the daemon opens it
		// again (at its next start); nothing is stored.
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, ok := e.incidents[def.ID]; !ok {
			e.incidents[def.ID] = inc
			e.a.register(inc)
			e.failIncident(ctx, inc, err)
		}
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.incidents[def.ID]; ok {
		if !old.rt.closed {
			return fmt.Errorf("incident %s is already open", def.ID)
		}
		// Its journals and stored hops are keyed by the id: a new incident
		// under it would inherit them.
		return fmt.Errorf("incident %s was closed; its id cannot be opened again", def.ID)
	}
	inc.start, inc.hasStart = start, true
	cs := e.chainState(def.Chain)
	if !cs.hasLast || start > cs.last.Number {
		inc.rt.joined = true
	} else {
		if e.deps.Sources[def.Chain] == nil {
			return fmt.Errorf("incident %s: seed block %d is behind the head %d and no block source for %s to catch up", def.ID, start, cs.last.Number, def.Chain)
		}
		inc.rt.cursor = start - 1
	}
	e.incidents[def.ID] = inc
	e.a.register(inc)
	if err := e.saveIncident(ctx, inc); err != nil {
		delete(e.incidents, def.ID)
		return err
	}
	if !inc.rt.joined {
		e.startCatchUp(inc)
	}
	return nil
}

// seedStart is the first block the incident's seeds concern.
func (e *Engine) seedStart(ctx context.Context, inc *incident) (uint64, error) {
	var start uint64
	first := true
	for _, s := range inc.def.Seeds {
		var n uint64
		if s.Tx != "" {
			loc := e.deps.Locators[inc.def.Chain]
			if loc == nil {
				// Without a locator the seed tx is met when its block arrives.
				continue
			}
			ref, err := loc.TxBlock(ctx, s.Tx)
			if err != nil {
				return 0, fmt.Errorf("incident %s: locate seed tx %s: %w", inc.def.ID, s.Tx, err)
			}
			n = ref.Number
		} else {
			n = s.FromBlock
		}
		if first || n < start {
			start, first = n, false
		}
	}
	if first {
		e.mu.Lock()
		cs := e.chainState(inc.def.Chain)
		start = cs.last.Number + 1
		if !cs.hasLast {
			start = 0
		}
		e.mu.Unlock()
	}
	return start, nil
}

func (e *Engine) saveIncident(ctx context.Context, inc *incident) error {
	if e.deps.Store == nil {
		return nil
	}
	if err := e.deps.Store.SaveTracer(ctx, []KV{{incidentKey(inc.def.ID), encodeIncident(inc)}}, nil); err != nil {
		return fmt.Errorf("save incident %s: %w", inc.def.ID, err)
	}
	return nil
}

// CloseIncident stops following an incident and drops its holdings.
func (e *Engine) CloseIncident(ctx context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	defer e.maybeSweep()
	inc := e.incidents[id]
	if inc == nil {
		return fmt.Errorf("close incident %s: %w", id, ErrUnknownIncident)
	}
	if inc.rt.closed {
		return nil
	}
	var dels [][]byte
	for _, cs := range e.chains {
		cs.eachHead(func(k hkey, head holdID) {
			if cs.get(k, inc) != 0 {
				dels = append(dels, holdingKey(cs.chain, k, inc))
				cs.del(k, inc)
			}
		})
		for pk := range cs.parked {
			if pk.inc == inc {
				dels = append(dels, parkedKey(cs.chain, pk))
				delete(cs.parked, pk)
			}
		}
	}
	inc.rt.closed = true
	if e.deps.Store != nil {
		if err := e.deps.Store.SaveTracer(ctx, []KV{{incidentKey(id), encodeIncident(inc)}}, dels); err != nil {
			return fmt.Errorf("close incident %s: %w", id, err)
		}
	}
	return nil
}

// Holder is one place holding an incident's taint.
type Holder struct {
	Chain   chains.Chain `json:"chain"`
	Address string       `json:"address"` // the address, or txid:vout on Bitcoin
	Asset   string       `json:"asset"`   // asset key: "" native, else the contract
	Tainted *big.Int     `json:"tainted"`
	Hops    int          `json:"hops"`
}

// Destination is where an incident's taint went: a labelled service.
type Destination struct {
	Chain   chains.Chain `json:"chain"`
	Address string       `json:"address"`
	Asset   string       `json:"asset"`
	Tainted *big.Int     `json:"tainted"`
}

// IncidentSummary is an incident's taint at a glance.
type IncidentSummary struct {
	ID       string              `json:"id"`
	Chain    chains.Chain        `json:"chain"`
	Policy   watchlists.Policy   `json:"policy"`
	Stolen   map[string]*big.Int `json:"stolen"`  // asset key → amount stolen
	Tainted  map[string]*big.Int `json:"tainted"` // asset key → still held, tracked
	Holders  []Holder            `json:"holders"` // largest first
	Services []Destination       `json:"services"`
	Closed   bool                `json:"closed"`
	CatchUp  CatchUpProgress     `json:"catch_up"`
	// Tracking is what the engine is doing with the incident; the API
	// shows it beside the incident (docs/interface.md `tracking`).
	Tracking Tracking `json:"-"`
}

// TrackingView is the summary's tracking, for the API to show.
func (s IncidentSummary) TrackingView() any { return s.Tracking }

// Tracking states.
const (
	CatchingUp = "catching_up"
	Live       = "live"
	Failed     = "failed"
	Closed     = "closed"
)

// Tracking is an incident's state: catching up (From, the first block
// replayed; At, the last one replayed; To, the head it catches up with;
// Rate in blocks per second), live, failed (Reason) or closed.
type Tracking struct {
	State  string  `json:"state"`
	From   uint64  `json:"from,omitempty"`
	At     uint64  `json:"at,omitempty"`
	To     uint64  `json:"to,omitempty"`
	Rate   float64 `json:"rate,omitempty"`
	Reason string  `json:"reason,omitempty"`
}

// Tracking returns what the engine is doing with incident id, without the
// walk over every holding that Summary makes: cheap enough to poll.
func (e *Engine) Tracking(id string) (Tracking, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	inc := e.incidents[id]
	if inc == nil {
		return Tracking{}, false
	}
	return e.tracking(inc, time.Now()), true
}

// tracking is inc's Tracking now. Call with e.mu held.
func (e *Engine) tracking(inc *incident, now time.Time) Tracking {
	switch {
	case inc.rt.closed:
		return Tracking{State: Closed}
	case inc.caughtErr != "":
		return Tracking{State: Failed, From: inc.start, At: inc.rt.cursor, To: inc.target, Reason: inc.caughtErr}
	case inc.rt.joined:
		t := Tracking{State: Live}
		if cs := e.chains[inc.def.Chain]; cs != nil && cs.hasLast {
			t.At = cs.last.Number
		}
		return t
	}
	t := Tracking{State: CatchingUp, From: inc.start, At: inc.rt.cursor, To: inc.target}
	if t.To == 0 {
		if cs := e.chains[inc.def.Chain]; cs != nil {
			t.To = cs.last.Number
		}
	}
	if el := now.Sub(inc.cuBegan).Seconds(); !inc.cuBegan.IsZero() && el > 0 && inc.rt.cursor > inc.cuFrom {
		t.Rate = math.Round(float64(inc.rt.cursor-inc.cuFrom)/el*10) / 10
	}
	return t
}

// CatchUpProgress is how far an incident's replay of past blocks got.
type CatchUpProgress struct {
	Done    bool   `json:"done"`
	Start   uint64 `json:"start"`
	Current uint64 `json:"current"` // last block replayed
	Target  uint64 `json:"target"`  // the live head it is catching up with
	Error   string `json:"error,omitempty"`
}

// Summary returns an incident's holders, taint still held, where it went
// and its catch-up progress.
func (e *Engine) Summary(id string) (IncidentSummary, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	inc := e.incidents[id]
	if inc == nil {
		return IncidentSummary{}, false
	}
	s := IncidentSummary{ID: id, Chain: inc.def.Chain, Policy: inc.policy, Stolen: map[string]*big.Int{}, Tainted: map[string]*big.Int{}, Closed: inc.rt.closed}
	for k, v := range inc.rt.stolen {
		s.Stolen[k] = v.ToBig()
	}
	for _, cs := range e.chains {
		cs.eachHead(func(k hkey, head holdID) {
			for h := head; h != 0; h = cs.next(h) {
				if cs.a.incOf(h) != inc {
					continue
				}
				addr := k.a
				if cs.utxo {
					addr = k.String(true)
				}
				taint := cs.a.get(cs.a.holding(h).taint)
				s.Holders = append(s.Holders, Holder{Chain: cs.chain, Address: addr, Asset: k.b, Tainted: taint.ToBig(), Hops: cs.a.hopsOf(h)})
				if s.Tainted[k.b] == nil {
					s.Tainted[k.b] = new(big.Int)
				}
				s.Tainted[k.b].Add(s.Tainted[k.b], taint.ToBig())
			}
		})
		for pk, p := range cs.parked {
			if pk.inc == inc {
				s.Services = append(s.Services, Destination{Chain: cs.chain, Address: pk.service, Asset: pk.asset, Tainted: p.amt.ToBig()})
			}
		}
	}
	// Ties broken down to the asset, so the order is the same in every
	// process (the index is visited in hash order).
	slices.SortFunc(s.Holders, func(x, y Holder) int {
		return cmp.Or(y.Tainted.Cmp(x.Tainted), cmp.Compare(x.Address, y.Address), cmp.Compare(x.Chain, y.Chain), cmp.Compare(x.Asset, y.Asset))
	})
	slices.SortFunc(s.Services, func(x, y Destination) int {
		return cmp.Or(cmp.Compare(x.Address, y.Address), cmp.Compare(x.Chain, y.Chain), cmp.Compare(x.Asset, y.Asset))
	})
	s.CatchUp = CatchUpProgress{Done: inc.rt.joined, Start: inc.start, Current: inc.rt.cursor, Target: inc.target, Error: inc.caughtErr}
	s.Tracking = e.tracking(inc, time.Now())
	if inc.rt.joined {
		if cs := e.chains[inc.def.Chain]; cs != nil {
			s.CatchUp.Current, s.CatchUp.Target = cs.last.Number, cs.last.Number
		}
	}
	return s, true
}
