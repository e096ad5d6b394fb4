package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/watchlists"
)

// forged is a label that, printed raw, erases the line, returns the
// cursor and writes a row of its own (issue 13, finding 7).
const forged = "Binance 14\x1b[2K\r\n9999  2026-01-01T00:00:00Z  taint.sanctioned  critical  ethereum  0xdead\u202e"

// rawControl reports the first control or bidi character of s that a
// table must not print raw (TAB and LF are allowed: tabwriter pads with
// spaces, every row ends with LF).
func rawControl(s string) bool {
	return strings.ContainsAny(s, "\x1b\r\x00\u202e\u009b")
}

// `watch import` refuses a file whose label holds a control character,
// naming the file, line and field, and stores nothing, on the data
// directory and through the API.
func TestWatchImportRefusesControlCharacters(t *testing.T) {
	file := filepath.Join(t.TempDir(), "wallets.csv")
	body := "chain,address,kind,label\n" +
		"ethereum,0x28C6c06298d514Db089934071355E5743bf21d60,exchange,Binance 14\n" +
		"ethereum,0x21a31Ee1afC51d94C2eFcCAa2092aD1028285549,exchange,\"" + strings.ReplaceAll(forged, "\"", "\"\"") + "\"\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", file)
	if code != 2 || !strings.Contains(msg, file+":3: label: ") || !strings.Contains(msg, "U+001B (ESC)") || rawControl(msg) {
		t.Fatalf("exit %d, %q; want 2 naming %s:3 and the label's ESC", code, msg, file)
	}
	if n := len(ls(t, dir).Entries); n != 0 {
		t.Fatalf("%d entries stored from a refused file", n)
	}

	d, base := daemontest.Start(t, "", nil)
	exchange := daemontest.Key(t, d, apikey.RoleExchange, "binance")
	_, msg, code = runCLI(t, "--data-dir", t.TempDir(), "--api", base, "--api-key", exchange, "watch", "import", file)
	if code != 2 || !strings.Contains(msg, file+":3: label: ") {
		t.Fatalf("through the API: exit %d, %q", code, msg)
	}
	if n := len(d.Registry.List(watchlists.Filter{})); n != 0 {
		t.Fatalf("%d entries stored through the API from a refused file", n)
	}
	// `watch add` on the data directory refuses it too, naming the field.
	_, msg, code = runCLI(t, "--data-dir", dir, "watch", "add", "--chain", "ethereum", "--kind", "exchange",
		"--address", "0x28C6c06298d514Db089934071355E5743bf21d60", "--label", forged)
	if code == 0 || !strings.Contains(msg, "label: ") {
		t.Fatalf("watch add: exit %d, %q", code, msg)
	}
}

// `watch import` of a file past an import limit stores nothing, even
// the valid rows before the one that exceeds it; the 1.5 KB bzip2 bomb of
// issue 13 is refused at the limit.
func TestWatchImportLimits(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.csv")
	body := "chain,address,kind,label\n" +
		"ethereum,0x28C6c06298d514Db089934071355E5743bf21d60,exchange,Binance 14\n" +
		"ethereum,0x21a31Ee1afC51d94C2eFcCAa2092aD1028285549,exchange," + strings.Repeat("x", 5000) + "\n"
	if err := os.WriteFile(big, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		big: big + ":3: field 4 of a CSV record exceeds the import limit field (4096 bytes); nothing imported",
		"../../watchlists/testdata/bomb-ofac.xml.bz2": "bomb-ofac.xml.bz2:1: an XML token exceeds the import limit line (65536 bytes); nothing imported",
	} {
		dir := t.TempDir()
		_, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", file)
		if code != 2 || !strings.Contains(msg, want) {
			t.Fatalf("%s: exit %d, %q; want 2 and %q", file, code, msg, want)
		}
		if n := len(ls(t, dir).Entries); n != 0 {
			t.Fatalf("%s: %d entries stored from a refused file", file, n)
		}
	}
}

// storeOld writes what a version before CheckText could store: an entry
// whose label and an incident whose title hold control characters.
func storeOld(t *testing.T, dir string) {
	t.Helper()
	st, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	e := watchlists.Entry{Chain: chains.Ethereum, Address: "0x28c6c06298d514db089934071355e5743bf21d60", Kind: watchlists.Exchange,
		Owner: "binance", Label: forged, Source: "api:key_old", Note: "n\x1b]0;title\x07", Added: time.Now().UTC()}
	if err := st.PutEntries(ctx, []watchlists.Entry{e}); err != nil {
		t.Fatal(err)
	}
	inc := watchlists.Incident{ID: watchlists.NewIncidentID(time.Now()), Title: forged, Owner: "acme", Chain: chains.Ethereum,
		Seeds: []watchlists.Seed{{Tx: "0x" + strings.Repeat("11", 32)}}, Policy: watchlists.Haircut, Status: watchlists.Open, Opened: time.Now().UTC()}
	if err := st.PutIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
}

