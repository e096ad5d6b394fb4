package main

import (
	"errors"
	"log/slog"
	"os"
	"os/signal"
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
			"then follows the configured chains until SIGINT or SIGTERM.",
		Action: func(c *cli.Context) error {
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			d, err := daemon.Open(ctx, cfg, daemon.Options{Logger: slog.Default()})
			if err != nil {
				return err
			}
			return d.Run(ctx)
		},
	}
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
		cfg.DataDir = c.String("data-dir")
	}
	return cfg, nil
}
