package sender

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
)

// BenchmarkRender is what a channel adds per delivery attempt on top of
// the webhook's cost: decode the queued alert, render the template, and
// encode the service's body. "bare" is the webhook's own work for the
// same alert (its JSON encoding), measured in the same run.
func BenchmarkRender(b *testing.B) {
	a := benchAlert()
	raw, _ := json.Marshal(a)
	tmpl, err := parseTemplate("")
	if err != nil {
		b.Fatal(err)
	}
	render := func(b *testing.B, body func(Message) any) {
		b.ReportAllocs()
		for b.Loop() {
			var x alerts.Alert
			if err := json.Unmarshal(raw, &x); err != nil {
				b.Fatal(err)
			}
			m, err := newMessage(x, tmpl, "https://hound.example.com")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(body(m)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("slack", func(b *testing.B) { render(b, slackBody) })
	b.Run("pagerduty", func(b *testing.B) { render(b, func(m Message) any { return pagerDutyBody("R0UT1NGKEY", m) }) })
	b.Run("email", func(b *testing.B) {
		render(b, func(m Message) any { return string(mailMessage("a@example.com", []string{"b@example.com"}, m)) })
	})
}

func benchAlert() alerts.Alert {
	hop := func(from, to string) alerts.Hop {
		return alerts.Hop{Chain: "ethereum", Tx: "0x5eed000000000000000000000000000000000000000000000000000000000001", From: from, To: to, Amount: "1500000000000000000"}
	}
	return alerts.Alert{
		Seq: 1234, Type: alerts.TypeExchangeDeposit, Severity: alerts.Critical, Chain: "ethereum",
		Block: &alerts.BlockRef{Number: 21_000_000, Hash: "0xb10c"}, Tx: "0x5eed000000000000000000000000000000000000000000000000000000000003",
		From: "0x2222222222222222222222222222222222222222", To: "0x3333333333333333333333333333333333333333",
		Asset: &alerts.Asset{Symbol: "ETH", Decimals: 18}, Amount: "1500000000000000000", Tainted: "1500000000000000000",
		Share: 1, Confidence: 1, Incident: "inc_01", Label: &alerts.Label{Kind: "exchange", Name: "Binance deposit", Owner: "binance"},
		Hops: 3, Path: []alerts.Hop{hop("0x1111111111111111111111111111111111111111", "0x4444444444444444444444444444444444444444"),
			hop("0x4444444444444444444444444444444444444444", "0x2222222222222222222222222222222222222222"),
			hop("0x2222222222222222222222222222222222222222", "0x3333333333333333333333333333333333333333")},
		Time: time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC),
	}
}
