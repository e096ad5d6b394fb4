package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

func watchImport(c *cli.Context) error {
	if c.NArg() != 1 {
		return usagef("watch import: want exactly one FILE, got %d arguments", c.NArg())
	}
	path := c.Args().First()
	format, err := watchlists.ParseFormat(c.String("format"), path)
	if err != nil {
		return usagef("--format: %v", err)
	}
	opt := watchlists.ImportOptions{Format: format, Owner: c.String("owner"), Source: c.String("source"), SkipInvalid: c.Bool("skip-invalid")}
	if n := c.Int64("max-bytes"); c.IsSet("max-bytes") {
		if n <= 0 {
			return usagef("--max-bytes: %d must be positive", n)
		}
		opt.Limits.Size = n
	}
	if n := c.Int("max-entries"); c.IsSet("max-entries") {
		if n <= 0 {
			return usagef("--max-entries: %d must be positive", n)
		}
		opt.Limits.Entries = n
	}
	if s := c.String("chain"); s != "" {
		if opt.Chain, err = chains.ParseChain(s); err != nil {
			return usagef("--chain: %v", err)
		}
	}
	if s := c.String("kind"); s != "" {
		if opt.Kind, err = watchlists.ParseKind(s); err != nil {
			return usagef("--kind: %v", err)
		}
	}
	if err := watchlists.ValidateOwner(opt.Owner); err != nil {
		return usagef("--%v", err)
	}
	cfg, err := readWatchConfig(c)
	if err != nil {
		return err
	}
	if opt.Networks, err = networks(c, cfg); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return usagef("%s: %v", path, err)
	}
	defer f.Close()
	var in io.Reader = f
	if bar := terminalBytesBar(c, f, "reading "+filepath.Base(path)); bar != nil {
		defer bar.Exit()
		in = io.TeeReader(f, bar)
	}
	res, err := watchlists.Import(in, path, opt)
	if err != nil {
		return usagef("%v", err)
	}
	for _, b := range res.Bad {
		fmt.Fprintf(c.App.ErrWriter, "%s:%d: skipped: %s\n", path, b.Line, watchlists.Printable(b.Reason))
	}
	if more := res.BadRows - len(res.Bad); more > 0 {
		fmt.Fprintf(c.App.ErrWriter, "%s: skipped %d more invalid rows (not listed)\n", path, more)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "%s:%d: warning: %s\n", path, w.Line, watchlists.Printable(w.Reason))
	}
	if more := res.WarnRows - len(res.Warnings); more > 0 {
		fmt.Fprintf(c.App.ErrWriter, "%s: %d more rows left out with a warning (not listed)\n", path, more)
	}
	err = withState(c, func(st *directState) error {
		_, err := st.reg.Add(c.Context, res.Entries...)
		return err
	}, func(api *watchAPI) error {
		// docs/interface.md has no bulk endpoint: every row was validated above,
		// so the posts below fail only on the server's side.
		for i, e := range res.Entries {
			if _, err := api.AddWatchlistEntry(c.Context, e); err != nil {
				return fmt.Errorf("%s: stored %d of %d entries, then: %w", path, i, len(res.Entries), cliError(err))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("imported %d %s from %s", len(res.Entries), watchPlural(len(res.Entries), "entry", "entries"), path)
	if res.BadRows > 0 {
		msg += fmt.Sprintf("; skipped %d invalid %s", res.BadRows, watchPlural(res.BadRows, "row", "rows"))
	}
	if res.WarnRows > 0 {
		msg += fmt.Sprintf("; %d %s of the list left out with a warning", res.WarnRows, watchPlural(res.WarnRows, "row", "rows"))
	}
	if res.Shipped > 0 {
		msg += fmt.Sprintf("; %d shipped %s left out", res.Shipped, watchPlural(res.Shipped, "label", "labels"))
	}
	if res.Dups > 0 {
		msg += fmt.Sprintf("; %d repeated", res.Dups)
	}
	if len(res.Skipped) > 0 {
		msg += "; not followed: " + res.SkippedSummary()
	}
	fmt.Fprintln(c.App.Writer, msg)
	return nil
}

func watchPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
