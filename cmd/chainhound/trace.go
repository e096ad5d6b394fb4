package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/bitcoin"
	"github.com/chainhound/chainhound/chains/ethereum"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/bridges/evmbridges"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/mixers/coinjoin"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

func traceCommand() *cli.Command {
	return &cli.Command{
		Name:      "trace",
		Usage:     "trace a transaction forward: where the money went, hop by hop",
		ArgsUsage: "TX",
		Description: "Replays the blocks from TX's block on the node of --config (chains.ethereum or\n" +
			"chains.bitcoin) with a throwaway taint engine and prints the flow graph: every hop\n" +
			"with its exact tainted amount, what each address still holds, and the findings met\n" +
			"(exchange deposits, mixers, bridges…). Labels: the shipped label sets plus the\n" +
			"watchlists of --data-dir (skipped, with a warning, while a daemon holds it).\n" +
			"With --api-key the running daemon at --api traces it (GET /v1/trace): with its\n" +
			"watchlists, its transfer index (blocks and clean balances a full node no longer\n" +
			"has) and its recognisers; --hops and --policy not given are the daemon's.",
		Flags: []cli.Flag{
			// Checked in the action: a missing required flag before an argument
			// makes urfave/cli take the argument for a command.
			&cli.StringFlag{Name: "chain", Usage: "ethereum or bitcoin (required)"},
			&cli.IntFlag{Name: "hops", Usage: fmt.Sprintf("max hops to follow, 1..%d (default: tracer.max_hops of --config, else 12)", watchlists.MaxHopsLimit)},
			&cli.StringFlag{Name: "policy", Usage: "haircut, poison or fifo (default: tracer.policy of --config, else haircut)"},
			&cli.Uint64Flag{Name: "blocks", Value: tracer.DefaultTraceBlocks, Usage: "blocks to replay from the transaction's block (capped by the node's head)"},
			&cli.StringFlag{Name: "format", Usage: "table, json or dot (default: a table on a terminal, json when piped)"},
		},
		Action: traceAction,
	}
}

