// Command chainhound follows Ethereum and Bitcoin nodes, traces stolen funds
// and alerts exchanges and companies. See README.md and CONTRACT.md.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

func main() {
	os.Exit(run(os.Args))
}

// run executes the CLI and maps errors to the exit status of CONTRACT.md:
// 0 success, 1 runtime failure, 2 bad usage or bad input.
func run(args []string) int {
	app := newApp()
	err := app.Run(hoistGlobalFlags(args))
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "chainhound: "+err.Error())
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func newApp() *cli.App {
	app := &cli.App{
		Name:                 "chainhound",
		Usage:                "follow stolen crypto to the exchange, in time to freeze it",
		Version:              versionString(),
		Flags:                globalFlags(),
		EnableBashCompletion: true,
		// One line on stderr, exit 2, for bad usage (CONTRACT.md).
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return usagef("%v", err)
		},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(os.Stderr, "chainhound: unknown command %q\n", name)
			os.Exit(2)
		},
		Before:   setupLogging,
		Commands: commands(),
	}
	usageErrors(app.Commands)
	return app
}

// usageErrors makes a bad flag on any subcommand a usage error (exit 2),
// lets every command take its flags after its arguments too
// (`trace TX --hops 6`, `watch import FILE --chain bitcoin`, as
// CONTRACT.md writes them), and refuses arguments to a command that takes
// none (`watch ls exchange` instead of `--kind exchange` would otherwise
// list everything).
func usageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		if c.OnUsageError == nil {
			c.OnUsageError = func(c *cli.Context, err error, isSubcommand bool) error {
				return usagef("%s: %v", commandPath(c), err)
			}
		}
		if act := c.Action; act != nil && len(c.Subcommands) == 0 {
			takesArgs := c.ArgsUsage != ""
			c.Action = func(c *cli.Context) error {
				if again, err := reparseInterspersed(c); again {
					return err
				}
				if !takesArgs && c.NArg() > 0 {
					return usagef("%s: takes no arguments, got %q", commandPath(c), c.Args().Slice())
				}
				return act(c)
			}
		}
		usageErrors(c.Subcommands)
	}
}

// commandPath names the running command as typed: "watch ls".
func commandPath(c *cli.Context) string {
	if c.Command.HelpName == "" {
		return c.Command.Name
	}
	return strings.TrimPrefix(c.Command.HelpName, c.App.Name+" ")
}

// commands lists the subcommands, one file each. Add a line per command.
func commands() []*cli.Command {
	return []*cli.Command{
		serveCommand(),
		versionCommand(),
		demoCommand(),
		watchCommand(),
		incidentCommand(),
		keysCommand(),
		alertsCommand(),
		replayCommand(),
		traceCommand(),
	}
}
