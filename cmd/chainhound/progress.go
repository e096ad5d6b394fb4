package main

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/urfave/cli/v2"
)

// terminalBar is a progress bar of blocks on stderr when it is a
// terminal (nil when piped: no progress drawn).
func terminalBar(c *cli.Context, what string) *progressbar.ProgressBar {
	f, ok := c.App.ErrWriter.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(-1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionSetItsString("blocks"), progressbar.OptionShowIts(),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
}

// terminalBytesBar is a progress bar of f's bytes read, on stderr when it
// is a terminal (nil when piped, or when f's size is unknown).
func terminalBytesBar(c *cli.Context, f *os.File, what string) *progressbar.ProgressBar {
	w, ok := c.App.ErrWriter.(*os.File)
	if !ok || !term.IsTerminal(int(w.Fd())) {
		return nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	return progressbar.NewOptions64(st.Size(), progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
}
