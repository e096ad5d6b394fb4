package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/notify"
	"github.com/urfave/cli/v2"
)

func channelsCommand() *cli.Command {
	format := watchFormatFlag()
	tenant := &cli.StringFlag{Name: "tenant", Usage: "act for another tenant `NAME` (admin keys)"}
	return &cli.Command{
		Name:  "channels",
		Usage: "manage the tenant's notification channels (Slack, Discord, Teams, Telegram, PagerDuty, email, webhook) through --api with --api-key",
		Subcommands: []*cli.Command{
			{
				Name:  "add",
				Usage: "add a channel (or replace the one named by --id) and print it, secrets redacted",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "type", Usage: "slack, discord, teams, telegram, pagerduty, email or webhook", Required: true},
					&cli.StringFlag{Name: "target", Usage: "the incoming-webhook URL (slack, discord, teams, webhook), chat id (telegram), routing key (pagerduty) or recipients, comma-separated (email)", Required: true, EnvVars: []string{"CHAINHOUND_CHANNEL_TARGET"}},
					&cli.StringFlag{Name: "secret", Usage: "the webhook's signing secret, or the Telegram bot token", EnvVars: []string{"CHAINHOUND_CHANNEL_SECRET"}},
					&cli.StringFlag{Name: "url", Usage: "the service's API endpoint instead of its default (telegram, pagerduty)"},
					&cli.StringFlag{Name: "smtp-server", Usage: "email: the mail server `HOST:PORT` (587 STARTTLS, 465 TLS)"},
					&cli.StringFlag{Name: "smtp-tls", Usage: "email: starttls or tls", Value: "starttls"},
					&cli.StringFlag{Name: "smtp-user", Usage: "email: the AUTH user name"},
					&cli.StringFlag{Name: "smtp-password", Usage: "email: the AUTH password", EnvVars: []string{"CHAINHOUND_SMTP_PASSWORD"}},
					&cli.StringFlag{Name: "from", Usage: "email: the From address"},
					&cli.StringSliceFlag{Name: "filter", Usage: "only alerts with `KEY=VALUE`: type=T, min_severity=S, chain=C, incident=ID (repeatable; values of one key add up)"},
					&cli.StringFlag{Name: "template", Usage: "the message body as a Go text/template over notify.Message (docs/operations.md); default a summary with amount, path and console link"},
					&cli.StringFlag{Name: "id", Usage: "the channel's `ID` (a-z, 0-9, _ and -); default a new one"},
					&cli.BoolFlag{Name: "all", Usage: "every alert, not only the tenant's (roles that read every alert)"},
					tenant, format,
				},
				Action: channelsAdd,
			},
			{Name: "ls", Usage: "list the tenant's channels (targets redacted, never a secret)", Flags: []cli.Flag{tenant, format}, Action: channelsLs},
			{Name: "test", Usage: "send a test message to a channel now and report its answer", ArgsUsage: "ID", Flags: []cli.Flag{tenant}, Action: channelsTest},
			{Name: "rm", Usage: "remove a channel", ArgsUsage: "ID", Flags: []cli.Flag{tenant}, Action: channelsRm},
		},
	}
}

