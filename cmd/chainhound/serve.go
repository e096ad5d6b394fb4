package main

import (
	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the daemon: follow the configured chains, trace, alert, serve the API",
		Action: func(c *cli.Context) error {
			return usagef("serve: not wired yet")
		},
	}
}
