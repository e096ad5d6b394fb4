package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/alerts"
)

func writeCSV(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "transfers.csv")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func parseAlerts(t *testing.T, out string) []alerts.Alert {
	t.Helper()
	var as []alerts.Alert
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var a alerts.Alert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		as = append(as, a)
	}
	return as
}

const (
	txTheft = "0x1111111111111111111111111111111111111111111111111111111111111111"
	txHop   = "0x2222222222222222222222222222222222222222222222222222222222222222"
	txDep   = "0x3333333333333333333333333333333333333333333333333333333333333333"
	binance = "0x001866ae5b3de6caa5a51543fd9fb64f524f5478" // Binance 9 in the shipped labels
)

func TestReplayEthereum(t *testing.T) {
	csv := "block,time,tx,index,from,to,asset,amount\n" +
		"100,2025-02-21T14:13:35Z," + txTheft + ",0,0x00000000000000000000000000000000000000aa,0x00000000000000000000000000000000000000bb,ETH,1000\n" +
		"101,2025-02-21T14:13:47Z," + txHop + ",0,0x00000000000000000000000000000000000000bb,0x00000000000000000000000000000000000000cc,ETH,600\n" +
		"101,2025-02-21T14:13:47Z," + txHop + ",1,0x00000000000000000000000000000000000000bb,0x00000000000000000000000000000000000000dd,ETH,400\n" +
		"102,2025-02-21T14:13:59Z," + txDep + ",0,0x00000000000000000000000000000000000000cc,0x00000000000000000000000000000000000000cc,ETH,1\n" +
		"102,2025-02-21T14:13:59Z," + txDep + ",1,0x00000000000000000000000000000000000000cc," + binance + ",ETH,600\n"
	for _, pol := range []string{"haircut", "poison", "fifo"} {
		t.Run(pol, func(t *testing.T) {
			out, msg, code := runCLI(t, "--data-dir", t.TempDir(), "replay", "--chain", "ethereum", "--transfers", writeCSV(t, csv), "--seed-tx", txTheft, "--policy", pol)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, msg)
			}
			as := parseAlerts(t, out)
			if len(as) != 1 {
				t.Fatalf("got %d alerts, want 1:\n%s", len(as), out)
			}
			a := as[0]
			if a.Type != "taint.exchange_deposit" || a.Severity != "critical" || a.Seq != 1 || a.Tainted != "600" || a.Amount != "600" ||
				a.Hops != 3 || a.Share != 0.6 || a.Label == nil || a.Label.Name != "Binance 9" || a.Block.Number != 102 || a.Tx != txDep {
				t.Fatalf("alert %s", out)
			}
			if a.To != "0x001866Ae5B3de6cAa5a51543FD9fB64f524F5478" || len(a.Path) != 3 || a.Path[0].Tx != txTheft || a.Path[2].Amount != "600" {
				t.Fatalf("alert to/path: %s", out)
			}
		})
	}
	// The same by the compromised address: every outflow from block 100.
	out, msg, code := runCLI(t, "--data-dir", t.TempDir(), "replay", "--chain", "ethereum", "--transfers", writeCSV(t, csv), "--seed-address", "0x00000000000000000000000000000000000000aa")
	if code != 0 || len(parseAlerts(t, out)) != 1 {
		t.Fatalf("seed-address: exit %d %s\n%s", code, msg, out)
	}
}

func TestReplayBitcoin(t *testing.T) {
	theft := strings.Repeat("a1", 32)
	spend := strings.Repeat("b2", 32)
	victimOut := strings.Repeat("c3", 32) + ":1"
	const kucoin = "bc1q080rkmk3kj86pxvf5nkxecdrw6nrx3zzy9xl7q" // kucoin in the shipped labels
	csv := "block,time,tx,index,from,to,asset,amount\n" +
		"800000,1700000000," + theft + ",0," + victimOut + ",,BTC,100000\n" +
		"800000,1700000000," + theft + ",0,,thief,BTC,99000\n" +
		"800001,1700000600," + spend + ",0," + theft + ":0,,BTC,99000\n" +
		"800001,1700000600," + spend + ",0,,other,BTC,40000\n" +
		"800001,1700000600," + spend + ",1,," + kucoin + ",BTC,58000\n"
	out, msg, code := runCLI(t, "replay", "--chain", "bitcoin", "--transfers", writeCSV(t, csv), "--seed-tx", theft)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	as := parseAlerts(t, out)
	// Haircut: 58000 of 99000 in, all tainted: 58000 tainted (the 1000 fee takes the rest).
	if len(as) != 1 || as[0].Tainted != "58000" || as[0].Hops != 2 || as[0].Index != 0 || as[0].Label.Name != "kucoin reserve wallets" {
		t.Fatalf("alerts:\n%s", out)
	}
}

