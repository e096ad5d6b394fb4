package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"math/big"
	"net/url"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

func alertsCommand() *cli.Command {
	return &cli.Command{
		Name:  "alerts",
		Usage: "read alerts from a running daemon; triage them",
		Subcommands: append([]*cli.Command{{
			Name:  "tail",
			Usage: "print alerts as they come (JSON lines or a table); reconnects with since=<last seq> after a drop, losing and repeating none",
			Flags: []cli.Flag{
				&cli.Uint64Flag{Name: "since", Usage: "start after this `SEQ` (0: every stored alert)"},
				&cli.StringSliceFlag{Name: "type", Usage: "only this alert `TYPE` (repeatable)"},
				&cli.StringSliceFlag{Name: "chain", Usage: "only this chain (repeatable)"},
				&cli.StringFlag{Name: "incident", Usage: "only this incident `ID`"},
				&cli.StringFlag{Name: "min-severity", Usage: "critical, high, medium, low or info"},
				&cli.StringFlag{Name: "format", Value: "json", Usage: "json (one alert per line) or table"},
				&cli.BoolFlag{Name: "follow", Usage: "keep reconnecting however long the daemon is away (default: give up after --give-up with exit 1)"},
				&cli.DurationFlag{Name: "give-up", Value: 30 * time.Second, Usage: "without --follow, exit 1 once the daemon has not been reached for this `DURATION`"},
			},
			Action: alertsTail,
		}}, triageCommands()...),
	}
}

func alertsTail(c *cli.Context) error {
	format := c.String("format")
	if format != "json" && format != "table" {
		return usagef("--format: unknown format %q (want json or table)", format)
	}
	key := c.String("api-key")
	if key == "" {
		return usagef("--api-key: required to tail alerts (or CHAINHOUND_API_KEY)")
	}
	filter := url.Values{}
	for _, t := range c.StringSlice("type") {
		if !alerts.ValidType(t) {
			return usagef("--type: unknown alert type %q", t)
		}
		filter.Add("type", t)
	}
	for _, ch := range c.StringSlice("chain") {
		filter.Add("chain", ch)
	}
	if v := c.String("incident"); v != "" {
		filter.Set("incident", v)
	}
	if v := c.String("min-severity"); v != "" {
		if !alerts.ValidSeverity(v) {
			return usagef("--min-severity: unknown severity %q", v)
		}
		filter.Set("min_severity", v)
	}
	if _, err := api.WSURL(apiURL(c), 0, nil); err != nil {
		return usagef("%v", err)
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	print := alertPrinter(c, format)
	tail := &api.Tail{API: apiURL(c), Key: key, Since: c.Uint64("since"), Filter: filter}
	if !c.Bool("follow") {
		if c.Duration("give-up") <= 0 {
			return usagef("--give-up: %s is not a positive duration", c.Duration("give-up"))
		}
		tail.GiveUp = c.Duration("give-up")
	}
	err := tail.Run(ctx, print)
	var pe *api.PermanentError
	if errors.As(err, &pe) && pe.Status == 400 {
		if pe.Err.Field != "" {
			return usagef("%s: %s", pe.Err.Field, pe.Err.Message)
		}
		return usagef("%s", pe.Err.Message)
	}
	return err
}

// alertPrinter writes alerts as JSON lines or table rows, flushing each.
func alertPrinter(c *cli.Context, format string) func(alerts.Alert) error {
	if format == "json" {
		enc := json.NewEncoder(c.App.Writer)
		return func(a alerts.Alert) error { return enc.Encode(a) }
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tTYPE\tSEVERITY\tCHAIN\tTX\tTO\tAMOUNT\tTAINTED\tLABEL")
	tw.Flush()
	return func(a alerts.Alert) error {
		label := ""
		if a.Label != nil {
			label = a.Label.Name
			if a.Label.Owner != "" {
				label += " (" + a.Label.Owner + ")"
			}
		}
		// Every field from the server is escaped: a label stored by a
		// version that did not refuse control characters cannot forge a
		// row or move the cursor (docs/security.md, "Text").
		p := watchlists.Printable
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Seq, a.Time.UTC().Format("2006-01-02T15:04:05Z"),
			p(a.Type), p(a.Severity), p(a.Chain), p(a.Tx), p(a.To), p(humanAmount(a.Amount, a.Asset)), p(humanAmount(a.Tainted, a.Asset)), p(label))
		return tw.Flush()
	}
}

// humanAmount is an alert's amount (smallest unit, a decimal string) in
// its asset's units, exactly: "500 ETH", "0.9 BTC"; "-" when absent.
func humanAmount(v string, a *alerts.Asset) string {
	if v == "" {
		return "-"
	}
	x, ok := new(big.Int).SetString(v, 10)
	if !ok || a == nil {
		return v
	}
	asset := chains.Asset{Symbol: a.Symbol, Decimals: a.Decimals}
	if asset.Symbol == "" && a.Contract != nil {
		asset.Contract = *a.Contract
	}
	return tracer.FormatAsset(x, asset)
}