// Text stored by an older version is printed escaped by the tables of
// `watch ls` and `incident ls`: one row each, no raw control character.
func TestTablesEscapeStoredText(t *testing.T) {
	dir := t.TempDir()
	storeOld(t, dir)
	for _, args := range [][]string{{"watch", "ls", "--format", "table"}, {"incident", "ls", "--format", "table"}} {
		out, msg, code := runCLI(t, append([]string{"--data-dir", dir}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, msg)
		}
		if rawControl(out) || strings.Count(out, "\n") != 2 || !strings.Contains(out, `Binance 14\x1b[2K\r\n9999`) || !strings.Contains(out, `0xdead\u202e`) {
			t.Fatalf("%v printed a raw control character or a forged row:\n%q", args, out)
		}
	}
}

// `alerts tail --format table` prints a label with control characters
// (stored by an older version) escaped: the forged row does not appear.
func TestAlertsTailTableEscapesLabels(t *testing.T) {
	dir := t.TempDir()
	key := binanceKey(t, dir)
	d := startAPIDaemon(t, dir, "127.0.0.1:0")
	a := alerts.Alert{Type: alerts.TypeExchangeDeposit, Severity: alerts.High, Chain: "ethereum", Tx: "0x" + strings.Repeat("ab", 32),
		To: "0x28C6c06298d514Db089934071355E5743bf21d60", Tainted: "1.5 ETH", Time: time.Now().UTC(), Audience: []string{"binance"},
		Label: &alerts.Label{Kind: "exchange", Name: forged, Owner: "binance"}}
	if _, err := d.log.Append(context.Background(), []alerts.Alert{a}); err != nil {
		t.Fatal(err)
	}
	out, stop := startTail(t, d.url(), key, "--format", "table")
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(out.String(), "(binance)") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatalf("tail: %v", err)
	}
	got := out.String()
	if rawControl(got) || strings.Count(got, "\n") != 2 || !strings.Contains(got, `Binance 14\x1b[2K\r\n9999`) {
		t.Fatalf("printed a raw control character or a forged row:\n%q", got)
	}
}

// TestWatchImportOFACAsUsersGetIt (issue 14, item 9): the official OFAC
// file, imported as a user would — no --skip-invalid — stores every
// address chainhound follows, Ethereum-form token addresses included, and
// names the one row it leaves out (a TRON address listed as XBT) with its
// profile on stderr.
func TestWatchImportOFACAsUsersGetIt(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 120 MB of XML")
	}
	dir := t.TempDir()
	out, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", "../../watchlists/testdata/sdn_advanced.xml.bz2", "--format", "ofac-xml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if !strings.Contains(out, "imported 597 entries") || !strings.Contains(msg, "warning") || !strings.Contains(msg, "profile 45404") {
		t.Fatalf("stdout %q stderr %q; want 597 entries imported and the TRON row named by its profile", out, msg)
	}
	ls, _, _ := runCLI(t, "--data-dir", dir, "watch", "ls", "--chain", "ethereum", "--kind", "sanctioned", "--format", "json")
	if !strings.Contains(strings.ToLower(ls), "0xfac583c0cf07ea434052c49115a4682172ab6b4f") {
		t.Fatalf("the address OFAC lists only as USDT is not a sanctioned Ethereum entry")
	}
}

// TestWatchImportLimitFlags: --max-entries and --max-bytes set the
// limits of one import (an operator's list bigger than the defaults, or a
// tighter bound), named in the refusal; a non-positive value is a usage
// error naming the flag.
func TestWatchImportLimitFlags(t *testing.T) {
	f := filepath.Join(t.TempDir(), "two.csv")
	body := "chain,address,kind,label\n" +
		"ethereum,0x28C6c06298d514Db089934071355E5743bf21d60,exchange,Binance 14\n" +
		"ethereum,0x21a31Ee1afC51d94C2eFcCAa2092aD1028285549,exchange,Binance 15\n"
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", f, "--max-entries", "1"); code != 2 || !strings.Contains(msg, "entries") {
		t.Fatalf("--max-entries 1: exit %d, %q; want the entries limit", code, msg)
	}
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", f, "--max-bytes", "50"); code != 2 || !strings.Contains(msg, "size") {
		t.Fatalf("--max-bytes 50: exit %d, %q; want the size limit", code, msg)
	}
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", f, "--max-entries", "0"); code != 2 || !strings.Contains(msg, "--max-entries") {
		t.Fatalf("--max-entries 0: exit %d, %q", code, msg)
	}
	if n := len(ls(t, dir).Entries); n != 0 {
		t.Fatalf("%d entries stored from refused imports", n)
	}
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "import", f, "--max-entries", "2"); code != 0 {
		t.Fatalf("--max-entries 2: exit %d, %q", code, msg)
	}
}
