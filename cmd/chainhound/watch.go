package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/term"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/store/redis"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"
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
		body := map[string]string{"chain": string(e.Chain), "address": e.Address, "kind": string(e.Kind), "label": e.Label, "owner": e.Owner}
		if e.Note != "" {
			body["note"] = e.Note
		}
		if e.Protocol != "" {
			body["protocol"] = e.Protocol
		}
		return api.do(c.Context, "POST", "/v1/watchlist", body, &stored)
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
		q := url.Values{}
		if c.IsSet("owner") {
			if c.String("owner") == "" {
				// The API reads an empty owner as the caller's tenant.
				return usagef(`--owner "": the operator's own entries are removed on the data directory, not through the API`)
			}
			q.Set("owner", c.String("owner"))
		}
		if kind != "" {
			q.Set("kind", string(kind))
		}
		path := "/v1/watchlist/" + url.PathEscape(string(chain)) + "/" + url.PathEscape(addr)
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		if err := api.do(c.Context, "DELETE", path, nil, nil); err != nil {
			return err
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
		q := url.Values{}
		for k, v := range map[string]string{"chain": string(f.Chain), "kind": string(f.Kind), "owner": f.Owner} {
			if v != "" {
				q.Set(k, v)
			}
		}
		var resp struct {
			Entries []watchlists.Entry `json:"entries"`
		}
		path := "/v1/watchlist"
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		if err := api.do(c.Context, "GET", path, nil, &resp); err != nil {
			return err
		}
		entries = resp.Entries
		return nil
	})
	if err != nil {
		return err
	}
	return printEntries(c, format, entries)
}

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
	if opt.Networks, err = cfg.networks(c); err != nil {
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
			body := map[string]string{"chain": string(e.Chain), "address": e.Address, "kind": string(e.Kind), "label": e.Label, "owner": e.Owner}
			if e.Note != "" {
				body["note"] = e.Note
			}
			if e.Source != "" {
				body["source"] = e.Source
			}
			if e.Protocol != "" {
				body["protocol"] = e.Protocol
			}
			if err := api.do(c.Context, "POST", "/v1/watchlist", body, nil); err != nil {
				return fmt.Errorf("%s: stored %d of %d entries, then: %w", path, i, len(res.Entries), err)
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

// directState is the data directory (or the Redis store) opened for a
// command.
type directState struct {
	store store.Backend
	reg   *watchlists.Registry
	book  *watchlists.IncidentBook
	// policyErr is why the config's tracer.policy cannot be the book's
	// default; it matters only to an incident opened without --policy.
	policyErr error
}

// withState runs direct on the data directory, or api through a running
// daemon: the API when --api-key is given, else the data directory; a
// directory held by a daemon asks for --api-key.
func withState(c *cli.Context, direct func(*directState) error, api func(*watchAPI) error) error {
	if key := c.String("api-key"); key != "" {
		return api(newWatchAPI(c, key))
	}
	cfg, err := readWatchConfig(c)
	if err != nil {
		return err
	}
	networks, err := cfg.networks(c)
	if err != nil {
		return err
	}
	s, err := openDataDir(c, cfg, "--api-key")
	if err != nil {
		return err
	}
	defer s.Close()
	st := &directState{store: s, reg: watchlists.NewRegistry(s, networks), book: watchlists.NewIncidentBook(s, networks)}
	if p := cfg.Tracer.Policy; p != "" {
		if _, err := watchlists.ParsePolicy(p); err != nil {
			st.policyErr = usagef("--config %s: tracer.policy: %v", c.String("config"), err)
		} else {
			st.book.DefaultPolicy = watchlists.Policy(p)
		}
	}
	if c.Context == nil {
		c.Context = context.Background()
	}
	return direct(st)
}

// openDataDir opens the store of --data-dir (or the config's data_dir),
// or the Redis store the configuration names (store.backend redis). A
// store held by a running daemon is a usage error that asks for the API
// instead, with key naming the --api-key wanted.
func openDataDir(c *cli.Context, cfg watchConfig, key string) (store.Backend, error) {
	if cfg.Store.Backend == "redis" {
		ctx := c.Context
		if ctx == nil {
			ctx = context.Background()
		}
		// Locked, and refused while a replica holds a lease: write through
		// its API instead.
		s, err := redis.Open(ctx, cfg.Store.URL, redis.Options{Lock: true, Sentinel: daemon.RedisSentinel(cfg.Store.Sentinel)})
		if errors.Is(err, redis.ErrInUse) {
			return nil, usagef("the redis store of --config %s is held by a running daemon: give %s (and --api) to go through its API", c.String("config"), key)
		}
		if err != nil {
			return nil, fmt.Errorf("--config %s: %w", c.String("config"), err)
		}
		return s, nil
	}
	dir := cfg.dataDir(c)
	s, err := pebble.Open(dir)
	if errors.Is(err, pebble.ErrInUse) {
		return nil, usagef("--data-dir %s is held by a running daemon: give %s (and --api) to go through its API", dir, key)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// watchAPI talks to a running daemon's REST API (docs/interface.md).
type watchAPI struct {
	base string
	key  string
}

func newWatchAPI(c *cli.Context, key string) *watchAPI {
	return &watchAPI{base: strings.TrimRight(apiURL(c), "/"), key: key}
}

// apiURL is --api, or, when it is not given, the daemon that --config
// describes (its api.listen), or the default.
func apiURL(c *cli.Context) string {
	if c.IsSet("api") || c.String("config") == "" {
		return c.String("api")
	}
	cfg, err := readWatchConfig(c)
	if err != nil || cfg.API.Listen == "" {
		return c.String("api") // a bad file is reported by what reads it next
	}
	host, port, err := net.SplitHostPort(cfg.API.Listen)
	if err != nil {
		return c.String("api")
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // listening on every address: this machine's is one
	}
	return "http://" + net.JoinHostPort(host, port)
}

// watchAPIError is the error body of docs/interface.md.
type watchAPIError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// do sends body (JSON, or nothing when nil) and decodes a 2xx answer into
// out (when non-nil). A 400 answer is bad input (exit 2), naming the field.
// A 429 is waited out as its Retry-After says (a bulk import meets the
// per-key rate limit), up to maxRateWaits times in a row.
func (a *watchAPI) do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		payload = b
	}
	client := &http.Client{Timeout: 60 * time.Second}
	for waits := 0; ; waits++ {
		var rd io.Reader
		if payload != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
		if err != nil {
			return usagef("--api %s: %v", a.base, err)
		}
		req.Header.Set("Authorization", "Bearer "+a.key)
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, a.base+path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s %s: read answer: %w", method, path, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests && waits < maxRateWaits {
			if err := sleepCtx(ctx, retryAfter(resp.Header.Get("Retry-After"))); err != nil {
				return err
			}
			continue
		}
		if resp.StatusCode/100 != 2 {
			var ae watchAPIError
			msg := strings.TrimSpace(string(data))
			if json.Unmarshal(data, &ae) == nil && ae.Error.Message != "" {
				msg = ae.Error.Message
				if ae.Error.Field != "" {
					msg = ae.Error.Field + ": " + msg
				}
			}
			if resp.StatusCode == http.StatusBadRequest {
				return usagef("%s", msg)
			}
			return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, msg)
		}
		if out != nil && len(data) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
			}
		}
		return nil
	}
}

