package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// usageError marks bad usage or bad input: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// envVar returns CHAINHOUND_<FLAG> for a flag name (docs/interface.md).
func envVar(flag string) []string {
	return []string{"CHAINHOUND_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "YAML configuration `FILE`", EnvVars: envVar("config")},
		&cli.StringFlag{Name: "data-dir", Value: "./chainhound-data", Usage: "data `DIR` of the embedded store", EnvVars: envVar("data-dir")},
		&cli.StringFlag{Name: "api", Value: "http://127.0.0.1:8080", Usage: "`URL` of a running daemon's API", EnvVars: envVar("api")},
		&cli.StringFlag{Name: "api-key", Usage: "API `KEY` for --api", EnvVars: envVar("api-key")},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: envVar("log-level")},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json", EnvVars: envVar("log-format")},
	}
}

// globalFlagNames holds the names of globalFlags.
var globalFlagNames = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range globalFlags() {
		for _, n := range f.Names() {
			m[n] = true
		}
	}
	return m
}()

// hoistGlobalFlags moves the global flags written after a subcommand
// (`chainhound serve --config x`, as docs/interface.md writes them) in front of
// it, where urfave/cli/v2 reads them. Nothing after "--" is touched.
func hoistGlobalFlags(args []string) []string {
	if len(args) < 2 {
		return args
	}
	var global, rest []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !globalFlagNames[name] {
			rest = append(rest, a)
			continue
		}
		global = append(global, a)
		if !hasValue && i+1 < len(args) {
			global = append(global, args[i+1])
			i++
		}
	}
	out := append([]string{args[0]}, global...)
	return append(out, rest...)
}

func setupLogging(c *cli.Context) error {
	var level slog.Level
	switch c.String("log-level") {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return usagef("--log-level: unknown level %q (want debug, info, warn or error)", c.String("log-level"))
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch c.String("log-format") {
	case "text":
		h = slog.NewTextHandler(os.Stderr, opts)
	case "json":
		h = slog.NewJSONHandler(os.Stderr, opts)
	default:
		return usagef("--log-format: unknown format %q (want text or json)", c.String("log-format"))
	}
	slog.SetDefault(slog.New(h))
	return nil
}

// reparseInterspersed re-runs a subcommand whose flags were given after
// its arguments ("import FILE --chain bitcoin", as docs/interface.md writes it):
// urfave/cli v2 stops parsing flags at the first argument. It reports
// whether it ran the command again.
func reparseInterspersed(c *cli.Context) (bool, error) {
	isBool, isSlice := map[string]bool{}, map[string]bool{}
	for _, f := range c.Command.Flags {
		switch f.(type) {
		case *cli.BoolFlag:
			for _, n := range f.Names() {
				isBool[n] = true
			}
		case *cli.StringSliceFlag:
			for _, n := range f.Names() {
				isSlice[n] = true
			}
		}
	}
	rest := c.Args().Slice()
	var flags, args []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if len(a) < 2 || a[0] != '-' {
			args = append(args, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if !strings.Contains(name, "=") && !isBool[name] && i+1 < len(rest) {
			flags = append(flags, rest[i+1])
			i++
		}
	}
	if len(flags) == 0 {
		return false, nil
	}
	re := []string{c.Command.Name}
	for _, name := range c.LocalFlagNames() {
		switch {
		case isBool[name]:
			re = append(re, fmt.Sprintf("--%s=%v", name, c.Bool(name)))
		case isSlice[name]: // one flag per value: a repeatable flag's values are not one string
			for _, v := range c.StringSlice(name) {
				re = append(re, fmt.Sprintf("--%s=%s", name, v))
			}
		default:
			re = append(re, fmt.Sprintf("--%s=%s", name, c.String(name)))
		}
	}
	re = append(append(re, flags...), args...)
	lineage := c.Lineage()
	nc := cli.NewContext(c.App, nil, lineage[1])
	nc.Command = c.Command
	return true, c.Command.Run(nc, re...)
}
