package alerts_test

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
)

func TestDefaultSeverity(t *testing.T) {
	tab := alerts.DefaultSeverityTable()
	if err := tab.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		typ        string
		chain      chains.Chain
		amount     *big.Int
		share      float64
		confidence float64
		want       string
	}{
		"exchange deposit":             {alerts.TypeExchangeDeposit, chains.Ethereum, eth(10), 0.5, 1, alerts.Critical},
		"exchange deposit, 0.5% share": {alerts.TypeExchangeDeposit, chains.Ethereum, eth(10), 0.005, 1, alerts.High},
		"exchange deposit, dust share": {alerts.TypeExchangeDeposit, chains.Ethereum, eth(10), 0.00001, 1, alerts.Medium},
		"unknown share lowers nothing": {alerts.TypeExchangeDeposit, chains.Ethereum, eth(10), 0, 1, alerts.Critical},
		"sanctioned":                   {alerts.TypeSanctioned, chains.Bitcoin, big.NewInt(1e8), 1, 1, alerts.Critical},
		"mixer deposit":                {alerts.TypeMixerDeposit, chains.Ethereum, eth(100), 0.1, 1, alerts.High},
		"mixer withdrawal, weak link":  {alerts.TypeMixerWithdrawal, chains.Ethereum, eth(100), 0.1, 0.01, alerts.Medium},
		"mixer withdrawal, weak, tiny": {alerts.TypeMixerWithdrawal, chains.Ethereum, eth(100), 0.00001, 0.01, alerts.Info},
		"bridge":                       {alerts.TypeBridge, chains.Ethereum, eth(1), 0.2, 1, alerts.High},
		"drain":                        {alerts.TypeTreasuryDrain, chains.Ethereum, eth(1), 0, 1, alerts.Critical},
		"outflow medium":               {alerts.TypeTreasuryOutflow, chains.Ethereum, eth(5), 0, 1, alerts.Medium},
		"outflow 100 ETH high":         {alerts.TypeTreasuryOutflow, chains.Ethereum, eth(100), 0, 1, alerts.High},
		"outflow just under 100 ETH":   {alerts.TypeTreasuryOutflow, chains.Ethereum, new(big.Int).Sub(eth(100), big.NewInt(1)), 0, 1, alerts.Medium},
		"outflow tiny ETH low":         {alerts.TypeTreasuryOutflow, chains.Ethereum, big.NewInt(1e15), 0, 1, alerts.Low},
		"outflow 5 BTC high":           {alerts.TypeTreasuryOutflow, chains.Bitcoin, big.NewInt(5e8), 0, 1, alerts.High},
		"outflow treasury share kept":  {alerts.TypeTreasuryOutflow, chains.Bitcoin, big.NewInt(1e6), 0.00001, 1, alerts.Medium},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tab.Severity(c.typ, c.chain, "", c.amount, c.share, c.confidence); got != c.want {
				t.Fatalf("severity %s, want %s", got, c.want)
			}
		})
	}
}

func TestSeverityTableValidate(t *testing.T) {
	cases := map[string]struct {
		spoil func(*alerts.SeverityTable)
		want  string
	}{
		"unknown base type":   {func(s *alerts.SeverityTable) { s.Base["taint.nope"] = alerts.High }, `base: unknown alert type "taint.nope"`},
		"unknown severity":    {func(s *alerts.SeverityTable) { s.Base[alerts.TypeBridge] = "severe" }, `base[taint.bridge]: unknown severity "severe"`},
		"bad min":             {func(s *alerts.SeverityTable) { s.Amount[0].Min = "1e18" }, `amount[0].min: "1e18"`},
		"bad chain":           {func(s *alerts.SeverityTable) { s.Amount[1].Chain = "solana" }, `amount[1].chain`},
		"share out of range":  {func(s *alerts.SeverityTable) { s.Share[0].Below = 2 }, `share[0].below`},
		"confidence too high": {func(s *alerts.SeverityTable) { s.LowConfidence = 1.5 }, `low_confidence`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			tab := alerts.DefaultSeverityTable()
			c.spoil(&tab)
			if err := tab.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// Replay and the daemon decide the same severity for every finding: replay
// converts with DefaultSeverityTable as it comes (a 200 ETH outflow was
// "medium" there and "high" in the daemon, whose raiser validated the
// table first), the daemon through its Raiser.
func TestReplayAndDaemonSeveritiesAgree(t *testing.T) {
	ctx := context.Background()
	_, l, r := newRaiserStore(t, t.TempDir())
	sev := alerts.DefaultSeverityTable()
	var fs []tracer.Finding
	for i, wei := range []*big.Int{eth(200), eth(100), eth(1), big.NewInt(1e15)} {
		for _, typ := range []tracer.FindingType{tracer.TreasuryOutflow, tracer.ExchangeDeposit} {
			f := deposit(fmt.Sprintf("f_%d_%s", i, typ), 21895251)
			f.Type, f.Amount, f.Tainted = typ, wei, wei
			if typ == tracer.TreasuryOutflow {
				f.Tainted = nil
			}
			fs = append(fs, f)
		}
	}
	if err := r.Raise(ctx, fs); err != nil {
		t.Fatal(err)
	}
	got := all(t, l)
	if len(got) != len(fs) {
		t.Fatalf("%d alerts for %d findings", len(got), len(fs))
	}
	for i := range fs {
		if want := alerts.AlertOf(&fs[i], &sev).Severity; got[i].Severity != want {
			t.Errorf("%s of %s: daemon says %s, replay %s", fs[i].Type, fs[i].Amount, got[i].Severity, want)
		}
	}
	if got[0].Severity != alerts.High {
		t.Errorf("a 200 ETH treasury.outflow is %s, want high", got[0].Severity)
	}
}