// maxRateWaits bounds how often one request waits out a 429.
const maxRateWaits = 20

// retryAfter reads a Retry-After header in seconds: at least 100 ms, at
// most 30 s, 1 s when absent or not a number of seconds.
func retryAfter(h string) time.Duration {
	secs, err := strconv.ParseFloat(strings.TrimSpace(h), 64)
	if err != nil || secs != secs {
		return time.Second
	}
	return min(max(time.Duration(secs*float64(time.Second)), 100*time.Millisecond), 30*time.Second)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// watchConfig is the part of the configuration file these commands read.
type watchConfig struct {
	DataDir string `yaml:"data_dir"`
	Store   struct {
		Backend  string           `yaml:"backend"`
		URL      string           `yaml:"url"`
		Sentinel *config.Sentinel `yaml:"sentinel"`
	} `yaml:"store"`
	Chains map[string]struct {
		Network string `yaml:"network"`
	} `yaml:"chains"`
	Tracer struct {
		Policy string `yaml:"policy"`
	} `yaml:"tracer"`
	Screen config.Screen `yaml:"screen"`
	API    struct {
		Listen string `yaml:"listen"`
	} `yaml:"api"`
}

func readWatchConfig(c *cli.Context) (watchConfig, error) {
	var cfg watchConfig
	path := c.String("config")
	if path == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, usagef("--config: %v", err)
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return cfg, usagef("--config %s: %v", path, err)
	}
	return cfg, nil
}

// dataDir is --data-dir, or the configuration's data_dir when the flag
// is not given.
func (cfg watchConfig) dataDir(c *cli.Context) string {
	if !c.IsSet("data-dir") && cfg.DataDir != "" {
		return cfg.DataDir
	}
	return c.String("data-dir")
}

// networks is each chain's network from the configuration file (mainnet
// when absent).
func (cfg watchConfig) networks(c *cli.Context) (watchlists.Networks, error) {
	n := watchlists.Networks{}
	for name, ch := range cfg.Chains {
		chain, err := chains.ParseChain(name)
		if err != nil {
			return nil, usagef("--config %s: chains.%s: %v", c.String("config"), name, err)
		}
		n[chain] = ch.Network
	}
	return n, nil
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
