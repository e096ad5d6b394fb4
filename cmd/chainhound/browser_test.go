package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath returns Debian's chromium, installing it with apt-get when
// it is missing and this runs as root; else the test is skipped with the
// reason.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("no /usr/bin/chromium, and not root to apt-get install chromium")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("no /usr/bin/chromium and no apt-get to install it")
	}
	install := func() ([]byte, error) {
		return exec.Command("apt-get", "install", "-y", "--no-install-recommends", "chromium").CombinedOutput()
	}
	out, err := install()
	if err != nil { // a fresh machine's package lists may be missing
		if upd, uerr := exec.Command("apt-get", "update").CombinedOutput(); uerr != nil {
			t.Skipf("no /usr/bin/chromium and apt-get update failed: %v\n%s", uerr, tail(upd, 2000))
		}
		out, err = install()
	}
	if err != nil {
		t.Skipf("no /usr/bin/chromium and apt-get install chromium failed: %v\n%s", err, tail(out, 2000))
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Skip("apt-get installed chromium but /usr/bin/chromium is not there")
	}
	return "/usr/bin/chromium"
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// artifacts is where screenshots go: $CHAINHOUND_ARTIFACTS/<test> when
// set, else the test's temporary directory.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if base := os.Getenv("CHAINHOUND_ARTIFACTS"); base != "" {
		dir = filepath.Join(base, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// browser is one headless Chromium; each tab has its own session
// storage, so each signs in with its own key.
type browser struct {
	t    *testing.T
	ctx  context.Context
	shot string // the screenshots' directory
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // root in a container
		chromedp.WindowSize(1400, 1000),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelA()
		t.Skipf("chromium does not start: %v", err)
	}
	t.Cleanup(func() { cancel(); cancelA() })
	b := &browser{t: t, ctx: ctx, shot: artifacts(t)}
	t.Logf("screenshots in %s", b.shot)
	return b
}

// tab is one browser tab on the console.
type tab struct {
	b    *browser
	name string
	ctx  context.Context
}

// open opens a new tab on url.
func (b *browser) open(name, url string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	// The tab lives as long as the context of its first Run: give it one
	// with no deadline.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open %s tab: %v", name, err)
	}
	tb := &tab{b: b, name: name, ctx: ctx}
	tb.run(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("#signin-form")))
	return tb
}

func (tb *tab) run(actions ...chromedp.Action[chromedp.Void]) {
	tb.b.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.screenshot("failed")
		tb.b.t.Fatalf("%s tab: %v", tb.name, err)
	}
}

// eval evaluates expr in the page and decodes its value (as JSON) into
// out; a nil out ignores it.
func (tb *tab) eval(expr string, out any) {
	tb.b.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	js, err := chromedp.Run(ctx, chromedp.Evaluate[string]("JSON.stringify((() => ("+expr+"))() ?? null)"))
	if err != nil {
		tb.screenshot("failed")
		tb.b.t.Fatalf("%s tab: evaluate %s: %v", tb.name, expr, err)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(js), out); err != nil {
			tb.b.t.Fatalf("%s tab: evaluate %s: %v (%.200s)", tb.name, expr, err, js)
		}
	}
}

// wait polls expr (a boolean expression) until it is true.
func (tb *tab) wait(what, expr string) {
	tb.b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.screenshot("timeout")
			tb.b.t.Fatalf("%s tab: timed out waiting for %s (%s; last error %v)", tb.name, what, expr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signIn signs in with key and waits for the live feed.
func (tb *tab) signIn(key string) {
	tb.b.t.Helper()
	tb.run(
		chromedp.SetValue(chromedp.CSS("#signin-key"), key),
		chromedp.Click(chromedp.CSS(`#signin-form button[type="submit"]`)),
	)
	tb.wait("the live feed", `document.getElementById('feed-state').dataset.state === 'live'`)
	var stored, url string
	tb.eval(`sessionStorage.getItem('chainhound.key')`, &stored)
	tb.eval(`location.href`, &url)
	if stored != key {
		tb.b.t.Fatalf("%s tab: the key is not in session storage", tb.name)
	}
	if strings.Contains(url, key) {
		tb.b.t.Fatalf("%s tab: the key is in the URL %s", tb.name, url)
	}
}

// screenshot saves the viewport as NN-name.png in the artefacts.
func (tb *tab) screenshot(name string) {
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	entries, _ := os.ReadDir(tb.b.shot)
	p := filepath.Join(tb.b.shot, fmt.Sprintf("%02d-%s-%s.png", len(entries)+1, tb.name, name))
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		tb.b.t.Logf("screenshot %s: %v", name, err)
	}
}

// clean fails the test if the page met a CSP violation or an uncaught
// error.
func (tb *tab) clean() {
	tb.b.t.Helper()
	var v struct{ Violations, Errors []string }
	tb.eval(`({violations: window.__ch.violations, errors: window.__ch.errors})`, &v)
	if len(v.Violations) > 0 || len(v.Errors) > 0 {
		tb.b.t.Errorf("%s tab: CSP violations %q, errors %q", tb.name, v.Violations, v.Errors)
	}
}
