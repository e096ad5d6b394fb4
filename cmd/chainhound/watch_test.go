package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/store/pebble"
)

// runCLI runs the app in-process as run() does and returns stdout, the
// error line run() would print, and the exit status.
func runCLI(t *testing.T, args ...string) (stdout, errLine string, code int) {
	t.Helper()
	app := newApp()
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	err := app.Run(hoistGlobalFlags(append([]string{"chainhound"}, args...)))
	if err == nil {
		return out.String(), errOut.String(), 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return out.String(), errOut.String() + err.Error(), 2
	}
	return out.String(), errOut.String() + err.Error(), 1
}

type lsOutput struct {
	Entries []struct {
		Chain   string `json:"chain"`
		Address string `json:"address"`
		Kind    string `json:"kind"`
		Owner   string `json:"owner"`
		Label   string `json:"label"`
		Source  string `json:"source"`
		Shipped bool   `json:"shipped"`
	} `json:"entries"`
}

func ls(t *testing.T, dir string, args ...string) lsOutput {
	t.Helper()
	out, msg, code := runCLI(t, append([]string{"--data-dir", dir, "watch", "ls", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("watch ls: exit %d: %s", code, msg)
	}
	var v lsOutput
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("watch ls output %q: %v", out, err)
	}
	return v
}

func TestWatchAddLsRm(t *testing.T) {
	dir := t.TempDir()
	const binance14 = "0x28C6c06298d514Db089934071355E5743bf21d60"
	out, msg, code := runCLI(t, "--data-dir", dir, "watch", "add", "--chain", "ethereum", "--kind", "exchange",
		"--address", strings.ToLower(binance14), "--label", "Binance 14", "--owner", "binance")
	if code != 0 || !strings.Contains(out, binance14) || !strings.Contains(out, "Binance 14") {
		t.Fatalf("add: exit %d, %q %s", code, out, msg)
	}
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "add", "--chain", "bitcoin", "--kind", "treasury",
		"--address", "bc1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw", "--owner", "acme"); code != 0 {
		t.Fatalf("add bitcoin: %s", msg)
	}
	// Bad input: exit 2, one line naming the flag, nothing stored.
	for name, args := range map[string][]string{
		"bad checksum": {"--chain", "ethereum", "--kind", "exchange", "--address", "0x28C6c06298d514Db089934071355E5743bf21d6A"},
		"wrong net":    {"--chain", "bitcoin", "--kind", "exchange", "--address", "tb1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw"},
		"bad kind":     {"--chain", "ethereum", "--kind", "casino", "--address", binance14},
		"bad chain":    {"--chain", "tron", "--kind", "exchange", "--address", binance14},
	} {
		t.Run(name, func(t *testing.T) {
			_, msg, code := runCLI(t, append([]string{"--data-dir", dir, "watch", "add"}, args...)...)
			if code != 2 || !strings.HasPrefix(msg, "--") || strings.Count(msg, "\n") > 0 {
				t.Fatalf("exit %d, %q; want 2 and one line naming the flag", code, msg)
			}
		})
	}
	got := ls(t, dir)
	if len(got.Entries) != 2 {
		t.Fatalf("ls: %+v, want 2 entries", got)
	}
	if e := got.Entries[1]; e.Address != binance14 || e.Kind != "exchange" || e.Owner != "binance" || e.Label != "Binance 14" {
		t.Fatalf("ls entry %+v", e)
	}
	if n := len(ls(t, dir, "--chain", "bitcoin").Entries); n != 1 {
		t.Fatalf("ls --chain bitcoin: %d entries", n)
	}
	if n := len(ls(t, dir, "--kind", "treasury").Entries); n != 1 {
		t.Fatalf("ls --kind treasury: %d entries", n)
	}
	if n := len(ls(t, dir, "--shipped", "--kind", "mixer").Entries); n < 100 {
		t.Fatalf("ls --shipped --kind mixer: %d entries, want the shipped Tornado pools and more", n)
	}
	table, _, _ := runCLI(t, "--data-dir", dir, "watch", "ls", "--format", "table")
	if !strings.HasPrefix(table, "CHAIN") || strings.Count(table, "\n") != 3 {
		t.Fatalf("table:\n%s", table)
	}

	// rm only removes the owner's entries.
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "rm", "--chain", "ethereum", "--address", binance14); code != 2 || !strings.Contains(msg, "no stored") {
		t.Fatalf("rm without owner: exit %d %s", code, msg)
	}
	if out, msg, code := runCLI(t, "--data-dir", dir, "watch", "rm", "--chain", "ethereum", "--address", binance14, "--owner", "binance"); code != 0 || !strings.Contains(out, "removed 1") {
		t.Fatalf("rm: exit %d %q %s", code, out, msg)
	}
	if got := ls(t, dir); len(got.Entries) != 1 || got.Entries[0].Chain != "bitcoin" {
		t.Fatalf("after rm: %+v", got)
	}
}

func TestWatchImportAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "wallets.csv")
	body := "chain,address,kind,label\n" +
		"ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,sanctioned,Lazarus Group\n" +
		"ethereum,0x04DBA1194ee10112fE6C3207C0687DEf0e78baCf,sanctioned,\n" +
		"bitcoin,123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KY,sanctioned,one character off\n" +
		"bitcoin,bc1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw,stolen,\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", file)
	if code != 2 || !strings.HasPrefix(msg, file+":4: address:") || !strings.Contains(msg, "bad checksum") || !strings.Contains(msg, "nothing imported") {
		t.Fatalf("exit %d, %q; want 2 naming %s:4", code, msg, file)
	}
	if n := len(ls(t, dir).Entries); n != 0 {
		t.Fatalf("%d entries stored from a file with a bad row", n)
	}
	out, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", file, "--skip-invalid")
	if code != 0 || !strings.Contains(out, "imported 3 entries") || !strings.Contains(msg, file+":4: skipped") {
		t.Fatalf("skip-invalid: exit %d, %q, %q", code, out, msg)
	}
	if n := len(ls(t, dir).Entries); n != 3 {
		t.Fatalf("%d entries after --skip-invalid, want 3", n)
	}
}

func TestWatchImportRealLists(t *testing.T) {
	dir := t.TempDir()
	eth := "../../watchlists/testdata/sanctioned_addresses_ETH.txt"
	out, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", eth, "--chain", "ethereum", "--kind", "sanctioned")
	if code != 0 || !strings.Contains(out, "imported 77 entries") {
		t.Fatalf("exit %d %q %s", code, out, msg)
	}
	xbt := "../../watchlists/testdata/sanctioned_addresses_XBT.txt"
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", "--chain", "bitcoin", "--kind", "sanctioned", xbt); code != 2 || !strings.Contains(msg, ":379:") {
		t.Fatalf("xbt list: exit %d %s; want 2 naming line 379 (a TRON address)", code, msg)
	}
	if n := len(ls(t, dir, "--chain", "bitcoin").Entries); n != 0 {
		t.Fatalf("%d bitcoin entries stored from a refused file", n)
	}
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", "--chain", "bitcoin", "--kind", "sanctioned", "--skip-invalid", xbt); code != 0 {
		t.Fatal(msg)
	}
	if n := len(ls(t, dir, "--chain", "bitcoin").Entries); n != 516 {
		t.Fatalf("%d bitcoin entries, want 516", n)
	}
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", "--format", "yaml", xbt); code != 2 || !strings.HasPrefix(msg, "--format") {
		t.Fatalf("bad --format: exit %d %s", code, msg)
	}
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", "missing.csv"); code != 2 || !strings.HasPrefix(msg, "missing.csv") {
		t.Fatalf("missing file: exit %d %s", code, msg)
	}
}

func TestWatchDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	s, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, msg, code := runCLI(t, "--data-dir", dir, "watch", "ls")
	if code != 2 || !strings.Contains(msg, "--api-key") {
		t.Fatalf("exit %d %q; want 2 asking for --api-key", code, msg)
	}
}

// TestOwnerInCapitalsRefused: an owner no API key could ever have is
// refused, with the name it should have been.
func TestOwnerInCapitalsRefused(t *testing.T) {
	dir := t.TempDir()
	_, msg, code := runCLI(t, "--data-dir", dir, "watch", "add", "--chain", "ethereum", "--kind", "treasury",
		"--address", "0x28C6c06298d514Db089934071355E5743bf21d60", "--owner", "Acme")
	if code != 2 || msg != `--owner: invalid tenant "Acme": tenant names are lower case ("acme")` {
		t.Fatalf("exit %d %q", code, msg)
	}
	if n := len(ls(t, dir).Entries); n != 0 {
		t.Fatalf("%d entries stored", n)
	}
}

// TestDataDirHeldByDaemon: the data-directory commands say to go through
// the API when a daemon holds the directory, and leave it untouched.
func TestDataDirHeldByDaemon(t *testing.T) {
	dir := t.TempDir()
	s, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"watch", "ls"}, "is held by a running daemon: give --api-key (and --api)"},
		{[]string{"incident", "ls"}, "is held by a running daemon: give --api-key (and --api)"},
		{[]string{"keys", "ls"}, "is held by a running daemon: give an admin --api-key (and --api)"},
	} {
		_, msg, code := runCLI(t, append([]string{"--data-dir", dir}, tc.args...)...)
		if code != 2 || !strings.Contains(msg, tc.want) {
			t.Errorf("%v: exit %d %q", tc.args, code, msg)
		}
	}
}
