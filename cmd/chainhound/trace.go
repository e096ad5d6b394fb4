package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/tracer"
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
	hops, policy, err := traceOverrides(c)
	if err != nil {
		return err
	}
	if hops == 0 {
		hops = cfg.Tracer.MaxHops
	}
	if policy == "" {
		policy = watchlists.Policy(cfg.Tracer.Policy)
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	// The chain's node, only read (never run): blocks, transactions'
	// blocks, balances or prevouts; with the chain's recognisers.
	tn, err := daemon.OpenTraceNode(cfg, chain, slog.Default())
	switch {
	case errors.Is(err, daemon.ErrNotFollowed):
		return usagef("--config: no chains.%s node configured to trace on", chain)
	case err != nil:
		return usagef("--config: %v", err)
	}
	defer tn.Close()
	labels, err := traceLabels(ctx, c.App.ErrWriter, cfg)
	if err != nil {
		return err
	}
	deps, node := tn.Deps(labels), tn.Node
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
	return g.Write(c.App.Writer, format)
}

// traceViaAPI has the daemon trace tx (GET /v1/trace): its labels, index
// and recognisers. Flags not given are left to the daemon's defaults.
func traceViaAPI(c *cli.Context, a *watchAPI, chain chains.Chain, tx string, blocks uint64, format string) error {
	hops, policy, err := traceOverrides(c)
	if err != nil {
		return err
	}
	q := api.TraceQuery{Hops: hops, Policy: policy}
	if c.IsSet("blocks") {
		q.Blocks = &blocks
	}
	g, err := a.Trace(c.Context, chain, tx, q)
	if err != nil {
		return fmt.Errorf("trace through the daemon at %s: %w", a.base, cliError(err))
	}
	return g.Write(c.App.Writer, format)
}

// traceOverrides are --hops and --policy when given, checked (0 and "":
// not given).
func traceOverrides(c *cli.Context) (hops int, policy watchlists.Policy, err error) {
	if c.IsSet("hops") {
		if hops = c.Int("hops"); hops < 1 || hops > watchlists.MaxHopsLimit {
			return 0, "", usagef("--hops: %d out of range 1..%d", hops, watchlists.MaxHopsLimit)
		}
	}
	if c.IsSet("policy") {
		if policy, err = watchlists.ParsePolicy(c.String("policy")); err != nil || c.String("policy") == "" {
			return 0, "", usagef("--policy: unknown policy %q (want haircut, poison or fifo)", c.String("policy"))
		}
	}
	return hops, policy, nil
}

// traceLabels is the shipped label sets plus the watchlists of the data
// directory when it holds a store no daemon has open.
func traceLabels(ctx context.Context, stderr io.Writer, cfg *config.Config) (*watchlists.Registry, error) {
	dir := cfg.DataDir
	return offlineLabels(ctx, dir, daemon.Networks(cfg), func() {
		fmt.Fprintf(stderr, "chainhound trace: data directory %s is held by a running daemon: using the shipped labels only (its watchlists are not read)\n", dir)
	})
}
