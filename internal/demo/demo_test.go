package demo

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// firstsOf returns the chain's alerts' types in order of first arrival
// (confirmations left out) and the first alert of each type.
func firstsOf(all []alerts.Alert, chain string) ([]string, map[string]alerts.Alert) {
	var firsts []string
	byType := map[string]alerts.Alert{}
	for _, a := range all {
		if a.Chain != chain || a.Type == alerts.TypeConfirmed {
			continue
		}
		if _, ok := byType[a.Type]; !ok {
			firsts = append(firsts, a.Type)
			byType[a.Type] = a
		}
	}
	return firsts, byType
}

// The demo runs to completion against the real daemon, on the embedded
// Ethereum chain and a real btcd regtest node, and raises every expected
// alert on both chains, with the amounts and the paths of the script.
func TestDemoRaisesTheExpectedAlerts(t *testing.T) {
	btcd := testnodes.BuildTool(t, BtcdModule)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	res, err := Run(ctx, Options{Out: &out, DataDir: t.TempDir(), Splits: 8, BtcdPath: btcd})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	checkEthereum(t, res, out.String())
	if res.Bitcoin == nil {
		t.Fatalf("bitcoin part skipped (%s) with btcd at %s\n%s", res.BitcoinSkipped, btcd, out.String())
	}
	checkBitcoin(t, res, out.String())
}