func TestReplayBadInput(t *testing.T) {
	good := "block,time,tx,index,from,to,asset,amount\n"
	row := "100,," + txTheft + ",0,0x00000000000000000000000000000000000000aa,0x00000000000000000000000000000000000000bb,ETH,"
	cases := []struct {
		name, csv, want string
		args            []string
	}{
		{"bad amount", good + row + "1000\n" + row + "ten\n", "line 3: amount \"ten\"", nil},
		{"bad header", "block,tx\n", "line 1: header", nil},
		{"bad address", good + strings.Replace(row, "0x00000000000000000000000000000000000000bb", "0xzz", 1) + "1\n", "line 2: to \"0xzz\"", nil},
		{"blocks out of order", good + row + "1\n" + strings.Replace(row, "100,", "99,", 1) + "1\n", "line 3: block 99 after block 100", nil},
		{"no seed", good + row + "1\n", "give --seed-address or --seed-tx", []string{}},
		{"bad policy", good + row + "1\n", "--policy", []string{"--seed-tx", txTheft, "--policy", "random"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeCSV(t, tc.csv)
			args := []string{"replay", "--chain", "ethereum", "--transfers", p}
			if tc.args == nil {
				args = append(args, "--seed-tx", txTheft)
			} else {
				args = append(args, tc.args...)
			}
			out, msg, code := runCLI(t, args...)
			if code != 2 || !strings.Contains(msg, tc.want) || out != "" {
				t.Fatalf("exit %d, stderr %q (want %q), stdout %q", code, msg, tc.want, out)
			}
			if strings.Contains(tc.want, "line") && !strings.Contains(msg, p) {
				t.Fatalf("error %q does not name the file", msg)
			}
		})
	}
}