func traceAction(c *cli.Context) error {
	if c.String("chain") == "" {
		return usagef("--chain: required (ethereum or bitcoin)")
	}
	chain, err := chains.ParseChain(c.String("chain"))
	if err != nil {
		return usagef("--chain: %v", err)
	}
	if c.NArg() != 1 {
		return usagef("trace: want exactly one TX argument, got %d", c.NArg())
	}
	tx, err := watchlists.NormalizeTxHash(chain, c.Args().First())
	if err != nil {
		return usagef("TX: %v", err)
	}
	format := outputFormat(c)
	if format != "table" && format != "json" && format != "dot" {
		return usagef("--format: unknown format %q (want table, json or dot)", format)
	}
	blocks := c.Uint64("blocks")
	if blocks < 1 || blocks > tracer.MaxTraceBlocks {
		return usagef("--blocks: %d out of range 1..%d", blocks, tracer.MaxTraceBlocks)
	}
	if key := c.String("api-key"); key != "" {
		return traceViaAPI(c, newWatchAPI(c, key), chain, tx, blocks, format)
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	hops := cfg.Tracer.MaxHops
	if c.IsSet("hops") {
		hops = c.Int("hops")
		if hops < 1 || hops > watchlists.MaxHopsLimit {
			return usagef("--hops: %d out of range 1..%d", hops, watchlists.MaxHopsLimit)
		}
	}
	policy := watchlists.Policy(cfg.Tracer.Policy)
	if c.IsSet("policy") {
		p, err := watchlists.ParsePolicy(c.String("policy"))
		if err != nil || c.String("policy") == "" {
			return usagef("--policy: unknown policy %q (want haircut, poison or fifo)", c.String("policy"))
		}
		policy = p
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	deps, node, closeNode, err := traceNode(cfg, chain)
	if err != nil {
		return err
	}
	defer closeNode()
	if deps.Labels, err = traceLabels(ctx, c.App.ErrWriter, cfg); err != nil {
		return err
	}
	if chain == chains.Ethereum {
		deps.Recognisers = []tracer.Recogniser{tornado.New(deps.Labels, deps.Balances, nil), thorchain.New(deps.Labels, nil), evmbridges.New(deps.Labels, nil)}
	}
	req := tracer.TraceRequest{Chain: chain, Tx: tx, Hops: hops, Policy: policy, Blocks: blocks, Dust: cfg.Tracer.DustAmounts[string(chain)]}
	if bar := terminalBar(c, "replaying blocks"); bar != nil {
		var first uint64
		req.Progress = func(at, to uint64) {
			if first == 0 {
				first = at
				bar.ChangeMax64(int64(to - at + 1))
			}
			_ = bar.Set64(int64(at - first + 1))
		}
		defer bar.Exit()
	}
	g, err := tracer.TraceTx(ctx, req, deps)
	switch {
	case errors.Is(err, tracer.ErrTxNotFound):
		return fmt.Errorf("trace: %s transaction %s is not in a block the node at %s knows", chain, tx, node)
	case errors.Is(err, tracer.ErrNodeUnreachable):
		// What the node's client said, without the layers that repeat
		// the chain and the address.
		msg := err.Error()
		if i := strings.LastIndex(msg, string(chain)+": "); i >= 0 {
			msg = msg[i+len(chain)+2:]
		}
		msg = strings.TrimPrefix(msg, node+": ")
		return fmt.Errorf("the %s node at %s does not answer: %s", chain, node, msg)
	case err != nil:
		return fmt.Errorf("trace: %w", err)
	}
	return printTrace(c, g, format)
}

func printTrace(c *cli.Context, g *tracer.FlowGraph, format string) error {
	w := c.App.Writer
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(g)
	case "dot":
		_, err := io.WriteString(w, g.DOT())
		return err
	}
	return writeTraceTable(w, g)
}

// traceViaAPI has the daemon trace tx (GET /v1/trace): its labels, index
// and recognisers. Flags not given are left to the daemon's defaults.
func traceViaAPI(c *cli.Context, api *watchAPI, chain chains.Chain, tx string, blocks uint64, format string) error {
	q := url.Values{"format": {"json"}}
	if c.IsSet("hops") {
		if h := c.Int("hops"); h < 1 || h > watchlists.MaxHopsLimit {
			return usagef("--hops: %d out of range 1..%d", h, watchlists.MaxHopsLimit)
		}
		q.Set("hops", strconv.Itoa(c.Int("hops")))
	}
	if c.IsSet("policy") {
		if _, err := watchlists.ParsePolicy(c.String("policy")); err != nil || c.String("policy") == "" {
			return usagef("--policy: unknown policy %q (want haircut, poison or fifo)", c.String("policy"))
		}
		q.Set("policy", c.String("policy"))
	}
	if c.IsSet("blocks") {
		q.Set("blocks", strconv.FormatUint(blocks, 10))
	}
	var g tracer.FlowGraph
	if err := api.do(c.Context, "GET", "/v1/trace/"+string(chain)+"/"+url.PathEscape(tx)+"?"+q.Encode(), nil, &g); err != nil {
		return fmt.Errorf("trace through the daemon at %s: %w", api.base, err)
	}
	return printTrace(c, &g, format)
}

// traceNode builds the chain's follower from the configuration, used only
// to read blocks, locate transactions and read balances or prevouts (it
// is not run: its checkpoints stay in memory).
func traceNode(cfg *config.Config, chain chains.Chain) (tracer.TraceDeps, string, func(), error) {
	var deps tracer.TraceDeps
	lg := slog.Default()
	switch chain {
	case chains.Ethereum:
		e := cfg.Chains.Ethereum
		if e == nil {
			return deps, "", nil, usagef("--config: no chains.ethereum node configured to trace on")
		}
		f, err := ethereum.New(ethereum.Config{Network: e.Network, RPC: e.RPC, Traces: e.Traces, KeepLogs: slices.Concat(tornado.Topics(), thorchain.Topics(), evmbridges.KeepLogs()), Checkpoints: &memCheckpoints{}, Logger: lg})
		if err != nil {
			return deps, "", nil, usagef("--config: chains.ethereum: %v", err)
		}
		deps.Source, deps.Locator, deps.Balances = f, f, f
		return deps, e.RPC, func() { f.Close() }, nil
	case chains.Bitcoin:
		b := cfg.Chains.Bitcoin
		if b == nil {
			return deps, "", nil, usagef("--config: no chains.bitcoin node configured to trace on")
		}
		f, err := bitcoin.New(bitcoin.Config{Network: b.Network, RPC: b.RPC, RPCUser: b.RPCUser, RPCPassword: b.RPCPassword, RPCCookie: b.RPCCookie, Checkpoints: &memCheckpoints{}, Logger: lg})
		if err != nil {
			return deps, "", nil, usagef("--config: chains.bitcoin: %v", err)
		}
		deps.Source, deps.Locator, deps.Prevouts = f, f, f
		mainnet := b.Network == "mainnet"
		deps.CoinJoins = func(tx *chains.Tx, ins []coinjoin.Input, h uint64) (coinjoin.Join, bool) {
			return coinjoin.Detect(tx, ins, h, mainnet)
		}
		return deps, b.RPC, func() { f.Close() }, nil
	}
	return deps, "", nil, usagef("--chain: unknown chain %q", chain)
}

// traceLabels is the shipped label sets plus the watchlists of the data
// directory when it holds a store no daemon has open.
func traceLabels(ctx context.Context, stderr io.Writer, cfg *config.Config) (*watchlists.Registry, error) {
	networks := watchlists.Networks{}
	if e := cfg.Chains.Ethereum; e != nil {
		networks[chains.Ethereum] = e.Network
	}
	if b := cfg.Chains.Bitcoin; b != nil {
		networks[chains.Bitcoin] = b.Network
	}
	dir := cfg.DataDir
	return offlineLabels(ctx, dir, networks, func() {
		fmt.Fprintf(stderr, "chainhound trace: data directory %s is held by a running daemon: using the shipped labels only (its watchlists are not read)\n", dir)
	})
}

// memCheckpoints is a checkpoint store in memory: trace never runs the
// follower, so nothing it would save matters.
type memCheckpoints struct {
	mu   sync.Mutex
	refs map[chains.Chain]chains.BlockRef
}

func (m *memCheckpoints) Checkpoint(_ context.Context, c chains.Chain) (chains.BlockRef, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.refs[c]
	return r, ok, nil
}

func (m *memCheckpoints) SaveCheckpoint(_ context.Context, c chains.Chain, ref chains.BlockRef) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refs == nil {
		m.refs = map[chains.Chain]chains.BlockRef{}
	}
	m.refs[c] = ref
	return nil
}