func checkEthereum(t *testing.T, res *Result, out string) {
	t.Helper()
	firsts, byType := firstsOf(res.Alerts, "ethereum")
	if strings.Join(firsts, ",") != strings.Join(Expected, ",") {
		t.Fatalf("ethereum alert types in order: %v, want %v\n%s", firsts, Expected, out)
	}
	drain := byType[alerts.TypeTreasuryDrain]
	if drain.Incident == "" || drain.Incident != byType[alerts.TypeExchangeDeposit].Incident {
		t.Errorf("drain alert names incident %q, the deposit %q: want the same auto incident", drain.Incident, byType[alerts.TypeExchangeDeposit].Incident)
	}
	if drain.From != res.Treasury.Hex() || drain.To != res.Thief.Hex() || drain.Amount != res.Drained.String() {
		t.Errorf("drain alert %s → %s %s, want %s → %s %s", drain.From, drain.To, drain.Amount, res.Treasury.Hex(), res.Thief.Hex(), res.Drained)
	}
	dep := byType[alerts.TypeExchangeDeposit]
	if dep.To != res.Deposit.Hex() || dep.Amount != res.Deposited.String() || dep.Tainted != res.Deposited.String() {
		t.Errorf("deposit alert to %s amount %s tainted %s, want all of %s to %s", dep.To, dep.Amount, dep.Tainted, res.Deposited, res.Deposit.Hex())
	}
	if dep.Tx != res.DepositTx || dep.Severity != alerts.Critical || dep.Incident == "" {
		t.Errorf("deposit alert tx %s severity %s incident %q", dep.Tx, dep.Severity, dep.Incident)
	}
	// Treasury → thief → split → 4 peel hops → deposit.
	if dep.Hops != 7 || len(dep.Path) != 7 {
		t.Fatalf("deposit alert hops %d, path %d, want 7", dep.Hops, len(dep.Path))
	}
	if dep.Path[0].From != res.Treasury.Hex() || dep.Path[0].Amount != res.Drained.String() || dep.Path[6].To != res.Deposit.Hex() {
		t.Errorf("path from %s (%s) to %s", dep.Path[0].From, dep.Path[0].Amount, dep.Path[6].To)
	}
	checkContinuous(t, dep.Path)
	for _, want := range []string{"treasury.drain", "taint.exchange_deposit", "path (7 hops)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func checkBitcoin(t *testing.T, res *Result, out string) {
	t.Helper()
	f := res.Bitcoin
	firsts, byType := firstsOf(res.Alerts, "bitcoin")
	if strings.Join(firsts, ",") != strings.Join(ExpectedBitcoin, ",") {
		t.Fatalf("bitcoin alert types in order: %v, want %v\n%s", firsts, ExpectedBitcoin, out)
	}
	drained := strconv.FormatInt(f.Drained, 10)
	outflow := byType[alerts.TypeTreasuryOutflow]
	if outflow.From != f.Treasury || outflow.To != f.Thief || outflow.Amount != drained {
		t.Errorf("bitcoin outflow alert %s → %s %s sat, want %s → %s %s", outflow.From, outflow.To, outflow.Amount, f.Treasury, f.Thief, drained)
	}
	drain := byType[alerts.TypeTreasuryDrain]
	if drain.From != f.Treasury || drain.To != f.Thief || drain.Amount != drained {
		t.Errorf("bitcoin drain alert %s → %s %s sat, want %s → %s %s", drain.From, drain.To, drain.Amount, f.Treasury, f.Thief, drained)
	}
	if drain.Asset == nil || drain.Asset.Symbol != "BTC" || drain.Asset.Decimals != 8 {
		t.Errorf("bitcoin drain alert asset %+v, want BTC with 8 decimals", drain.Asset)
	}
	dep := byType[alerts.TypeExchangeDeposit]
	deposited := strconv.FormatInt(f.Deposited, 10)
	if dep.To != f.Deposit || dep.Amount != deposited || dep.Tainted != deposited {
		t.Errorf("bitcoin deposit alert to %s amount %s tainted %s, want all of %s sat to %s", dep.To, dep.Amount, dep.Tainted, deposited, f.Deposit)
	}
	if dep.Tx != f.DepositTx || dep.Severity != alerts.Critical {
		t.Errorf("bitcoin deposit alert tx %s severity %s, want %s critical", dep.Tx, dep.Severity, f.DepositTx)
	}
	// Its own auto incident, not the Ethereum one.
	_, eth := firstsOf(res.Alerts, "ethereum")
	if drain.Incident == "" || dep.Incident != drain.Incident || drain.Incident == eth[alerts.TypeTreasuryDrain].Incident {
		t.Errorf("bitcoin drain incident %q, deposit %q, ethereum %q: want one new auto incident", drain.Incident, dep.Incident, eth[alerts.TypeTreasuryDrain].Incident)
	}
	// Treasury → thief → split → hop → deposit.
	if dep.Hops != 4 || len(dep.Path) != 4 {
		t.Fatalf("bitcoin deposit alert hops %d, path %d, want 4\n%s", dep.Hops, len(dep.Path), out)
	}
	if dep.Path[0].From != f.Treasury || dep.Path[0].To != f.Thief || dep.Path[0].Amount != drained || dep.Path[3].To != f.Deposit || dep.Path[3].Tx != f.DepositTx {
		t.Errorf("bitcoin path %+v", dep.Path)
	}
	checkContinuous(t, dep.Path)
	// Amounts are shown in BTC with their 8 decimals: 25 BTC drained, the
	// deposit to the satoshi.
	for _, want := range []string{"25 BTC", formatSats(f.Deposited) + " BTC", "path (4 hops)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func checkContinuous(t *testing.T, path []alerts.Hop) {
	t.Helper()
	for i := 1; i < len(path); i++ {
		if path[i].From != path[i-1].To {
			t.Errorf("path breaks at hop %d: %s then %s", i, path[i-1].To, path[i].From)
		}
	}
}

// With no btcd to be found the demo says so, names how to include the
// Bitcoin part, and still plays the Ethereum part in full.
func TestDemoWithoutBtcdSkipsBitcoin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	missing := filepath.Join(t.TempDir(), "no-such-btcd")
	res, err := Run(ctx, Options{Out: &out, DataDir: t.TempDir(), Splits: 4, BtcdPath: missing})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if res.Bitcoin != nil {
		t.Fatalf("bitcoin part ran without btcd: %+v", res.Bitcoin)
	}
	// The demo names the web console (issue 18) and opens nothing itself.
	if res.Console != res.API+"/" || !strings.Contains(out.String(), "web console: "+res.Console+" ") {
		t.Errorf("the demo's output does not name the web console %q:\n%s", res.Console, out.String())
	}
	var skipLines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, "bitcoin: skipped") {
			skipLines = append(skipLines, l)
		}
	}
	if len(skipLines) != 1 || !strings.Contains(skipLines[0], missing) || !strings.Contains(skipLines[0], "go install github.com/btcsuite/btcd@v0.26.2") {
		t.Errorf("skip lines %q: want one naming %s and the go install command", skipLines, missing)
	}
	if len(skipLines) == 1 && res.BitcoinSkipped != skipLines[0] {
		t.Errorf("Result.BitcoinSkipped %q, printed %q", res.BitcoinSkipped, skipLines[0])
	}
	for _, a := range res.Alerts {
		if a.Chain != "ethereum" {
			t.Errorf("alert on %s without btcd: %+v", a.Chain, a)
		}
	}
	firsts, _ := firstsOf(res.Alerts, "ethereum")
	if strings.Join(firsts, ",") != strings.Join(Expected, ",") {
		t.Errorf("ethereum alert types in order: %v, want %v\n%s", firsts, Expected, out.String())
	}
}
