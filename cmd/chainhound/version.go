package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// version is set with -ldflags "-X main.version=…"; otherwise the module
// version from the build info.
var version = ""

func versionString() string {
	v := version
	bi, ok := debug.ReadBuildInfo()
	if v == "" && ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		// go install …@vX.Y.Z, or go build in a checkout (a pseudo-version
		// naming the commit, its time and +dirty).
		return bi.Main.Version
	}
	if v == "" {
		v = "devel"
	}
	// The commit it was built from, when the build stamped it.
	if ok {
		var rev, at string
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "-dirty"
			}
			v += " (" + rev
			if at != "" {
				v += " " + at
			}
			v += ")"
		}
	}
	return v
}

// versionLine is what `version` and `--version` print.
func versionLine() string {
	return fmt.Sprintf("chainhound %s %s %s/%s", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version of chainhound and of Go",
		Action: func(c *cli.Context) error {
			fmt.Fprintln(c.App.Writer, versionLine())
			return nil
		},
	}
}
