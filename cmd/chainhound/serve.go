package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the daemon: follow the configured chains, trace, alert, serve the API",
		Description: "Reads --config (YAML, see chainhound.example.yaml), checks all of it before starting,\n" +
			"then follows the configured chains until SIGINT or SIGTERM. With --check it checks the\n" +
			"configuration, the data directory, the API's address and the nodes, starts nothing and\n" +
			"exits 0, or non-zero with the first problem (2: the configuration, 1: the rest).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Usage: "API `ADDR` (host:port), overriding api.listen"},
			&cli.BoolFlag{Name: "check", Usage: "check the configuration, data directory, listen address and nodes; start nothing"},
		},
		Action: func(c *cli.Context) error {
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			if c.IsSet("listen") {
				if _, _, err := net.SplitHostPort(c.String("listen")); err != nil {
					return usagef("serve: --listen: want host:port, got %q", c.String("listen"))
				}
				cfg.API.Listen = c.String("listen")
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			if c.Bool("check") {
				if err := daemon.Check(ctx, cfg, daemon.Options{Logger: slog.Default()}); err != nil {
					return err
				}
				where := "data_dir " + cfg.DataDir
				if cfg.Store.Backend == "redis" {
					where = "store redis"
				}
				fmt.Fprintf(c.App.Writer, "ok: %s (%s, api %s)\n", configName(c), where, cfg.API.Listen)
				return nil
			}
			d, err := daemon.Open(ctx, cfg, daemon.Options{Logger: slog.Default()})
			if err != nil {
				return err
			}
			return d.Run(ctx)
		},
	}
}

// configName names the configuration in use for messages.
func configName(c *cli.Context) string {
	if f := c.String("config"); f != "" {
		return f
	}
	return "default configuration"
}

// loadConfig reads --config (or the defaults) and applies --data-dir when
// it was given. A bad file is bad input: exit status 2.
func loadConfig(c *cli.Context) (*config.Config, error) {
	cfg := config.Default()
	if f := c.String("config"); f != "" {
		var err error
		if cfg, err = config.Load(f); err != nil {
			var ce *config.Error
			if errors.As(err, &ce) {
				return nil, usagef("%v", err)
			}
			return nil, err
		}
	}
	if c.IsSet("data-dir") { // config.Load always fills DataDir
		if strings.TrimSpace(c.String("data-dir")) == "" {
			return nil, usagef("--data-dir: must not be empty")
		}
		cfg.DataDir = c.String("data-dir")
	}
	return cfg, nil
}
