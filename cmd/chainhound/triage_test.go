package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/store/pebble"
)

func triageTestAlert(audience ...string) alerts.Alert {
	return alerts.Alert{Type: alerts.TypeExchangeDeposit, Severity: alerts.Critical, Chain: "ethereum",
		Block: &alerts.BlockRef{Number: 1, Hash: "0xb1"}, Tx: "0x" + strings.Repeat("ab", 32),
		Asset: &alerts.Asset{Symbol: "ETH", Decimals: 18}, Amount: "1", Tainted: "1", Time: time.Now().UTC(), Audience: audience}
}

// alerts ack, status and comment through a running daemon's API: the
// key's tenant's triage; another tenant's key gets the alert's 404; a bad
// status is a usage error naming --set.
func TestAlertsTriageThroughAPI(t *testing.T) {
	d, base := daemontest.Start(t, "", nil)
	binance := daemontest.Key(t, d, apikey.RoleExchange, "binance")
	kraken := daemontest.Key(t, d, apikey.RoleExchange, "kraken")
	as, err := d.Alerts.Append(context.Background(), []alerts.Alert{triageTestAlert("binance")})
	if err != nil {
		t.Fatal(err)
	}
	seq := strconv.FormatUint(as[0].Seq, 10)
	cli := []string{"--data-dir", t.TempDir(), "--api", base, "--api-key", binance}
	run := func(args ...string) (string, string, int) {
		return runCLI(t, append(append([]string(nil), cli...), args...)...)
	}
	if out, msg, code := run("alerts", "ack", seq); code != 0 || !strings.Contains(out, "acknowledged, assigned to nobody (1 changes") {
		t.Fatalf("ack: exit %d %q %s", code, out, msg)
	}
	if out, msg, code := run("alerts", "status", seq, "--set", "investigating", "--assignee", "ana"); code != 0 || !strings.Contains(out, "investigating, assigned to ana (3 changes") {
		t.Fatalf("status: exit %d %q %s", code, out, msg)
	}
	out, msg, code := run("alerts", "comment", "--format", "json", seq, "asked", "for", "KYC")
	if code != 0 {
		t.Fatalf("comment: exit %d %s", code, msg)
	}
	var tr alerts.Triage
	if err := json.Unmarshal([]byte(out), &tr); err != nil || len(tr.Comments) != 1 || tr.Comments[0].Text != "asked for KYC" || tr.Status != "investigating" {
		t.Fatalf("comment answer %q: %v", out, err)
	}
	if _, msg, code := run("alerts", "status", seq, "--set", "closed"); code != 2 || !strings.Contains(msg, "--set") {
		t.Fatalf("--set closed: exit %d %s", code, msg)
	}
	if _, msg, code := runCLI(t, "--api", base, "--api-key", kraken, "alerts", "ack", seq); code != 1 || !strings.Contains(msg, "404") {
		t.Fatalf("kraken acks binance's alert: exit %d %s", code, msg)
	}
	got, err := d.Store.Triages(context.Background(), "binance", []uint64{as[0].Seq})
	if err != nil || got[as[0].Seq].Assignee != "ana" || len(got[as[0].Seq].History) != 3 {
		t.Fatalf("stored: %+v %v", got, err)
	}
}

// On --data-dir, with --tenant.
func TestAlertsTriageDirect(t *testing.T) {
	dir := t.TempDir()
	st, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := alerts.OpenLog(context.Background(), st, alerts.Retention{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lg.Append(context.Background(), []alerts.Alert{triageTestAlert("acme")}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, msg, code := runCLI(t, "--data-dir", dir, "alerts", "ack", "1"); code != 2 || !strings.Contains(msg, "--tenant") {
		t.Fatalf("without --tenant: exit %d %s", code, msg)
	}
	if _, msg, code := runCLI(t, "--data-dir", dir, "alerts", "ack", "--tenant", "acme", "2"); code != 1 || !strings.Contains(msg, "no alert 2") {
		t.Fatalf("alert 2: exit %d %s", code, msg)
	}
	out, msg, code := runCLI(t, "--data-dir", dir, "alerts", "status", "--tenant", "acme", "--set", "false_positive", "--assignee", "bo", "1")
	if code != 0 || !strings.Contains(out, "alert 1: false_positive, assigned to bo") {
		t.Fatalf("status: exit %d %q %s", code, out, msg)
	}
	st, err = pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Triages(context.Background(), "acme", []uint64{1})
	if err != nil || got[1].Status != alerts.StatusFalsePositive || got[1].History[0].By != "cli" {
		t.Fatalf("stored %+v %v", got, err)
	}
}
