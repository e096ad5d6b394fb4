package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/chainhound/chainhound/internal/demo"
	"github.com/urfave/cli/v2"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "a scripted theft on an embedded chain, end to end",
		Description: "Starts an embedded Ethereum chain, a btcd regtest node where a btcd binary is found, and the\n" +
			"daemon on a temporary data directory, then plays on each chain a drain of a watched treasury,\n" +
			"a split, hops and a deposit at an exchange, printing each alert as it arrives on the websocket.\n" +
			"btcd is looked for at --btcd, then on PATH, then in the test-node cache; without one the Bitcoin\n" +
			"part is skipped (include it with: " + demo.BtcdInstallHint + ").\n" +
			"The API stays up until Ctrl-C (--exit: stop at once).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "API `ADDRESS` (port 0: any free one)"},
			&cli.BoolFlag{Name: "exit", Usage: "exit when the script is done instead of keeping the API up"},
			&cli.StringFlag{Name: "btcd", Usage: "btcd binary `PATH` for the Bitcoin part (default: btcd on PATH, else the test-node cache)"},
		},
		Action: func(c *cli.Context) error {
			if _, _, err := net.SplitHostPort(c.String("listen")); err != nil {
				return usagef("demo --listen: want host:port, got %q", c.String("listen"))
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			// The daemon's own log stays quiet unless asked for.
			lg := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			if c.IsSet("log-level") {
				lg = slog.Default()
			}
			_, err := demo.Run(ctx, demo.Options{Out: c.App.Writer, Logger: lg, Listen: c.String("listen"),
				Wait: !c.Bool("exit"), BtcdPath: c.String("btcd")})
			if err != nil && ctx.Err() != nil {
				return nil // interrupted
			}
			if errors.Is(err, syscall.EADDRINUSE) {
				return fmt.Errorf("%w: another program holds %s; give the demo another address with --listen (e.g. --listen 127.0.0.1:0)", err, c.String("listen"))
			}
			return err
		},
	}
}
