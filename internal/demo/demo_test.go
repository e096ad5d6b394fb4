package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
)

// The demo runs to completion against the real daemon and raises every
// expected alert, with the amounts and the path of the script.
func TestDemoRaisesTheExpectedAlerts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	res, err := Run(ctx, Options{Out: &out, DataDir: t.TempDir(), Splits: 8})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	var firsts []string
	byType := map[string]alerts.Alert{}
	for _, a := range res.Alerts {
		if _, ok := byType[a.Type]; !ok && a.Type != alerts.TypeConfirmed {
			firsts = append(firsts, a.Type)
			byType[a.Type] = a
		}
	}
	if strings.Join(firsts, ",") != strings.Join(Expected, ",") {
		t.Fatalf("alert types in order: %v, want %v\n%s", firsts, Expected, out.String())
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
	for i := 1; i < len(dep.Path); i++ {
		if dep.Path[i].From != dep.Path[i-1].To {
			t.Errorf("path breaks at hop %d: %s then %s", i, dep.Path[i-1].To, dep.Path[i].From)
		}
	}
	for _, want := range []string{"treasury.drain", "taint.exchange_deposit", "path (7 hops)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
