package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/tracer"
)

// binanceKey creates, with the CLI on the data directory dir, an exchange
// key of tenant binance and returns its secret.
func binanceKey(t *testing.T, dir string) string {
	t.Helper()
	out, errLine, code := runCLI(t, "--data-dir", dir, "keys", "create", "--role", "exchange", "--tenant", "binance")
	if code != 0 {
		t.Fatal(errLine)
	}
	return strings.TrimSpace(out)
}

// startTail runs `chainhound alerts tail args...` on the API at url
// with key until stop, which returns what the command returned; out
// collects what it prints.
func startTail(t *testing.T, url, key string, args ...string) (out *testnodes.SyncBuffer, stop func() error) {
	t.Helper()
	app := newApp()
	out = &testnodes.SyncBuffer{}
	app.Writer, app.ErrWriter = out, &testnodes.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	argv := append([]string{"chainhound", "--api", url, "--api-key", key, "--log-level", "error", "alerts", "tail"}, args...)
	go func() { done <- app.RunContext(ctx, argv) }()
	return out, func() error {
		cancel()
		return <-done
	}
}

func appendN(t *testing.T, lg *alerts.Log, n int) {
	t.Helper()
	as := make([]alerts.Alert, n)
	for i := range as {
		as[i] = alerts.Alert{Type: alerts.TypeExchangeDeposit, Severity: alerts.High, Chain: "ethereum",
			Tx: fmt.Sprintf("0x%064x", i), Time: time.Now().UTC(), Audience: []string{"binance"}}
	}
	if _, err := lg.Append(context.Background(), as); err != nil {
		t.Fatal(err)
	}
}

// printedSeqs parses JSON lines.
func printedSeqs(t *testing.T, out string) []uint64 {
	var seqs []uint64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var a alerts.Alert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		seqs = append(seqs, a.Seq)
	}
	return seqs
}

func waitSeqs(t *testing.T, out *testnodes.SyncBuffer, n int) []uint64 {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := printedSeqs(t, out.String())
		if len(s) >= n || time.Now().After(deadline) {
			return s
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alerts tail prints every alert once, in order, across a apiDaemon restart
// in the middle (alerts appended while it is down included).
func TestAlertsTailAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	key := binanceKey(t, dir)
	d := startAPIDaemon(t, dir, "127.0.0.1:0")
	addr := d.addr
	appendN(t, d.log, 3)

	out, stop := startTail(t, d.url(), key, "--since", "1", "--type", alerts.TypeExchangeDeposit)
	if got := waitSeqs(t, out, 2); fmt.Sprint(got) != "[2 3]" {
		t.Fatalf("before the restart: %v", got)
	}
	d.stop()
	st := startAPIDaemon(t, dir, addr) // same address: the tail reconnects there
	appendN(t, st.log, 4)
	got := waitSeqs(t, out, 6)
	if err := stop(); err != nil {
		t.Fatalf("tail: %v", err)
	}
	if fmt.Sprint(got) != "[2 3 4 5 6 7]" {
		t.Fatalf("printed %v, want [2 3 4 5 6 7]", got)
	}
}

func TestAlertsTailBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no key", []string{"alerts", "tail"}},
		{"unknown type", []string{"--api-key", "chk_x", "alerts", "tail", "--type", "taint.nope"}},
		{"unknown format", []string{"--api-key", "chk_x", "alerts", "tail", "--format", "xml"}},
		{"bad api", []string{"--api", "ftp://x", "--api-key", "chk_x", "alerts", "tail"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, errLine, code := runCLI(t, tc.args...); code != 2 || errLine == "" {
				t.Fatalf("exit %d %q, want 2", code, errLine)
			}
		})
	}
	_ = apikey.Prefix
}

// TestHumanAmount: the table's amounts are exact, in the asset's units.
func TestHumanAmount(t *testing.T) {
	usdc := "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
	for _, c := range []struct {
		v    string
		a    *alerts.Asset
		want string
	}{
		{"500000000000000000000", &alerts.Asset{Symbol: "ETH", Decimals: 18}, "500 ETH"},
		{"90000000", &alerts.Asset{Symbol: "BTC", Decimals: 8}, "0.9 BTC"},
		{"1", &alerts.Asset{Symbol: "ETH", Decimals: 18}, "0.000000000000000001 ETH"},
		{"1234500", &alerts.Asset{Symbol: "", Contract: &usdc, Decimals: 6}, "1.2345 " + usdc},
		{"", &alerts.Asset{Symbol: "ETH", Decimals: 18}, "-"},
	} {
		if got := humanAmount(c.v, c.a); got != c.want {
			t.Errorf("humanAmount(%s) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestTinySharesPrintPlainly: a share of 4.3e-57 (a dust piece of a huge
// theft) is 0.000001 in an alert's JSON, never in exponent notation (in
// a trace table it is "<0.01%": tracer's TestTinySharesPrintPlainly).
func TestTinySharesPrintPlainly(t *testing.T) {
	f := tracer.Finding{ID: "f", Type: tracer.ExchangeDeposit, Chain: chains.Ethereum, Asset: chains.ETH, Amount: big.NewInt(1), Tainted: big.NewInt(1), Share: 4.3e-57}
	sev := alerts.DefaultSeverityTable()
	b, err := json.Marshal(alerts.AlertOf(&f, &sev))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"share":0.000001`) || strings.Contains(string(b), "e-") {
		t.Fatalf("alert JSON %s; want share 0.000001", b)
	}
}
