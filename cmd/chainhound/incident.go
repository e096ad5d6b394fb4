package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

func incidentCommand() *cli.Command {
	return &cli.Command{
		Name:  "incident",
		Usage: "declare thefts for the tracer to follow, list, show and close them",
		Subcommands: []*cli.Command{
			{
				Name:  "open",
				Usage: "open an incident from theft transactions or a compromised address",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "chain", Usage: "ethereum or bitcoin", Required: true},
					&cli.StringSliceFlag{Name: "tx", Usage: "theft transaction `HASH` (repeatable)"},
					&cli.StringFlag{Name: "address", Usage: "compromised `ADDRESS`: its outflows from --from-block on count as stolen"},
					&cli.Uint64Flag{Name: "from-block", Usage: "first `BLOCK` whose outflows from --address count"},
					&cli.StringFlag{Name: "title", Usage: "a name for the incident"},
					&cli.StringFlag{Name: "policy", Usage: "haircut, poison or fifo (default: the config's tracer.policy, else haircut)"},
					&cli.StringFlag{Name: "dust", Usage: "ignore taint below `AMOUNT` (integer in wei or satoshi; default: the configured one)"},
					&cli.IntFlag{Name: "max-hops", Usage: "stop following after `N` hops (0: the configured default)"},
					&cli.Float64Flag{Name: "confidence-floor", Usage: "a mixer withdrawal linked with a confidence below `F` (0..1) is reported but carries no taint on (default: the configured one, 0.25)"},
					&cli.StringFlag{Name: "owner", Usage: "tenant that owns the incident"},
					&cli.BoolFlag{Name: "wait", Usage: "wait until the incident's catch-up reaches the live chain (exit 0) or fails (exit 1), with a progress bar on a terminal; needs a running daemon"},
					watchFormatFlag(),
				},
				Action: incidentOpen,
			},
			{
				Name:   "ls",
				Usage:  "list incidents",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "status", Usage: "open or closed (default: both)"}, watchFormatFlag()},
				Action: incidentLs,
			},
			{
				Name:      "show",
				Usage:     "show one incident",
				ArgsUsage: "ID",
				Flags:     []cli.Flag{watchFormatFlag()},
				Action:    incidentShow,
			},
			{
				Name:      "close",
				Usage:     "stop tracking an incident (the record stays)",
				ArgsUsage: "ID",
				Flags:     []cli.Flag{watchFormatFlag()},
				Action:    incidentClose,
			},
		},
	}
}

func incidentFromFlags(c *cli.Context) (watchlists.Incident, error) {
	var inc watchlists.Incident
	chain, err := chains.ParseChain(c.String("chain"))
	if err != nil {
		return inc, usagef("--chain: %v", err)
	}
	inc.Chain = chain
	txs := c.StringSlice("tx")
	addr := c.String("address")
	switch {
	case len(txs) > 0 && addr != "":
		return inc, usagef("--tx and --address: give theft transactions or a compromised address, not both")
	case len(txs) == 0 && addr == "":
		return inc, usagef("--tx or --address: one is required")
	case addr != "" && !c.IsSet("from-block"):
		return inc, usagef("--from-block: required with --address")
	case addr == "" && c.IsSet("from-block"):
		return inc, usagef("--from-block: only with --address")
	}
	for _, tx := range txs {
		inc.Seeds = append(inc.Seeds, watchlists.Seed{Tx: tx})
	}
	if addr != "" {
		inc.Seeds = append(inc.Seeds, watchlists.Seed{Address: addr, FromBlock: c.Uint64("from-block")})
	}
	if s := c.String("policy"); s != "" {
		if inc.Policy, err = watchlists.ParsePolicy(s); err != nil {
			return inc, usagef("--policy: %v", err)
		}
	}
	if s := c.String("dust"); s != "" {
		if inc.Dust, err = watchlists.ParseAmount(s); err != nil {
			return inc, usagef("--dust: %v", err)
		}
	}
	inc.MaxHops = c.Int("max-hops")
	if c.IsSet("confidence-floor") {
		f := c.Float64("confidence-floor")
		inc.ConfidenceFloor = &f
	}
	inc.Title = c.String("title")
	inc.Owner = c.String("owner")
	return inc, nil
}

