package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

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

// terminalBar is a progress bar of blocks on stderr when it is a
// terminal (nil when piped: no progress drawn).
func terminalBar(c *cli.Context, what string) *progressbar.ProgressBar {
	f, ok := c.App.ErrWriter.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(-1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionSetItsString("blocks"), progressbar.OptionShowIts(),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
}

// terminalBytesBar is a progress bar of f's bytes read, on stderr when it
// is a terminal (nil when piped, or when f's size is unknown).
func terminalBytesBar(c *cli.Context, f *os.File, what string) *progressbar.ProgressBar {
	w, ok := c.App.ErrWriter.(*os.File)
	if !ok || !term.IsTerminal(int(w.Fd())) {
		return nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	return progressbar.NewOptions64(st.Size(), progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
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

func incidentLs(c *cli.Context) error {
	format, err := watchOutputFormat(c)
	if err != nil {
		return err
	}
	status := watchlists.IncidentStatus(c.String("status"))
	if status != "" && status != watchlists.Open && status != watchlists.Closed {
		return usagef("--status: unknown status %q (want open or closed)", status)
	}
	var list []watchlists.Incident
	var tracking []*tracer.Tracking // beside list; nil entries offline
	err = withState(c, func(st *directState) error {
		if err := st.book.Load(c.Context); err != nil {
			return err
		}
		list = st.book.List("*", status)
		tracking = make([]*tracer.Tracking, len(list))
		return nil
	}, func(api *watchAPI) error {
		all, err := api.Incidents(c.Context)
		if err != nil {
			return cliError(err)
		}
		for _, ti := range all {
			if status == "" || ti.Incident.Status == status {
				list = append(list, ti.Incident)
				tracking = append(tracking, ti.Tracking)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if format == "json" {
		out := make([]any, len(list))
		for i, inc := range list {
			out[i] = inc
			if tracking[i] != nil {
				m, err := withTracking(inc, tracking[i])
				if err != nil {
					return err
				}
				out[i] = m
			}
		}
		return watchJSON(c, map[string]any{"incidents": out})
	}
	t := newWatchTable(c.App.Writer, "ID", "STATUS", "TRACKING", "CHAIN", "POLICY", "SEEDS", "OPENED", "OWNER", "TITLE")
	for i, inc := range list {
		t.row(inc.ID, string(inc.Status), trackingCell(tracking[i]), string(inc.Chain), string(inc.Policy), fmt.Sprint(len(inc.Seeds)),
			inc.Opened.Format(time.RFC3339), inc.Owner, inc.Title)
	}
	return t.flush()
}

// trackingCell is a tracking state in a table: the state, and how far a
// catch-up got; "-" when no daemon said (offline).
func trackingCell(tr *tracer.Tracking) string {
	switch {
	case tr == nil:
		return "-"
	case tr.State == tracer.CatchingUp && tr.To > tr.From:
		done := min(100, 100*(tr.At+1-min(tr.At+1, tr.From))/(tr.To-tr.From+1))
		return fmt.Sprintf("catching_up %d%%", done)
	}
	return tr.State
}

// withTracking is inc's JSON object with its tracking beside it, as the
// API answers.
func withTracking(inc watchlists.Incident, tr *tracer.Tracking) (map[string]any, error) {
	b, err := json.Marshal(inc)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["tracking"] = tr
	return m, nil
}

func incidentID(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", usagef("incident %s: want exactly one ID, got %d arguments", c.Command.Name, c.NArg())
	}
	id := c.Args().First()
	if !strings.HasPrefix(id, "inc_") {
		return "", usagef("ID %q: incident ids start with inc_", id)
	}
	return id, nil
}

func incidentShow(c *cli.Context) error {
	return incidentGetOrClose(c, false)
}

func incidentClose(c *cli.Context) error {
	return incidentGetOrClose(c, true)
}

func incidentGetOrClose(c *cli.Context, close bool) error {
	format, err := watchOutputFormat(c)
	if err != nil {
		return err
	}
	id, err := incidentID(c)
	if err != nil {
		return err
	}
	var inc watchlists.Incident
	var tracking *tracer.Tracking
	err = withState(c, func(st *directState) error {
		if err := st.book.Load(c.Context); err != nil {
			return err
		}
		if close {
			inc, err = st.book.Close(c.Context, id)
		} else {
			inc, err = st.book.Get(id)
		}
		if errors.Is(err, watchlists.ErrNotFound) {
			return usagef("ID %s: no such incident", id)
		}
		return err
	}, func(api *watchAPI) error {
		if close {
			if err := api.CloseIncident(c.Context, id); err != nil {
				return cliError(err)
			}
		}
		inc, tracking, err = getIncident(c, api, id)
		return err
	})
	if err != nil {
		return err
	}
	return printIncident(c, format, inc, tracking)
}

// printIncident shows an incident and, from a daemon, its tracking.
func printIncident(c *cli.Context, format string, inc watchlists.Incident, tracking *tracer.Tracking) error {
	if format == "json" {
		if tracking == nil {
			return watchJSON(c, inc)
		}
		m, err := withTracking(inc, tracking)
		if err != nil {
			return err
		}
		return watchJSON(c, m)
	}
	w := c.App.Writer
	t := newWatchTable(w, "FIELD", "VALUE")
	t.row("id", inc.ID)
	t.row("status", string(inc.Status))
	t.row("title", inc.Title)
	t.row("owner", inc.Owner)
	t.row("chain", string(inc.Chain))
	t.row("policy", string(inc.Policy))
	dust := "default"
	if inc.Dust != nil {
		dust = inc.Dust.String()
	}
	t.row("dust", dust)
	hops := "default"
	if inc.MaxHops > 0 {
		hops = fmt.Sprint(inc.MaxHops)
	}
	t.row("max hops", hops)
	t.row("opened", inc.Opened.Format(time.RFC3339))
	if inc.Closed != nil {
		t.row("closed", inc.Closed.Format(time.RFC3339))
	}
	if tr := tracking; tr != nil {
		switch tr.State {
		case tracer.CatchingUp:
			t.row("tracking", fmt.Sprintf("catching up: block %d of %d..%d, %.1f blocks/s", tr.At, tr.From, tr.To, tr.Rate))
		case tracer.Failed:
			t.row("tracking", "failed: "+tr.Reason)
		default:
			t.row("tracking", tr.State)
		}
	}
	for i, s := range inc.Seeds {
		if s.Tx != "" {
			t.row(fmt.Sprintf("seed %d", i+1), "tx "+s.Tx)
		} else {
			t.row(fmt.Sprintf("seed %d", i+1), fmt.Sprintf("address %s from block %d", watchlists.Display(inc.Chain, s.Address), s.FromBlock))
		}
	}
	return t.flush()
}
