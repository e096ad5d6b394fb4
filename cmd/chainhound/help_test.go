package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestHelpIsClean: every command's and flag's help says what it is, and
// the rendered help has no whitespace-only lines and no empty headings
// (issue 17, item 5).
func TestHelpIsClean(t *testing.T) {
	app := newApp()
	for _, f := range app.Flags {
		if df, ok := f.(cli.DocGenerationFlag); ok && df.GetUsage() == "" {
			t.Errorf("global flag --%s has no description", f.Names()[0])
		}
	}
	var walk func(path []string, cmds []*cli.Command)
	walk = func(path []string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := append(append([]string{}, path...), c.Name)
			if c.Usage == "" {
				t.Errorf("%s: no usage line", strings.Join(p, " "))
			}
			for _, f := range c.Flags {
				if df, ok := f.(cli.DocGenerationFlag); ok && df.GetUsage() == "" {
					t.Errorf("%s --%s: no description", strings.Join(p, " "), f.Names()[0])
				}
			}
			var out bytes.Buffer
			a := newApp()
			a.Writer, a.ErrWriter = &out, &out
			_ = a.Run(append(append([]string{"chainhound"}, p...), "--help"))
			help := out.String()
			if regexp.MustCompile(`(?m)^[ \t]+$`).MatchString(help) {
				t.Errorf("%s --help has whitespace-only lines:\n%q", strings.Join(p, " "), help)
			}
			if regexp.MustCompile(`(?m)^[A-Z ]+:\n\n[A-Z ]+:`).MatchString(help) {
				t.Errorf("%s --help has an empty heading:\n%s", strings.Join(p, " "), help)
			}
			walk(p, c.Subcommands)
		}
	}
	walk(nil, app.Commands)
}
