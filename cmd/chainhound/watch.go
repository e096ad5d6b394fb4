package main

import (
	"errors"
	"fmt"

	libapi "github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

func watchCommand() *cli.Command {
	chainFlag := func(required bool) cli.Flag {
		return &cli.StringFlag{Name: "chain", Usage: "ethereum or bitcoin", Required: required}
	}
	kindFlag := func(required bool) cli.Flag {
		return &cli.StringFlag{Name: "kind", Usage: "treasury, exchange, mixer, bridge, sanctioned, stolen or custom", Required: required}
	}
	ownerFlag := &cli.StringFlag{Name: "owner", Usage: "tenant that owns the entries (default: the caller's; \"\" on the data directory)"}
	return &cli.Command{
		Name:  "watch",
		Usage: "manage watchlist entries (treasury, exchange, mixer, bridge, sanctioned, stolen, custom)",
		Subcommands: []*cli.Command{
			{
				Name:  "add",
				Usage: "add or replace an entry",
				Flags: []cli.Flag{
					chainFlag(true), kindFlag(true),
					&cli.StringFlag{Name: "address", Usage: "the `ADDRESS` (EIP-55 or lowercase hex; base58 or bech32)", Required: true},
					&cli.StringFlag{Name: "label", Usage: "a name, e.g. \"Binance 14\""},
					&cli.StringFlag{Name: "note", Usage: "free text"},
					&cli.StringFlag{Name: "protocol", Usage: "how taint goes through a mixer or bridge: tornado, thorchain, lifi, across, wormhole, stargate, …"},
					ownerFlag,
					watchFormatFlag(),
				},
				Action: watchAdd,
			},
			{
				Name:   "rm",
				Usage:  "remove the entries of an address (of one kind with --kind)",
				Flags:  []cli.Flag{chainFlag(true), &cli.StringFlag{Name: "address", Usage: "the `ADDRESS` whose entries go", Required: true}, kindFlag(false), ownerFlag},
				Action: watchRm,
			},
			{
				Name:  "ls",
				Usage: "list entries",
				Flags: []cli.Flag{chainFlag(false), kindFlag(false), ownerFlag,
					&cli.BoolFlag{Name: "shipped", Usage: "include the shipped labels (data directory only)"},
					watchFormatFlag()},
				Action: watchLs,
			},
			{
				Name:      "import",
				Usage:     "import a file, all or nothing (see --skip-invalid)",
				ArgsUsage: "FILE",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "format", Usage: "ofac-xml, lines, csv, json, tagpack or thorchain-inbound (THORNode's /thorchain/inbound_addresses: the current vaults and routers) (default: from the file extension)"},
					chainFlag(false), kindFlag(false), ownerFlag,
					&cli.StringFlag{Name: "source", Usage: "where the entries came from (default: the file name)"},
					&cli.BoolFlag{Name: "skip-invalid", Usage: "store the good rows and list the bad ones, instead of storing nothing"},
					&cli.Int64Flag{Name: "max-bytes", Usage: "refuse a file larger than `N` bytes once decompressed (default 1 GiB)"},
					&cli.IntFlag{Name: "max-entries", Usage: "refuse a file of more than `N` rows (default 1,000,000)"},
				},
				Action: watchImport,
			},
		},
	}
}

func watchFormatFlag() cli.Flag {
	return &cli.StringFlag{Name: "format", Usage: "table or json (default: a table on a terminal, json when piped)"}
}

// entryFromFlags builds an entry from --chain, --kind, --address, ….
func entryFromFlags(c *cli.Context) (watchlists.Entry, error) {
	chain, err := chains.ParseChain(c.String("chain"))
	if err != nil {
		return watchlists.Entry{}, usagef("--chain: %v", err)
	}
	kind, err := watchlists.ParseKind(c.String("kind"))
	if err != nil {
		return watchlists.Entry{}, usagef("--kind: %v", err)
	}
	if err := watchlists.ValidateOwner(c.String("owner")); err != nil {
		return watchlists.Entry{}, usagef("--%v", err)
	}
	if err := watchlists.ParseProtocol(c.String("protocol"), kind); err != nil {
		return watchlists.Entry{}, usagef("--protocol: %v", err)
	}
	return watchlists.Entry{Chain: chain, Address: c.String("address"), Kind: kind, Protocol: c.String("protocol"),
		Label: c.String("label"), Owner: c.String("owner"), Note: c.String("note"), Source: "cli"}, nil
}