// TestReplayLabelsFromConfigDataDir: without --data-dir, replay reads the
// watchlists of the config's data_dir, as the other commands do.
func TestReplayLabelsFromConfigDataDir(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	const dd = "0x00000000000000000000000000000000000000dd"
	if _, msg, code := runCLI(t, "--data-dir", data, "watch", "add", "--chain", "ethereum", "--kind", "exchange", "--address", dd, "--label", "Our own exchange"); code != 0 {
		t.Fatalf("watch add: %s", msg)
	}
	cfg := filepath.Join(dir, "chainhound.yaml")
	if err := os.WriteFile(cfg, []byte("data_dir: "+data+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	csv := "block,time,tx,index,from,to,asset,amount\n" +
		"100,2025-02-21T14:13:35Z," + txTheft + ",0,0x00000000000000000000000000000000000000aa," + dd + ",ETH,1000\n"
	out, msg, code := runCLI(t, "--config", cfg, "replay", "--chain", "ethereum", "--transfers", writeCSV(t, csv), "--seed-address", "0x00000000000000000000000000000000000000aa")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	as := parseAlerts(t, out)
	if len(as) != 1 || as[0].Label == nil || as[0].Label.Name != "Our own exchange" {
		t.Fatalf("alerts %s", out)
	}
}

// TestReplayThroughTornado: the event column makes replay follow taint
// through a Tornado pool as the daemon does — the shipped label of the
// mainnet 100 ETH pool, a deposit and a relayed withdrawal to the
// depositor (address match), then a deposit at an exchange whose alert
// carries the withdrawal's confidence and the path through the pool. Below
// --confidence-floor the withdrawal is reported and nothing reaches the
// exchange.
func TestReplayThroughTornado(t *testing.T) {
	const (
		pool    = "0xa160cdab225685da1d56aa342ad8841c3b53f291" // Tornado.Cash 100 ETH, shipped
		thief   = "0x00000000000000000000000000000000000000bb"
		mule    = "0x00000000000000000000000000000000000000cc"
		clean   = "0x00000000000000000000000000000000000000ee"
		relayer = "0x00000000000000000000000000000000000000ff"
		txMule  = "0x4444444444444444444444444444444444444444444444444444444444444444"
		txClean = "0x5555555555555555555555555555555555555555555555555555555555555555"
		txW     = "0x6666666666666666666666666666666666666666666666666666666666666666"
	)
	csv := "block,time,tx,index,from,to,asset,amount,event\n" +
		"100,1700000000," + txTheft + ",0,0x00000000000000000000000000000000000000aa," + thief + ",ETH,1000,\n" +
		"101,1700000012," + txHop + ",0," + thief + "," + mule + ",ETH,100,\n" +
		"102,1700000024," + txMule + ",0," + mule + "," + pool + ",ETH,100,tornado.deposit\n" +
		"102,1700000024," + txClean + ",0," + clean + "," + pool + ",ETH,100,tornado.deposit\n" +
		"103,1700000036," + txW + ",0," + pool + "," + mule + ",ETH,99,tornado.withdrawal\n" +
		"103,1700000036," + txW + ",1," + pool + "," + relayer + ",ETH,1,\n" +
		"104,1700000048," + txDep + ",0," + mule + "," + binance + ",ETH,99,\n"
	run := func(floor string) []alerts.Alert {
		out, msg, code := runCLI(t, "--data-dir", t.TempDir(), "replay", "--chain", "ethereum", "--transfers", writeCSV(t, csv), "--seed-tx", txTheft, "--confidence-floor", floor)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, msg)
		}
		return parseAlerts(t, out)
	}
	byType := func(as []alerts.Alert, typ string) []alerts.Alert {
		var out []alerts.Alert
		for _, a := range as {
			if a.Type == typ {
				out = append(out, a)
			}
		}
		return out
	}
	as := run("0.25")
	ws := byType(as, alerts.TypeMixerWithdrawal)
	if len(ws) != 1 || ws[0].Tx != txW || ws[0].Amount != "99" || ws[0].Tainted != "94" || ws[0].Confidence != 0.95 || len(ws[0].Heuristics) != 1 || ws[0].Heuristics[0] != "address_match" {
		t.Fatalf("mixer withdrawals %v; want one of 99 to the mule, 94 tainted, 0.95 by address_match", ws)
	}
	ds := byType(as, alerts.TypeExchangeDeposit)
	if len(ds) != 1 || ds[0].Tx != txDep || ds[0].Tainted != "94" || ds[0].Confidence != 0.95 {
		t.Fatalf("exchange deposits %v; want one of 94 tainted at 0.95", ds)
	}
	if p := ds[0].Path; len(p) != 5 || p[3].Via == nil || p[3].Via.Protocol != "tornado" || p[3].Tx != txW {
		t.Fatalf("exchange deposit path %+v; want theft, hop, pool deposit, withdrawal (via tornado), deposit", p)
	}

	as = run("0.99")
	if ws := byType(as, alerts.TypeMixerWithdrawal); len(ws) != 1 {
		t.Fatalf("below the floor: %d mixer withdrawals, want 1 reported", len(ws))
	}
	if ds := byType(as, alerts.TypeExchangeDeposit); len(ds) != 0 {
		t.Fatalf("below the floor the taint reached the exchange: %v", ds)
	}

	bad := "block,time,tx,index,from,to,asset,amount,event\n100,1700000000," + txTheft + ",0," + thief + "," + pool + ",ETH,1,thorchain.deposit\n"
	_, msg, code := runCLI(t, "--data-dir", t.TempDir(), "replay", "--chain", "ethereum", "--transfers", writeCSV(t, bad), "--seed-tx", txTheft)
	if code == 0 || !strings.Contains(msg, "line 2") || !strings.Contains(msg, "thorchain.deposit") {
		t.Fatalf("an unknown event: exit %d, %q; want an error naming line 2 and the event", code, msg)
	}
}

