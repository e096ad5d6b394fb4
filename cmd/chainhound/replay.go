package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/csvsource"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/bridges/evmbridges"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/mixers/coinjoin"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

func replayCommand() *cli.Command {
	return &cli.Command{
		Name:      "replay",
		Usage:     "run the tracer offline over a CSV of transfers and print the alerts it would raise as JSON lines",
		UsageText: "chainhound replay --chain C --transfers FILE (--seed-address A ... | --seed-tx H ...) [--policy P] [--dust N] [--max-hops N] [--min-share F] [--confidence-floor F]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "chain", Usage: "ethereum or bitcoin", Required: true},
			&cli.StringFlag{Name: "transfers", Usage: "CSV `FILE` with header block,time,tx,index,from,to,asset,amount", Required: true},
			&cli.StringSliceFlag{Name: "seed-address", Usage: "a compromised `ADDRESS`: its every outflow counts as stolen (repeatable)"},
			&cli.Uint64Flag{Name: "from-block", Usage: "the block from which --seed-address outflows count"},
			&cli.StringSliceFlag{Name: "seed-tx", Usage: "a theft transaction `HASH` (repeatable)"},
			// Unset, each takes the tracer section of --config (or its
			// defaults), as an incident opened on the daemon does.
			&cli.StringFlag{Name: "policy", Usage: "haircut, poison or fifo (default: the configuration's tracer.policy, else haircut)"},
			&cli.StringFlag{Name: "dust", Usage: "dust floor in the smallest unit (default: the configuration's tracer.dust for the chain, else none)"},
			&cli.IntFlag{Name: "max-hops", Usage: "hops after which tracking stops (default: the configuration's tracer.max_hops, else 12)"},
			&cli.Float64Flag{Name: "min-share", Usage: "drop holdings below this share of the theft, never at a service (0: off; default: the configuration's tracer.min_share)"},
			&cli.Float64Flag{Name: "confidence-floor", Usage: "a mixer withdrawal linked with a lower confidence is reported but its taint goes no further (default: the configuration's tracer.confidence_floor, else 0.25)"},
		},
		Action: replayAction,
	}
}

func replayAction(c *cli.Context) error {
	chain, err := chains.ParseChain(c.String("chain"))
	if err != nil {
		return usagef("--chain: %v", err)
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	ec := daemon.EngineConfig(cfg.Tracer) // the daemon's engine, flags set aside
	policyName := string(ec.Policy)
	if c.IsSet("policy") {
		policyName = c.String("policy")
	}
	policy, err := watchlists.ParsePolicy(policyName)
	if err != nil {
		return usagef("--policy: %v", err)
	}
	maxHops := ec.MaxHops
	if c.IsSet("max-hops") {
		maxHops = c.Int("max-hops")
	}
	inc := watchlists.Incident{ID: "replay", Title: "replay of " + filepath.Base(c.String("transfers")), Chain: chain, Policy: policy, Status: watchlists.Open, MaxHops: maxHops}
	if inc.MaxHops <= 0 || inc.MaxHops > watchlists.MaxHopsLimit {
		return usagef("--max-hops: %d out of range 1..%d (as an incident's)", inc.MaxHops, watchlists.MaxHopsLimit)
	}
	minShare, floor := ec.MinShare, *ec.ConfidenceFloor
	if c.IsSet("min-share") {
		minShare = c.Float64("min-share")
	}
	if c.IsSet("confidence-floor") {
		floor = c.Float64("confidence-floor")
	}
	if !(minShare >= 0 && minShare < 1) {
		return usagef("--min-share: %v not in [0, 1)", minShare)
	}
	if !(floor >= 0 && floor <= 1) {
		return usagef("--confidence-floor: %v not in [0, 1]", floor)
	}
	inc.ConfidenceFloor = &floor
	if d := c.String("dust"); d != "" {
		v, ok := new(big.Int).SetString(d, 10)
		if !ok || v.Sign() < 0 {
			return usagef("--dust: %q is not a non-negative integer", d)
		}
		inc.Dust = v
	}
	for _, a := range c.StringSlice("seed-address") {
		n, err := watchlists.Normalize(chain, "", a)
		if err != nil {
			n2, err2 := csvsource.NormalizeAnyNetwork(chain, a)
			if err2 != nil {
				return usagef("--seed-address: %v", err)
			}
			n = n2
		}
		inc.Seeds = append(inc.Seeds, watchlists.Seed{Address: n, FromBlock: c.Uint64("from-block")})
	}
	for _, h := range c.StringSlice("seed-tx") {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, err := watchlists.NormalizeTxHash(chain, h); err != nil {
			return usagef("--seed-tx: %q is not a %s transaction hash", h, chain)
		}
		inc.Seeds = append(inc.Seeds, watchlists.Seed{Tx: h})
	}
	if len(inc.Seeds) == 0 {
		return usagef("replay: give --seed-address or --seed-tx")
	}
	path := c.String("transfers")
	rp, err := csvsource.Read(path, chain)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return usagef("--transfers: %v", err)
	}
	if err != nil {
		return usagef("%v", err)
	}
	if err := checkSeeds(rp, path, inc.Seeds); err != nil {
		return err
	}
	reg, err := replayLabels(c.Context, cfg.DataDir)
	if err != nil {
		return err
	}
	labels := &learnedLabels{Registry: reg, learned: map[string]watchlists.Entry{}}
	out := &replaySink{w: c.App.Writer}
	deps := tracer.Deps{Labels: labels, Sink: out}
	if chain == chains.Ethereum {
		deps.Balances = rp.Balances()
		deps.Learner = labels // as the daemon learns deposit addresses from sweeps
		deps.Recognisers = []tracer.Recogniser{tornado.New(labels, deps.Balances, nil), thorchain.New(labels, nil), evmbridges.New(labels, nil)}
	} else {
		deps.Prevouts = rp.Prevouts()
		deps.Recognisers = []tracer.Recogniser{thorchain.New(labels, nil)}
		// An export is of mainnet: each CoinJoin rule from its height.
		deps.CoinJoins = func(tx *chains.Tx, ins []coinjoin.Input, h uint64) (coinjoin.Join, bool) {
			return coinjoin.Detect(tx, ins, h, true)
		}
	}
	ec.Policy, ec.MinShare, ec.ConfidenceFloor = policy, minShare, &floor
	ec.Drain.AutoIncident = false // replay follows its one incident
	e, err := tracer.New(ec, deps)
	if err != nil {
		return err
	}
	defer e.Close()
	ctx := c.Context
	if err := e.OpenIncident(ctx, inc); err != nil {
		return usagef("replay: %v", err)
	}
	for _, b := range rp.Blocks {
		if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: chain, Block: b, Ref: b.Ref}); err != nil {
			return fmt.Errorf("replay block %d: %w", b.Ref.Number, err)
		}
	}
	return out.err
}

