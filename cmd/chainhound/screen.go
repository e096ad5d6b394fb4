package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

func screenCommand() *cli.Command {
	return &cli.Command{
		Name:      "screen",
		Usage:     "an address's exposure to DPRK-attributed, sanctioned, stolen, mixer and bridge funds, with a risk level",
		ArgsUsage: "ADDRESS ...",
		Description: "Screens the addresses given, or those of --file: a CSV with a header whose address column\n" +
			"is found by name (address, wallet, …), or one address per line. With --api-key the running daemon\n" +
			"at --api screens them (POST /v1/screen: its watchlist, open incidents' taint and transfer index);\n" +
			"otherwise the data directory's watchlist, the shipped labels and its transfer index (no taint holdings).\n" +
			"--format csv writes the file back with risk, exposure and path columns added.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "chain", Usage: "ethereum or bitcoin (required)"},
			&cli.StringFlag{Name: "file", Usage: "screen the addresses of this CSV `FILE` (a payroll export)"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "table, json or csv"},
		},
		Action: screenAction,
	}
}

// screenInput is what is screened: the addresses, and for a CSV file its
// header and rows, to write back with the results.
type screenInput struct {
	addrs  []string // as given
	norm   []string // normalised
	header []string
	rows   [][]string
}

func screenAction(c *cli.Context) error {
	chain, err := chains.ParseChain(c.String("chain"))
	if err != nil {
		return usagef("--chain: %v", err)
	}
	format := c.String("format")
	if format != "table" && format != "json" && format != "csv" {
		return usagef("--format: unknown format %q (want table, json or csv)", format)
	}
	cfg, err := readWatchConfig(c)
	if err != nil {
		return err
	}
	networks, err := networks(c, cfg)
	if err != nil {
		return err
	}
	in, err := readScreenInput(c, chain, networks[chain])
	if err != nil {
		return err
	}
	if c.Context == nil {
		c.Context = context.Background()
	}
	var results []screening.Result
	if key := c.String("api-key"); key != "" {
		if results, err = newWatchAPI(c, key).Screen(c.Context, chain, in.addrs); err != nil {
			return cliError(err)
		}
	} else if results, err = screenOffline(c, cfg, networks, chain, in.norm); err != nil {
		return err
	}
	return writeScreen(c.App.Writer, format, in, results)
}

// screenOffline screens on the data directory (or the Redis of --config).
func screenOffline(c *cli.Context, cfg *config.Local, networks watchlists.Networks, chain chains.Chain, addrs []string) ([]screening.Result, error) {
	sc := daemon.ScreenConfig(cfg.Screen)
	if err := sc.Risk.Validate(); err != nil {
		return nil, usagef("--config %s: screen.risk: %v", c.String("config"), err)
	}
	s, err := openDataDir(c, cfg, "--api-key")
	if err != nil {
		return nil, err
	}
	defer s.Close()
	reg := watchlists.NewRegistry(s, networks)
	if _, err := reg.LoadShipped(); err != nil {
		return nil, fmt.Errorf("load shipped labels: %w", err)
	}
	if err := reg.Load(c.Context); err != nil {
		return nil, fmt.Errorf("load watchlists: %w", err)
	}
	var idx screening.Index
	if is, ok := s.(tracer.IndexStore); ok {
		idx = tracer.NewIndexReader(is)
	}
	return screening.New(sc, reg, nil, idx).ScreenAll(c.Context, chain, addrs, 0)
}

// readScreenInput reads the arguments or --file, refusing a bad address
// with the file and line.
func readScreenInput(c *cli.Context, chain chains.Chain, network string) (*screenInput, error) {
	in := &screenInput{}
	file := c.String("file")
	switch {
	case file != "" && c.Args().Present():
		return nil, usagef("--file: give addresses or --file, not both")
	case file == "" && !c.Args().Present():
		return nil, usagef("ADDRESS: give addresses to screen, or --file")
	case file == "":
		for i, a := range c.Args().Slice() {
			n, err := watchlists.Normalize(chain, network, a)
			if err != nil {
				return nil, usagef("ADDRESS %d (%s): %v", i+1, a, err)
			}
			in.addrs, in.norm = append(in.addrs, a), append(in.norm, n)
		}
		return in, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, usagef("--file: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	col := -1
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, usagef("--file %s: %v", file, err)
		}
		if line == 1 {
			// A header names the column; a first line that is an address
			// makes the file a plain list.
			if _, err := watchlists.Normalize(chain, network, strings.TrimSpace(rec[0])); err == nil && len(rec) == 1 {
				col = 0
			} else {
				col = addressColumn(rec)
				if col < 0 {
					return nil, usagef("%s:1: no address column in the header %q (want a column named address, wallet or payout address)", file, strings.Join(rec, ","))
				}
				in.header = rec
				continue
			}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if col >= len(rec) {
			return nil, usagef("%s:%d: no column %d (%q) in this row", file, line, col+1, headerName(in.header, col))
		}
		a := strings.TrimSpace(rec[col])
		n, err := watchlists.Normalize(chain, network, a)
		if err != nil {
			return nil, usagef("%s:%d: column %q: %v", file, line, headerName(in.header, col), err)
		}
		in.addrs, in.norm, in.rows = append(in.addrs, a), append(in.norm, n), append(in.rows, rec)
	}
	if len(in.addrs) == 0 {
		return nil, usagef("--file %s: no addresses", file)
	}
	return in, nil
}

func headerName(h []string, col int) string {
	if col < len(h) {
		return h[col]
	}
	return "address"
}

// addressColumn finds the column of addresses by its header: "address"
// first, then a name with "address" or "wallet" in it.
func addressColumn(h []string) int {
	for i, name := range h {
		if strings.EqualFold(strings.TrimSpace(name), "address") {
			return i
		}
	}
	for i, name := range h {
		n := strings.ToLower(name)
		if strings.Contains(n, "address") || strings.Contains(n, "wallet") {
			return i
		}
	}
	return -1
}