// TestReplayTHORChainSwap: a memo column with the event thorchain.deposit
// replays a swap through the shipped THORChain router: its taint.bridge
// alert names the destination the memo gives.
func TestReplayTHORChainSwap(t *testing.T) {
	const (
		router = "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146" // THORChain router v4.1.1, shipped
		thief  = "0x00000000000000000000000000000000000000bb"
		dest   = "bc1q6fxj6446h2gr40wtfkzqyfk848gw4q4t8akr2p"
	)
	csv := "block,time,tx,index,from,to,asset,amount,event,memo\n" +
		"100,1700000000," + txTheft + ",0,0x00000000000000000000000000000000000000aa," + thief + ",ETH,1000,,\n" +
		"101,1700000012," + txHop + ",0," + thief + "," + router + ",ETH,600,thorchain.deposit,=:b:" + dest + ":0/1/0:dx:30\n"
	out, msg, code := runCLI(t, "--data-dir", t.TempDir(), "replay", "--chain", "ethereum", "--transfers", writeCSV(t, csv), "--seed-tx", txTheft)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	var br []alerts.Alert
	for _, a := range parseAlerts(t, out) {
		if a.Type == alerts.TypeBridge {
			br = append(br, a)
		}
	}
	if len(br) != 1 || br[0].Tx != txHop || br[0].Dest == nil || br[0].Dest.Chain != "bitcoin" || br[0].Dest.Address != dest || br[0].Dest.Asset != "BTC.BTC" {
		t.Fatalf("bridge alerts %v; want the swap's, dest bitcoin %s BTC.BTC", br, dest)
	}
	// A memo THORChain would refuse is refused with its line.
	bad := strings.Replace(csv, "=:b:", "NOSUCHFUNCTION:b:", 1)
	if _, msg, code := runCLI(t, "--data-dir", t.TempDir(), "replay", "--chain", "ethereum", "--transfers", writeCSV(t, bad), "--seed-tx", txTheft); code == 0 || !strings.Contains(msg, "line 3") || !strings.Contains(msg, "memo") {
		t.Fatalf("a bad memo: exit %d, %q", code, msg)
	}
}

// TestReplayLearnsDepositAddresses: replay learns an exchange's deposit
// address from its sweep as the daemon does, so the thief's payment into
// it is an exchange deposit on arrival, in replay as live.
func TestReplayLearnsDepositAddresses(t *testing.T) {
	const (
		user  = "0x00000000000000000000000000000000000000a1"
		dep   = "0x00000000000000000000000000000000000000d1"
		thief = "0x00000000000000000000000000000000000000bb"
		txIn  = "0x7777777777777777777777777777777777777777777777777777777777777777"
		txSw  = "0x8888888888888888888888888888888888888888888888888888888888888888"
	)
	csv := "block,time,tx,index,from,to,asset,amount\n" +
		"100,1700000000," + txIn + ",0," + user + "," + dep + ",ETH,1000\n" +
		"101,1700000012," + txSw + ",0," + dep + "," + binance + ",ETH,1000\n" +
		"102,1700000024," + txTheft + ",0,0x00000000000000000000000000000000000000aa," + thief + ",ETH,500\n" +
		"103,1700000036," + txDep + ",0," + thief + "," + dep + ",ETH,400\n"
	out, msg, code := runCLI(t, "--data-dir", t.TempDir(), "replay", "--chain", "ethereum", "--transfers", writeCSV(t, csv), "--seed-tx", txTheft)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	var got []alerts.Alert
	for _, a := range parseAlerts(t, out) {
		if a.Type == alerts.TypeExchangeDeposit {
			got = append(got, a)
		}
	}
	if len(got) != 1 || got[0].Tx != txDep || !strings.EqualFold(got[0].To, dep) || got[0].Label == nil || !strings.Contains(got[0].Label.Name, "learned") {
		t.Fatalf("exchange deposits %v; want the thief's payment into the learned deposit address %s", got, dep)
	}
}

// TestReplayMaxHopsAsAnIncident: --max-hops takes the range an incident's
// max_hops takes (1..64); beyond it is a usage error naming the flag.
func TestReplayMaxHopsAsAnIncident(t *testing.T) {
	csv := "block,time,tx,index,from,to,asset,amount\n100,1700000000," + txTheft + ",0,0x00000000000000000000000000000000000000aa,0x00000000000000000000000000000000000000bb,ETH,1000\n"
	for _, hops := range []string{"0", "65"} {
		if _, msg, code := runCLI(t, "--data-dir", t.TempDir(), "replay", "--chain", "ethereum", "--transfers", writeCSV(t, csv), "--seed-tx", txTheft, "--max-hops", hops); code != 2 || !strings.Contains(msg, "--max-hops") {
			t.Errorf("--max-hops %s: exit %d, %q", hops, code, msg)
		}
	}
	if _, msg, code := runCLI(t, "--data-dir", t.TempDir(), "replay", "--chain", "ethereum", "--transfers", writeCSV(t, csv), "--seed-tx", txTheft, "--max-hops", "64"); code != 0 {
		t.Errorf("--max-hops 64: exit %d, %q", code, msg)
	}
}

