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
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	return v
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version of chainhound and of Go",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "chainhound %s (github.com/chainhound/chainhound) %s %s/%s\n",
				versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
