package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

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