// TestReplayTakesTheConfigTracerSection: replay's flags default to the
// tracer section of --config, as an incident opened on the daemon does; a
// flag given wins; a bad configuration is a usage error naming the file.
func TestReplayTakesTheConfigTracerSection(t *testing.T) {
	csv := "block,time,tx,index,from,to,asset,amount\n" +
		"100,2025-02-21T14:13:35Z," + txTheft + ",0,0x00000000000000000000000000000000000000aa,0x00000000000000000000000000000000000000bb,ETH,1000\n" +
		"101,2025-02-21T14:13:47Z," + txHop + ",0,0x00000000000000000000000000000000000000bb,0x00000000000000000000000000000000000000cc,ETH,600\n" +
		"102,2025-02-21T14:13:59Z," + txDep + ",0,0x00000000000000000000000000000000000000cc," + binance + ",ETH,600\n"
	path := writeCSV(t, csv)
	config := func(body string) string {
		p := filepath.Join(t.TempDir(), "chainhound.yaml")
		if err := os.WriteFile(p, []byte("data_dir: "+t.TempDir()+"\n"+body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	replay := func(args ...string) []alerts.Alert {
		t.Helper()
		out, msg, code := runCLI(t, append([]string{"replay", "--chain", "ethereum", "--transfers", path, "--seed-tx", txTheft}, args...)...)
		if code != 0 {
			t.Fatalf("replay %v: exit %d: %s", args, code, msg)
		}
		return parseAlerts(t, out)
	}
	if as := replay("--config", config("")); len(as) != 1 || as[0].Hops != 3 {
		t.Fatalf("default configuration: %+v; want the exchange deposit 3 hops out", as)
	}
	// max_hops 2 in the configuration: the deposit, 3 hops out, is not reached.
	hops2 := config("tracer: { max_hops: 2 }\n")
	if as := replay("--config", hops2); len(as) != 0 {
		t.Fatalf("tracer.max_hops 2: %+v; want no alert", as)
	}
	if as := replay("--config", hops2, "--max-hops", "3"); len(as) != 1 {
		t.Fatalf("--max-hops 3 over the configuration's 2: %+v; want the deposit", as)
	}
	// The configuration's dust for the chain: 600 wei is below 700.
	if as := replay("--config", config("tracer: { dust: { ethereum: \"700\" } }\n")); len(as) != 0 {
		t.Fatalf("tracer.dust 700: %+v; want no alert", as)
	}
	_, msg, code := runCLI(t, "replay", "--config", config("tracer: { max_hops: -1 }\n"), "--chain", "ethereum", "--transfers", path, "--seed-tx", txTheft)
	if code != 2 || !strings.Contains(msg, "chainhound.yaml") || !strings.Contains(msg, "max_hops") {
		t.Fatalf("bad configuration: exit %d %q; want a usage error naming the file and the field", code, msg)
	}
}

// TestReplaySeedNotInFile: a seed the file never shows is an error naming
// it (exit 2), not an empty — clean-looking — result.
func TestReplaySeedNotInFile(t *testing.T) {
	csv := "block,time,tx,index,from,to,asset,amount\n" +
		"100,2025-02-21T14:13:35Z," + txTheft + ",0,0x00000000000000000000000000000000000000aa,0x00000000000000000000000000000000000000bb,ETH,1000\n"
	path := writeCSV(t, csv)
	for _, c := range []struct{ flag, value, want string }{
		{"--seed-tx", txHop, "--seed-tx " + txHop + ": not in"},
		{"--seed-address", "0x00000000000000000000000000000000000000cc", "--seed-address 0x00000000000000000000000000000000000000cc: not in"},
	} {
		out, msg, code := runCLI(t, "--data-dir", t.TempDir(), "replay", "--chain", "ethereum", "--transfers", path, c.flag, c.value)
		if code != 2 || out != "" || !strings.Contains(msg, c.want) {
			t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want exit 2 naming it", c.flag, c.value, code, out, msg)
		}
	}
	if _, msg, code := runCLI(t, "--data-dir", t.TempDir(), "replay", "--chain", "ethereum", "--transfers", path, "--seed-address", "0x00000000000000000000000000000000000000aa"); code != 0 {
		t.Errorf("a seed address that pays in the file: exit %d %q", code, msg)
	}
}
