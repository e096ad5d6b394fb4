package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/store/redis"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

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
	networks, err := networks(c, cfg)
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
func openDataDir(c *cli.Context, cfg *config.Local, key string) (store.Backend, error) {
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
	dir := dataDir(c, cfg)
	s, err := pebble.Open(dir)
	if errors.Is(err, pebble.ErrInUse) {
		return nil, usagef("--data-dir %s is held by a running daemon: give %s (and --api) to go through its API", dir, key)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// readWatchConfig reads the part of --config these commands use
// (config.LoadLocal); none without --config.
func readWatchConfig(c *cli.Context) (*config.Local, error) {
	path := c.String("config")
	if path == "" {
		return &config.Local{}, nil
	}
	cfg, err := config.LoadLocal(path)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, usagef("--config: %v", err)
	}
	if err != nil {
		return nil, usagef("--config %s: %v", path, err)
	}
	return cfg, nil
}

// dataDir is --data-dir, or the configuration's data_dir when the flag
// is not given.
func dataDir(c *cli.Context, cfg *config.Local) string {
	if !c.IsSet("data-dir") && cfg.DataDir != "" {
		return cfg.DataDir
	}
	return c.String("data-dir")
}

// networks is each chain's network from the configuration file (mainnet
// when absent).
func networks(c *cli.Context, cfg *config.Local) (watchlists.Networks, error) {
	n, err := cfg.Networks()
	if err != nil {
		return nil, usagef("--config %s: %v", c.String("config"), err)
	}
	return n, nil
}
