package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/testnodes"
)

// The CLI behaves like the tools people know (issue 17, item 5); each
// case failed before its fix.
func TestCLIConventions(t *testing.T) {
	bin := buildBinary(t)
	run := func(args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}

	t.Run("missing required flag", func(t *testing.T) {
		// KEY=$(chainhound keys create --role company 2>/dev/null) must not capture the help.
		out, msg, code := run("--data-dir", t.TempDir(), "keys", "create", "--role", "company")
		if code != 2 || out != "" || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "--tenant") {
			t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, one line naming --tenant", code, out, msg)
		}
	})
	t.Run("unknown command suggests", func(t *testing.T) {
		for args, want := range map[string]string{"watch ad": `did you mean "add"?`, "incidnet": `did you mean "incident"?`} {
			_, msg, code := run(strings.Fields(args)...)
			if code != 2 || !strings.Contains(msg, want) {
				t.Errorf("chainhound %s: exit %d %q; want exit 2 and %s", args, code, msg, want)
			}
		}
	})
	t.Run("alerts tail gives up on a dead API", func(t *testing.T) {
		dead := fmt.Sprintf("http://127.0.0.1:%d", testnodes.FreePort(t))
		start := time.Now()
		_, msg, code := run("alerts", "tail", "--api", dead, "--api-key", "chk_x", "--give-up", "1s")
		if code != 1 || !strings.Contains(msg, "gave up") || time.Since(start) > 20*time.Second {
			t.Fatalf("exit %d after %s, %q; want exit 1 soon after 1s, saying it gave up", code, time.Since(start), msg)
		}
		// --follow keeps trying.
		cmd := exec.Command(bin, "alerts", "tail", "--api", dead, "--api-key", "chk_x", "--give-up", "1s", "--follow")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			t.Fatalf("alerts tail --follow ended: %v", err)
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	t.Run("demo on a busy port", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		_, msg, code := run("demo", "--listen", ln.Addr().String(), "--exit")
		if code != 1 || !strings.Contains(msg, "--listen") || !strings.Contains(msg, ln.Addr().String()) {
			t.Fatalf("exit %d %q; want exit 1 naming the address and --listen", code, msg)
		}
	})
	t.Run("errors say the chain once", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "c.yaml")
		body := fmt.Sprintf("data_dir: %s\nchains:\n  ethereum: { network: dev, rpc: 'http://127.0.0.1:%d' }\n", t.TempDir(), testnodes.FreePort(t))
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"serve", "--check", "--config", cfg}, {"trace", "--config", cfg, "--chain", "ethereum", "0x" + strings.Repeat("ab", 32)}} {
			_, msg, code := run(args...)
			if code != 1 || strings.Count(msg, "ethereum") > 2 || strings.Contains(msg, "ethereum: ethereum") || strings.Contains(msg, "chains.ethereum: ethereum:") {
				t.Errorf("%v: exit %d %q; want exit 1 naming the chain without repeating it", args[0], code, msg)
			}
		}
	})
	t.Run("progress on a terminal, none when piped", func(t *testing.T) {
		script, err := exec.LookPath("script")
		if err != nil {
			t.Skip("no script(1) to give the command a terminal")
		}
		csv := filepath.Join(t.TempDir(), "big.csv")
		var b strings.Builder
		b.WriteString("address,label\n")
		for i := range 100_000 {
			fmt.Fprintf(&b, "0x%040x,l%d\n", i+1, i)
		}
		if err := os.WriteFile(csv, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		cmdline := fmt.Sprintf("%s --data-dir %s watch import %s --chain ethereum --kind custom --format csv", bin, t.TempDir(), csv)
		out, err := exec.Command(script, "-qec", cmdline, "/dev/null").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "reading big.csv") {
			t.Fatalf("on a terminal: %v; want a progress bar (reading big.csv) in:\n%q", err, out[:min(len(out), 2000)])
		}
		_, msg, code := run("--data-dir", t.TempDir(), "watch", "import", csv, "--chain", "ethereum", "--kind", "custom", "--format", "csv")
		if code != 0 || strings.Contains(msg, "reading") {
			t.Fatalf("piped: exit %d, stderr %q; want no progress bar", code, msg)
		}
	})
	t.Run("version", func(t *testing.T) {
		// Built in the checkout with VCS stamping (the default of go build;
		// this machine's GOFLAGS may turn it off), both name the commit.
		rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
		if err != nil {
			t.Skipf("not a git checkout (git rev-parse: %v): the commit cannot be stamped", err)
		}
		vbin := filepath.Join(t.TempDir(), "chainhound")
		if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", vbin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
		}
		if mod, _ := exec.Command("go", "version", "-m", vbin).Output(); !strings.Contains(string(mod), "vcs.revision=") {
			t.Skip("go build stamped no commit here (a git worktree's .git is a file, which go build does not read)")
		}
		a, _ := exec.Command(vbin, "version").Output()
		b, _ := exec.Command(vbin, "--version").Output()
		if string(a) != string(b) || !strings.Contains(string(a), strings.TrimSpace(string(rev))[:12]) {
			t.Fatalf("version %q, --version %q; want the same line naming commit %s", a, b, rev[:12])
		}
	})
	t.Run("completion", func(t *testing.T) {
		script, _, code := run("completion", "bash")
		if code != 0 {
			t.Fatalf("completion bash: exit %d", code)
		}
		bash, err := exec.LookPath("bash")
		if err != nil {
			t.Skip("no bash to source the script in")
		}
		// Sourced, it completes "wat" to "watch" by asking the binary.
		sh := script + `
COMP_WORDS=(chainhound wat); COMP_CWORD=1; _chainhound_complete; echo "${COMPREPLY[@]}"
COMP_WORDS=(chainhound watch im); COMP_CWORD=2; _chainhound_complete; echo "${COMPREPLY[@]}"`
		cmd := exec.Command(bash, "-c", sh)
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "watch\nimport\n") {
			t.Fatalf("bash completion: %v\n%s; want watch, then import", err, out)
		}
		if fish, _, code := run("completion", "fish"); code != 0 || !strings.Contains(fish, "complete -c chainhound") {
			t.Fatalf("completion fish: exit %d\n%s", code, fish)
		}
		if _, msg, code := run("completion", "tcsh"); code != 2 || !strings.Contains(msg, "tcsh") {
			t.Fatalf("completion tcsh: exit %d %q; want a usage error naming it", code, msg)
		}
	})
}

// TestJSONWhenPiped: where a table is the default, a pipe gets JSON (a
// program reads it) and --format table still gives the table.
func TestJSONWhenPiped(t *testing.T) {
	dir := t.TempDir()
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "add", "--chain", "ethereum", "--kind", "exchange",
		"--address", "0x28C6c06298d514Db089934071355E5743bf21d60", "--label", "Binance 14"); code != 0 {
		t.Fatal(msg)
	}
	out, msg, code := runCLI(t, "--data-dir", dir, "watch", "ls")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("watch ls into a pipe: exit %d %s\n%s; want JSON", code, msg, out)
	}
	if table, _, _ := runCLI(t, "--data-dir", dir, "watch", "ls", "--format", "table"); !strings.HasPrefix(table, "CHAIN") {
		t.Fatalf("watch ls --format table:\n%s", table)
	}
}