// checkSeeds refuses seeds the file never shows: a theft transaction not
// in it, a compromised address that pays nothing from its from-block —
// the replay would print nothing and look like a clean result.
func checkSeeds(rp *csvsource.File, path string, seeds []watchlists.Seed) error {
	for _, s := range seeds {
		switch {
		case s.Tx != "" && rp.HasTx(s.Tx), s.Address != "" && rp.Pays(s.Address, s.FromBlock):
		case s.Tx != "":
			return usagef("--seed-tx %s: not in %s", s.Tx, path)
		default:
			return usagef("--seed-address %s: not in %s from block %d", s.Address, path, s.FromBlock)
		}
	}
	return nil
}

// replayLabels loads the shipped labels and, if the data directory holds a store,
// its watchlists. A data directory held by a running daemon is skipped
// with a warning: replay then uses the shipped labels alone.
func replayLabels(ctx context.Context, dir string) (*watchlists.Registry, error) {
	return offlineLabels(ctx, dir, nil, func() {
		slog.Warn("replay: data directory in use by a daemon; using the shipped labels only", "data_dir", dir)
	})
}

// learnedLabels is replay's label set: the data directory's and the
// shipped labels, plus the exchange deposit addresses the run learns from
// sweeps, as the daemon would (kept for the run, never written to the data
// directory).
type learnedLabels struct {
	*watchlists.Registry
	learned map[string]watchlists.Entry // chain|address
}

func (l *learnedLabels) Lookup(c chains.Chain, addr string) []watchlists.Entry {
	es := l.Registry.Lookup(c, addr)
	if e, ok := l.learned[string(c)+"|"+addr]; ok {
		es = append(slices.Clip(es), e)
	}
	return es
}

func (l *learnedLabels) Learn(_ context.Context, x tracer.Learned) error {
	l.learned[string(x.Chain)+"|"+x.Address] = x.Entry()
	return nil
}

// replaySink is the replay's Sink: each finding becomes one alert, one
// JSON line, numbered from 1.
type replaySink struct {
	w   io.Writer
	seq uint64
	err error
}

func (p *replaySink) Raise(_ context.Context, fs []tracer.Finding) error {
	enc := json.NewEncoder(p.w)
	sev := alerts.DefaultSeverityTable()
	for i := range fs {
		if !alerts.Raisable(&fs[i]) {
			continue // as the daemon's alerts.Raiser
		}
		p.seq++
		a := alerts.AlertOf(&fs[i], &sev)
		a.Seq = p.seq
		if err := enc.Encode(a); err != nil {
			p.err = fmt.Errorf("write alert: %w", err)
			return p.err
		}
	}
	return nil
}

func (p *replaySink) Retract(context.Context, []tracer.Finding) error { return nil }