// seedFlag names the flag behind a validation error of IncidentBook.
func seedFlag(err error) string {
	var fe *watchlists.FieldError
	if !errors.As(err, &fe) {
		return "incident"
	}
	field := fe.Field[strings.LastIndexByte(fe.Field, '.')+1:]
	switch field {
	case "tx", "address", "from_block", "max_hops", "confidence_floor", "title", "owner", "policy", "dust", "chain":
		return "--" + strings.ReplaceAll(field, "_", "-")
	}
	return "incident"
}

func incidentOpen(c *cli.Context) error {
	format, err := watchOutputFormat(c)
	if err != nil {
		return err
	}
	inc, err := incidentFromFlags(c)
	if err != nil {
		return err
	}
	var opened watchlists.Incident
	var tracking *tracer.Tracking
	var warnings []string
	err = withState(c, func(st *directState) error {
		if c.Bool("wait") {
			return usagef("--wait: no daemon runs on this data directory to follow the incident (start chainhound serve, or give --api)")
		}
		if inc.Policy == "" && st.policyErr != nil {
			return st.policyErr
		}
		if _, err := st.book.Validate(inc); err != nil {
			return usagef("%s: %v", seedFlag(err), err)
		}
		if err := st.book.Load(c.Context); err != nil {
			return err
		}
		warnings = st.book.Covering(inc)
		opened, err = st.book.Open(c.Context, inc)
		return err
	}, func(api *watchAPI) error {
		// Without a policy, the daemon's tracer.policy.
		id, ws, err := api.OpenIncident(c.Context, inc)
		if err != nil {
			return cliError(err)
		}
		warnings = ws
		if c.Bool("wait") {
			if err := waitTracking(c, api, id); err != nil {
				return err
			}
		}
		opened, tracking, err = getIncident(c, api, id)
		return err
	})
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(c.App.ErrWriter, "warning: "+watchlists.Printable(w))
	}
	if err := printIncident(c, format, opened, tracking); err != nil {
		return err
	}
	if c.Bool("wait") && tracking != nil && tracking.State != tracer.Live {
		return fmt.Errorf("incident %s is %s: %s", opened.ID, tracking.State, tracking.Reason)
	}
	return nil
}

// getIncident reads an incident and what the tracer is doing with it.
func getIncident(c *cli.Context, api *watchAPI, id string) (watchlists.Incident, *tracer.Tracking, error) {
	ti, err := api.Incident(c.Context, id)
	if err != nil {
		return ti.Incident, nil, cliError(err)
	}
	return ti.Incident, ti.Tracking, nil
}

// waitTracking polls the incident until it is live, failed or closed,
// drawing its catch-up as a progress bar when stderr is a terminal.
func waitTracking(c *cli.Context, api *watchAPI, id string) error {
	bar := terminalBar(c, "catching up")
	if bar != nil {
		defer bar.Exit()
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		_, t, err := getIncident(c, api, id)
		if err != nil {
			return err
		}
		if t == nil {
			return fmt.Errorf("incident %s: the daemon says nothing of its tracking", id)
		}
		switch t.State {
		case tracer.Live, tracer.Failed, tracer.Closed:
			if bar != nil {
				_ = bar.Finish()
			}
			return nil
		}
		if bar != nil && t.To >= t.From {
			bar.ChangeMax64(int64(t.To - t.From + 1))
			if t.At >= t.From {
				_ = bar.Set64(int64(t.At - t.From + 1))
			}
		}
		select {
		case <-c.Context.Done():
			return c.Context.Err()
		case <-tick.C:
		}
	}
}
