// Command chainhound follows Ethereum and Bitcoin nodes, traces stolen funds
// and alerts exchanges and companies. See README.md and docs/interface.md.
package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/urfave/cli/v2"
)

func main() {
	os.Exit(run(os.Args))
}

// run executes the CLI and maps errors to the exit status of docs/interface.md:
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
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintln(c.App.Writer, versionLine()) }
	app := &cli.App{
		Name:                 "chainhound",
		Usage:                "follow stolen crypto to the exchange, in time to freeze it",
		Version:              versionString(),
		Flags:                globalFlags(),
		EnableBashCompletion: true,
		// One line on stderr, exit 2, for bad usage (docs/interface.md).
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return usagef("%v", err)
		},
		CommandNotFound: func(c *cli.Context, name string) {
			msg := fmt.Sprintf("chainhound: unknown command %q", name)
			cmds := c.App.Commands
			if c.Command != nil && len(c.Command.Subcommands) > 0 {
				cmds = c.Command.Subcommands
			}
			if near := nearestCommand(name, cmds); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			fmt.Fprintln(os.Stderr, msg)
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
// docs/interface.md writes them), and refuses arguments to a command that takes
// none (`watch ls exchange` instead of `--kind exchange` would otherwise
// list everything).
func usageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		// urfave/cli answers a missing required flag with the whole help
		// on stdout and exit 1; the action checks them instead: one line
		// naming the flag, exit 2.
		required := takeRequired(c.Flags)
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
				for _, name := range required {
					if !c.IsSet(name) {
						return usagef("%s: --%s is required", commandPath(c), name)
					}
				}
				return act(c)
			}
		}
		usageErrors(c.Subcommands)
	}
}

// takeRequired clears the Required mark of flags (every urfave flag type
// has that field) and returns their names.
func takeRequired(flags []cli.Flag) []string {
	var names []string
	for _, f := range flags {
		r, ok := f.(cli.RequiredFlag)
		if !ok || !r.IsRequired() {
			continue
		}
		v := reflect.ValueOf(f)
		if v.Kind() != reflect.Pointer {
			continue
		}
		if fld := v.Elem().FieldByName("Required"); fld.IsValid() && fld.CanSet() && fld.Kind() == reflect.Bool {
			fld.SetBool(false)
			names = append(names, f.Names()[0])
			if u := v.Elem().FieldByName("Usage"); u.IsValid() && u.CanSet() && u.Kind() == reflect.String {
				u.SetString(u.String() + " (required)")
			}
		}
	}
	return names
}

// nearestCommand is the command among cmds whose name (or alias) is
// closest to name: a prefix of it, or at most two edits away; "" if none.
func nearestCommand(name string, cmds []*cli.Command) string {
	best, bestD := "", 3
	for _, c := range cmds {
		if c.Hidden {
			continue
		}
		for _, n := range c.Names() {
			d := editDistance(name, n)
			if strings.HasPrefix(n, name) && len(name) >= 2 {
				d = min(d, 1)
			}
			if d < bestD {
				best, bestD = c.Name, d
			}
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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
		channelsCommand(),
		traceCommand(),
		screenCommand(),
		completionCommand(),
	}
}
