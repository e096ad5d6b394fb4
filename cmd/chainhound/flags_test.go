package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/store/pebble"
	"github.com/urfave/cli/v2"
)

func TestHoistGlobalFlags(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"nothing to move", []string{"ch", "serve"}, []string{"ch", "serve"}},
		{"flag with value after subcommand", []string{"ch", "serve", "--config", "x.yaml"}, []string{"ch", "--config", "x.yaml", "serve"}},
		{"flag=value", []string{"ch", "watch", "ls", "--data-dir=/d", "--kind", "exchange"}, []string{"ch", "--data-dir=/d", "watch", "ls", "--kind", "exchange"}},
		{"single dash", []string{"ch", "keys", "ls", "-api-key", "k"}, []string{"ch", "-api-key", "k", "keys", "ls"}},
		{"already in front", []string{"ch", "--log-level", "debug", "serve"}, []string{"ch", "--log-level", "debug", "serve"}},
		{"after -- untouched", []string{"ch", "replay", "--", "--config", "x"}, []string{"ch", "replay", "--", "--config", "x"}},
		{"non-global flag stays", []string{"ch", "alerts", "tail", "--since", "5", "--api", "http://h:1"}, []string{"ch", "--api", "http://h:1", "alerts", "tail", "--since", "5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hoistGlobalFlags(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// Every global flag with a bad value, and the exact error it gets.
func TestGlobalFlagErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("chains:\n  ethereum:\n    rpc: ws://x:1\n    confirmations: -3\n"), 0o644)
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"log level", []string{"--log-level", "loud", "version"}, 2, `--log-level: unknown level "loud" (want debug, info, warn or error)`},
		{"log format", []string{"--log-format", "xml", "version"}, 2, `--log-format: unknown format "xml" (want text or json)`},
		{"config missing", []string{"serve", "--config", filepath.Join(dir, "absent.yaml")}, 2, "absent.yaml: cannot read: no such file or directory"},
		{"config bad key", []string{"serve", "--config", bad}, 2, bad + ":4: chains.ethereum.confirmations: must not be negative, got -3"},
		{"data dir not a directory", []string{"serve", "--data-dir", filepath.Join(notDir, "sub")}, 1, "create data directory " + filepath.Join(notDir, "sub")},
		{"unknown flag", []string{"serve", "--frobnicate"}, 2, "flag provided but not defined: -frobnicate"},
		{"flag after the argument", []string{"trace", "--chain", "ethereum", "0x" + strings.Repeat("a", 64), "--hops", "0"}, 2, "--hops: 0 out of range 1..64"},
		{"demo listen", []string{"demo", "--exit", "--listen", "8080"}, 2, `demo --listen: want host:port, got "8080"`},
		{"bad tx hash", []string{"trace", "--chain", "ethereum", "0x12"}, 2, `TX: "0x12": 4 characters, want 66`},
		{"bitcoin tx hash not hex", []string{"trace", "--chain", "bitcoin", strings.Repeat("g", 64)}, 2, `TX: "` + strings.Repeat("g", 64) + `": 'g' at position 0 is not a hex digit`},
		{"incident bad tx", []string{"incident", "open", "--data-dir", dir, "--chain", "ethereum", "--tx", "0x12"}, 2, `--tx: seeds[0].tx: "0x12": 4 characters, want 66`},
		{"incident bad address", []string{"incident", "open", "--data-dir", dir, "--chain", "bitcoin", "--address", "bc1qnope", "--from-block", "1"}, 2, `--address: seeds[0].address: `},
		{"incident max hops", []string{"incident", "open", "--data-dir", dir, "--chain", "ethereum", "--tx", "0x" + strings.Repeat("a", 64), "--max-hops", "99"}, 2, `--max-hops: max_hops: 99 out of range 0..`},
		{"stray argument", []string{"watch", "ls", "exchange"}, 2, `watch ls: takes no arguments, got ["exchange"]`},
		{"stray argument after a flag", []string{"serve", "--data-dir", dir, "now"}, 2, `serve: takes no arguments, got ["now"]`},
		{"stray argument to version", []string{"version", "x"}, 2, `version: takes no arguments, got ["x"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errLine, code := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(errLine, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d containing %q", code, errLine, tt.code, tt.want)
			}
		})
	}
}

func TestServeRefusesDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	s, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, errLine, code := runCLI(t, "serve", "--data-dir", dir)
	if code != 1 || !strings.Contains(errLine, "data directory is in use by another chainhound process") {
		t.Fatalf("exit %d, %q", code, errLine)
	}
	// Nothing of the holder's was touched.
	if _, _, err := s.Checkpoint(context.Background(), "ethereum"); err != nil {
		t.Fatal(err)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "chainhound ") || !strings.Contains(out, runtime.Version()) {
		t.Fatalf("version: exit %d, %q", code, out)
	}
	if same, _, code := runCLI(t, "--version"); code != 0 || same != out {
		t.Fatalf("--version: exit %d, %q; want what version says, %q", code, same, out)
	}
}

// TestRepeatableFlagsSurviveReparse: flags given after an argument make the
// command parse its flags again; a repeatable flag set before must come
// through value by value, not as one "[a b]" string.
func TestRepeatableFlagsSurviveReparse(t *testing.T) {
	var tx []string
	var title string
	var args []string
	app := &cli.App{
		Name: "chainhound",
		Commands: []*cli.Command{{
			Name:      "x",
			ArgsUsage: "ARG",
			Flags: []cli.Flag{
				&cli.StringSliceFlag{Name: "tx"},
				&cli.StringFlag{Name: "title"},
			},
			Action: func(c *cli.Context) error {
				tx, title, args = c.StringSlice("tx"), c.String("title"), c.Args().Slice()
				return nil
			},
		}},
	}
	usageErrors(app.Commands)
	if err := app.Run([]string{"chainhound", "x", "--tx", "a", "--tx", "b", "arg", "--title", "two thefts"}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tx, []string{"a", "b"}) || title != "two thefts" || !reflect.DeepEqual(args, []string{"arg"}) {
		t.Fatalf("tx %q, title %q, args %q", tx, title, args)
	}
}