// channelsAPI is the API client of the channels commands: they need a
// running daemon (a test message is sent by it).
func channelsAPI(c *cli.Context) (*watchAPI, context.Context, error) {
	key := c.String("api-key")
	if key == "" {
		return nil, nil, usagef("%s: give --api-key (and --api): channels are managed through the daemon's API", commandPath(c))
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return newWatchAPI(c, key), ctx, nil
}

// parseChannelFilter reads --filter KEY=VALUE flags.
func parseChannelFilter(specs []string) (notify.Filter, error) {
	var f notify.Filter
	for _, spec := range specs {
		k, v, ok := strings.Cut(spec, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return f, usagef("--filter %q: want KEY=VALUE (type, min_severity, chain or incident)", spec)
		}
		switch k {
		case "type":
			f.Types = append(f.Types, v)
		case "min_severity":
			f.MinSeverity = v
		case "chain":
			f.Chains = append(f.Chains, v)
		case "incident":
			f.Incidents = append(f.Incidents, v)
		default:
			return f, usagef("--filter %q: unknown key %q (want type, min_severity, chain or incident)", spec, k)
		}
	}
	return f, nil
}

func channelsAdd(c *cli.Context) error {
	format := outputFormat(c)
	if format != "table" && format != "json" {
		return usagef("--format: unknown format %q (want table or json)", format)
	}
	if c.NArg() > 0 {
		return usagef("channels add: unexpected argument %q (the channel is given by flags)", c.Args().First())
	}
	filter, err := parseChannelFilter(c.StringSlice("filter"))
	if err != nil {
		return err
	}
	spec := api.ChannelSpec{Type: c.String("type"), Target: c.String("target"), Secret: c.String("secret"), URL: c.String("url"),
		Filter: filter, Template: c.String("template"), All: c.Bool("all")}
	if c.String("type") == notify.Email || c.IsSet("smtp-server") {
		spec.SMTP = &notify.SMTP{Server: c.String("smtp-server"), TLS: c.String("smtp-tls"), Username: c.String("smtp-user"),
			Password: c.String("smtp-password"), From: c.String("from")}
	}
	a, ctx, err := channelsAPI(c)
	if err != nil {
		return err
	}
	v, err := a.PutChannel(ctx, c.String("tenant"), c.String("id"), spec)
	if err != nil {
		return cliError(err)
	}
	if format == "json" {
		return watchJSON(c, v)
	}
	_, err = fmt.Fprintf(c.App.Writer, "added %s (%s → %s)\n", v.ID, v.Type, v.Target)
	return err
}

func channelsLs(c *cli.Context) error {
	format := outputFormat(c)
	if format != "table" && format != "json" {
		return usagef("--format: unknown format %q (want table or json)", format)
	}
	a, ctx, err := channelsAPI(c)
	if err != nil {
		return err
	}
	var out struct {
		Channels []notify.View `json:"channels"`
	}
	if out.Channels, err = a.Channels(ctx, c.String("tenant")); err != nil {
		return cliError(err)
	}
	if format == "json" {
		if out.Channels == nil {
			out.Channels = []notify.View{}
		}
		return watchJSON(c, out)
	}
	t := newWatchTable(c.App.Writer, "ID", "TYPE", "TARGET", "FILTER", "CREATED")
	for _, v := range out.Channels {
		t.row(v.ID, v.Type, v.Target, filterText(v.Filter), v.Created.UTC().Format(time.RFC3339))
	}
	return t.flush()
}

// filterText writes f as the --filter flags that make it; "-" for none.
func filterText(f notify.Filter) string {
	var parts []string
	for _, t := range f.Types {
		parts = append(parts, "type="+t)
	}
	if f.MinSeverity != "" {
		parts = append(parts, "min_severity="+f.MinSeverity)
	}
	for _, ch := range f.Chains {
		parts = append(parts, "chain="+ch)
	}
	for _, id := range f.Incidents {
		parts = append(parts, "incident="+id)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

func channelID(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", usagef("%s: want one channel ID, got %d arguments", commandPath(c), c.NArg())
	}
	return c.Args().First(), nil
}

func channelsTest(c *cli.Context) error {
	return onChannel(c, (*watchAPI).TestChannel, "test message delivered to %s\n")
}

func channelsRm(c *cli.Context) error {
	return onChannel(c, (*watchAPI).RemoveChannel, "removed %s\n")
}

// onChannel calls do through the API on the channel the one argument
// names, then prints done with its ID.
func onChannel(c *cli.Context, do func(a *watchAPI, ctx context.Context, tenant, id string) error, done string) error {
	id, err := channelID(c)
	if err != nil {
		return err
	}
	a, ctx, err := channelsAPI(c)
	if err != nil {
		return err
	}
	if err := do(a, ctx, c.String("tenant"), id); err != nil {
		return cliError(err)
	}
	_, err = fmt.Fprintf(c.App.Writer, done, id)
	return err
}