func watchAdd(c *cli.Context) error {
	format, err := watchOutputFormat(c)
	if err != nil {
		return err
	}
	e, err := entryFromFlags(c)
	if err != nil {
		return err
	}
	var stored watchlists.Entry
	err = withState(c, func(st *directState) error {
		out, err := st.reg.Add(c.Context, e)
		var ae *watchlists.AddressError
		if errors.As(err, &ae) {
			return usagef("--address: %v", ae)
		}
		if err != nil {
			return err
		}
		stored = out[0]
		return nil
	}, func(api *watchAPI) error {
		e := e
		e.Source = "" // the API names its own
		stored, err = api.AddWatchlistEntry(c.Context, e)
		return cliError(err)
	})
	if err != nil {
		return err
	}
	return printEntries(c, format, []watchlists.Entry{stored})
}

func watchRm(c *cli.Context) error {
	chain, err := chains.ParseChain(c.String("chain"))
	if err != nil {
		return usagef("--chain: %v", err)
	}
	var kind watchlists.Kind
	if s := c.String("kind"); s != "" {
		if kind, err = watchlists.ParseKind(s); err != nil {
			return usagef("--kind: %v", err)
		}
	}
	addr := c.String("address")
	return withState(c, func(st *directState) error {
		if err := st.reg.Load(c.Context); err != nil {
			return err
		}
		n, err := st.reg.Remove(c.Context, chain, addr, c.String("owner"), kind)
		var ae *watchlists.AddressError
		if errors.As(err, &ae) {
			return usagef("--address: %v", err)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return usagef("--address: no stored %s entry for %s (owner %q)", chain, addr, c.String("owner"))
		}
		fmt.Fprintf(c.App.Writer, "removed %d %s\n", n, watchPlural(n, "entry", "entries"))
		return nil
	}, func(api *watchAPI) error {
		// The server removes the caller's own entries unless told the
		// owner, and every kind unless told one.
		if c.IsSet("owner") && c.String("owner") == "" {
			// The API reads an empty owner as the caller's tenant.
			return usagef(`--owner "": the operator's own entries are removed on the data directory, not through the API`)
		}
		q := libapi.WatchlistQuery{Kind: kind, Owner: c.String("owner")}
		if err := api.RemoveWatchlistEntries(c.Context, chain, addr, q); err != nil {
			return cliError(err)
		}
		fmt.Fprintln(c.App.Writer, "removed")
		return nil
	})
}

func watchLs(c *cli.Context) error {
	format, err := watchOutputFormat(c)
	if err != nil {
		return err
	}
	var f watchlists.Filter
	if s := c.String("chain"); s != "" {
		if f.Chain, err = chains.ParseChain(s); err != nil {
			return usagef("--chain: %v", err)
		}
	}
	if s := c.String("kind"); s != "" {
		if f.Kind, err = watchlists.ParseKind(s); err != nil {
			return usagef("--kind: %v", err)
		}
	}
	if c.IsSet("owner") {
		f.Owner, f.OwnerSet = c.String("owner"), true
	}
	var entries []watchlists.Entry
	err = withState(c, func(st *directState) error {
		if c.Bool("shipped") {
			if _, err := st.reg.LoadShipped(); err != nil {
				return err
			}
		} else {
			no := false
			f.Shipped = &no
		}
		if err := st.reg.Load(c.Context); err != nil {
			return err
		}
		entries = st.reg.List(f)
		return nil
	}, func(api *watchAPI) error {
		if f.OwnerSet && f.Owner == "" {
			// The API reads an empty owner as no filter at all.
			return usagef(`--owner "": the operator's own entries are listed on the data directory, not through the API`)
		}
		var err error
		entries, err = api.WatchlistEntries(c.Context, libapi.WatchlistQuery{Chain: f.Chain, Kind: f.Kind, Owner: f.Owner})
		return cliError(err)
	})
	if err != nil {
		return err
	}
	return printEntries(c, format, entries)
}
