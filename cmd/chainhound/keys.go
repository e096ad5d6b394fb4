package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/store"
	"github.com/urfave/cli/v2"
)

func keysCommand() *cli.Command {
	format := watchFormatFlag()
	return &cli.Command{
		Name:  "keys",
		Usage: "manage API keys: directly on --data-dir when no daemon holds it, else through --api with an admin --api-key",
		Subcommands: []*cli.Command{
			{
				Name:  "create",
				Usage: "create a key and print it alone on one line (the only time it is shown)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "role", Usage: "admin, company, exchange or investigator", Required: true},
					&cli.StringFlag{Name: "tenant", Usage: "the tenant `NAME` the key acts for", Required: true},
				},
				Action: keysCreate,
			},
			{Name: "ls", Usage: "list keys (never their secrets)", Flags: []cli.Flag{format}, Action: keysLs},
			{Name: "revoke", Usage: "revoke a key at once", ArgsUsage: "ID", Action: keysRevoke},
		},
	}
}

// withKeys runs direct on the data directory (or the configuration's
// Redis store), or api when --api-key is given.
func withKeys(c *cli.Context, direct func(context.Context, store.Backend) error, viaAPI func(context.Context, *watchAPI) error) error {
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if key := c.String("api-key"); key != "" {
		return viaAPI(ctx, newWatchAPI(c, key))
	}
	cfg := &config.Local{} // only its data_dir, when --data-dir is not given
	if !c.IsSet("data-dir") {
		var err error
		if cfg, err = readWatchConfig(c); err != nil {
			return err
		}
	}
	s, err := openDataDir(c, cfg, "an admin --api-key")
	if err != nil {
		return err
	}
	defer s.Close()
	return direct(ctx, s)
}

func keysCreate(c *cli.Context) error {
	role, err := apikey.ParseRole(c.String("role"))
	if err != nil {
		return usagef("--role: %v", err)
	}
	tenant := c.String("tenant")
	if err := api.ValidTenant(tenant); err != nil {
		return usagef("--tenant: %v", err)
	}
	return withKeys(c, func(ctx context.Context, s store.Backend) error {
		secret, k, err := apikey.New(role, tenant, time.Now())
		if err != nil {
			return err
		}
		if err := s.CreateKey(ctx, k); err != nil {
			return err
		}
		_, err = fmt.Fprintln(c.App.Writer, secret)
		return err
	}, func(ctx context.Context, a *watchAPI) error {
		ck, err := a.CreateKey(ctx, role, tenant)
		if err != nil {
			return cliError(err)
		}
		_, err = fmt.Fprintln(c.App.Writer, ck.Secret)
		return err
	})
}

func keysLs(c *cli.Context) error {
	format := outputFormat(c)
	if format != "table" && format != "json" {
		return usagef("--format: unknown format %q (want table or json)", format)
	}
	var keys []apikey.Key
	err := withKeys(c, func(ctx context.Context, s store.Backend) error {
		var err error
		keys, err = s.Keys(ctx)
		return err
	}, func(ctx context.Context, a *watchAPI) error {
		var err error
		keys, err = a.Keys(ctx)
		return cliError(err)
	})
	if err != nil {
		return err
	}
	if format == "json" {
		if keys == nil {
			keys = []apikey.Key{}
		}
		return watchJSON(c, map[string][]apikey.Key{"keys": keys})
	}
	t := newWatchTable(c.App.Writer, "ID", "ROLE", "TENANT", "CREATED", "REVOKED")
	for _, k := range keys {
		revoked := "-"
		if k.Revoked != nil {
			revoked = k.Revoked.UTC().Format(time.RFC3339)
		}
		t.row(k.ID, string(k.Role), k.Tenant, k.Created.UTC().Format(time.RFC3339), revoked)
	}
	return t.flush()
}

func keysRevoke(c *cli.Context) error {
	if c.NArg() != 1 {
		return usagef("keys revoke: want one key ID, got %d arguments", c.NArg())
	}
	id := c.Args().First()
	return withKeys(c, func(ctx context.Context, s store.Backend) error {
		k, err := s.RevokeKey(ctx, id, time.Now())
		if errors.Is(err, apikey.ErrNotFound) {
			return usagef("keys revoke: no key %q", id)
		}
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.App.Writer, "revoked %s (%s, %s)\n", k.ID, k.Role, k.Tenant)
		return err
	}, func(ctx context.Context, a *watchAPI) error {
		k, err := a.RevokeKey(ctx, id)
		if err != nil {
			return cliError(err)
		}
		_, err = fmt.Fprintf(c.App.Writer, "revoked %s (%s, %s)\n", k.ID, k.Role, k.Tenant)
		return err
	})
}
