package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

// triageCommands are the alerts subcommands that triage an alert, through
// the API (--api-key: the key's tenant) or on --data-dir (--tenant).
func triageCommands() []*cli.Command {
	tenant := &cli.StringFlag{Name: "tenant", Usage: "on --data-dir: whose triage (`NAME`); through the API it is the key's tenant"}
	format := &cli.StringFlag{Name: "format", Value: "table", Usage: "table (one line) or json (the triage)"}
	return []*cli.Command{{
		Name:      "ack",
		Usage:     "acknowledge an alert (status acknowledged)",
		ArgsUsage: "SEQ",
		Flags:     []cli.Flag{tenant, format},
		Action: func(c *cli.Context) error {
			s := alerts.StatusAcknowledged
			return triageAlert(c, &s, nil, "")
		},
	}, {
		Name:      "status",
		Usage:     "set an alert's triage status and assignee",
		ArgsUsage: "SEQ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "set", Usage: "the `STATUS`: " + strings.Join(alerts.Statuses, ", ")},
			&cli.StringFlag{Name: "assignee", Usage: "who handles it (`NAME`; \"\" for nobody)"},
			tenant, format,
		},
		Action: func(c *cli.Context) error {
			var status, assignee *string
			if c.IsSet("set") {
				v := c.String("set")
				if !alerts.ValidStatus(v) {
					return usagef("--set: unknown status %q (want %s)", v, strings.Join(alerts.Statuses, ", "))
				}
				status = &v
			}
			if c.IsSet("assignee") {
				v := c.String("assignee")
				assignee = &v
			}
			if status == nil && assignee == nil {
				return usagef("--set: give --set, --assignee or both")
			}
			return triageAlert(c, status, assignee, "")
		},
	}, {
		Name:      "comment",
		Usage:     "comment on an alert",
		ArgsUsage: "SEQ TEXT",
		Flags:     []cli.Flag{tenant, format},
		Action: func(c *cli.Context) error {
			text := strings.Join(c.Args().Tail(), " ")
			if strings.TrimSpace(text) == "" {
				return usagef("TEXT: give the comment after the seq")
			}
			return triageAlert(c, nil, nil, text)
		},
	}}
}

// triageAlert sets status and assignee, or adds comment, to the alert of
// the first argument, and prints its triage.
func triageAlert(c *cli.Context, status, assignee *string, comment string) error {
	arg := c.Args().First()
	seq, err := strconv.ParseUint(arg, 10, 64)
	if err != nil || seq == 0 {
		return usagef("SEQ: %q is not an alert seq (1, 2, …)", arg)
	}
	format := c.String("format")
	if format != "table" && format != "json" {
		return usagef("--format: unknown format %q (want table or json)", format)
	}
	var tr alerts.Triage
	err = withState(c, func(st *directState) error {
		tenant := c.String("tenant")
		if err := watchlists.ValidateTenant(tenant); err != nil {
			return usagef("--tenant: %v", err)
		}
		recs, err := st.store.AlertsSince(c.Context, seq-1, 1)
		if err != nil {
			return err
		}
		if len(recs) == 0 || recs[0].Alert.Seq != seq {
			return fmt.Errorf("no alert %d in the store", seq)
		}
		tr, err = st.store.UpdateTriage(c.Context, tenant, seq, func(tr *alerts.Triage) error {
			now := time.Now().UTC()
			if comment != "" {
				return tr.AddComment(alerts.Comment{Time: now, By: "cli", Text: comment})
			}
			_, err := tr.Set(status, assignee, "cli", now)
			return err
		})
		return err
	}, func(a *watchAPI) error {
		if c.IsSet("tenant") {
			return usagef("--tenant: through the API the triage is the key's tenant's; drop --tenant")
		}
		var err error
		if comment != "" {
			tr, err = a.CommentAlert(c.Context, seq, comment)
		} else {
			tr, err = a.SetTriage(c.Context, seq, status, assignee)
		}
		return cliError(err)
	})
	if err != nil {
		return err
	}
	if format == "json" {
		return json.NewEncoder(c.App.Writer).Encode(tr)
	}
	assigned := "nobody"
	if tr.Assignee != "" {
		assigned = watchlists.Printable(tr.Assignee)
	}
	_, err = fmt.Fprintf(c.App.Writer, "alert %d: %s, assigned to %s (%d changes, %d comments)\n", seq, tr.Status, assigned, len(tr.History), len(tr.Comments))
	return err
}
