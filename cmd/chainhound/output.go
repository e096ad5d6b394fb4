package main

import (
	"encoding/json"
	"fmt"
	"golang.org/x/term"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

// outputFormat is --format, or the default: a table for a person at a
// terminal, JSON for a program reading a pipe.
func outputFormat(c *cli.Context) string {
	if c.IsSet("format") {
		return c.String("format")
	}
	if f, ok := c.App.Writer.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return "table"
	}
	return "json"
}

func watchOutputFormat(c *cli.Context) (string, error) {
	switch f := outputFormat(c); f {
	case "table", "json":
		return f, nil
	default:
		return "", usagef("--format: unknown output format %q (want table or json)", f)
	}
}

func printEntries(c *cli.Context, format string, entries []watchlists.Entry) error {
	type out struct {
		watchlists.Entry
		Shipped bool `json:"shipped,omitempty"`
	}
	if format == "json" {
		list := make([]out, len(entries))
		for i, e := range entries {
			e.Address = watchlists.Display(e.Chain, e.Address)
			list[i] = out{e, e.Shipped()}
		}
		return watchJSON(c, map[string]any{"entries": list})
	}
	t := newWatchTable(c.App.Writer, "CHAIN", "ADDRESS", "KIND", "PROTOCOL", "OWNER", "TRUSTED", "LABEL", "SOURCE")
	for _, e := range entries {
		trusted := "yes"
		if e.Untrusted {
			trusted = "no" // a tenant's own: alerts its owner, steers nothing
		}
		t.row(string(e.Chain), watchlists.Display(e.Chain, e.Address), string(e.Kind), e.Protocol, e.Owner, trusted, e.Label, e.Source)
	}
	return t.flush()
}

func watchJSON(c *cli.Context, v any) error {
	enc := json.NewEncoder(c.App.Writer)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// watchTable writes aligned columns.
type watchTable struct{ tw *tabwriter.Writer }

func newWatchTable(w io.Writer, header ...string) *watchTable {
	t := &watchTable{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *watchTable) row(cols ...string) {
	for i, c := range cols {
		// Stored text may predate the refusal of control characters
		// (watchlists.CheckText): escaped, it cannot forge a row.
		cols[i] = watchlists.Printable(c)
		if cols[i] == "" {
			cols[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cols, "\t"))
}

func (t *watchTable) flush() error { return t.tw.Flush() }