// writeTraceTable prints the graph for people: the hops, the findings, and
// where the taint still sits.
func writeTraceTable(w io.Writer, g *tracer.FlowGraph) error {
	var stolen []string
	for _, s := range g.Stolen {
		stolen = append(stolen, s.Formatted)
	}
	if len(stolen) == 0 {
		stolen = []string{"nothing (the transaction moved no value out of its sender)"}
	}
	fmt.Fprintf(w, "%s tx %s: %s, max %d hops, blocks %d..%d\nstolen: %s\n\n", g.Chain, g.Tx, g.Policy, g.MaxHops, g.FromBlock, g.ToBlock, strings.Join(stolen, ", "))
	labels := map[string]string{}
	for _, n := range g.Nodes {
		var ls []string
		for _, l := range n.Labels {
			s := string(l.Kind)
			if l.Label != "" {
				s += ": " + l.Label
			}
			ls = append(ls, s)
		}
		labels[n.Address] = watchlists.Printable(strings.Join(ls, "; ")) // stored text may predate CheckText
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOP\tBLOCK\tTX\tFROM\tTO\tTAINTED\tLABEL")
	for _, e := range g.Edges {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", e.Hop, e.Block, e.Tx, e.From, e.To, e.Formatted, labels[e.To])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(g.Findings) > 0 {
		fmt.Fprintln(w, "\nfindings:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tBLOCK\tTX\tTO\tTAINTED\tSHARE\tHOPS\tLABEL")
		for _, f := range g.Findings {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\n", f.Type, f.Block, f.Tx, f.To, f.Formatted, percent(f.Share), f.Hops, labels[f.To])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "\nstill held:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tTAINTED\tLABEL")
	held := 0
	for _, n := range g.Nodes {
		for _, h := range n.Held {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", n.Address, h.Formatted, labels[n.Address])
			held++
		}
	}
	if held == 0 {
		fmt.Fprintln(tw, "(none tracked)\t\t")
	}
	return tw.Flush()
}

// percent is a share as a table shows it: "12.34%", "<0.01%" for a tiny
// one (never 4.3e-57), "-" for none.
func percent(s float64) string {
	switch {
	case !(s > 0):
		return "-"
	case s < 0.0001:
		return "<0.01%"
	}
	return fmt.Sprintf("%.2f%%", 100*s)
}
