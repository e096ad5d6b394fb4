package alerts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

const (
	binance14    = "0x28c6c06298d514db089934071355e5743bf21d60"
	binance14EIP = "0x28C6c06298d514Db089934071355E5743bf21d60"
	usdt         = "0xdac17f958d2ee523a2206206994597c13d831ec7"
	usdtEIP      = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
	thief        = "0x098b716b8aaf21512996dc57eb0615e2383e2f96"
	thiefEIP     = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
)

func eth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }

func blockRef(n uint64) chains.BlockRef {
	return chains.BlockRef{Number: n, Hash: fmt.Sprintf("0x%064x", n), Time: time.Date(2025, 2, 21, 14, 13, 35, 0, time.UTC)}
}

// deposit is a tainted exchange deposit finding in block n.
func deposit(id string, n uint64) tracer.Finding {
	return tracer.Finding{
		ID: id, Type: tracer.ExchangeDeposit, Chain: chains.Ethereum, Block: blockRef(n),
		Tx: fmt.Sprintf("0x%064x", 5000+n), Index: 3, From: thief, To: binance14,
		Asset: chains.ETH, Amount: eth(10), Tainted: new(big.Int).Sub(eth(10), big.NewInt(1e16)),
		Share: 0.999, Incident: "inc_bybit",
		Label: &watchlists.Entry{Chain: chains.Ethereum, Address: binance14, Kind: watchlists.Exchange, Owner: "binance", Label: "Binance 14"},
		Hops:  1,
		Path:  []tracer.Hop{{Chain: chains.Ethereum, Tx: "0xaa", From: thief, To: binance14, Amount: eth(10)}},
		Time:  time.Date(2025, 2, 21, 14, 13, 35, 0, time.UTC),
	}
}

func newRaiser(t *testing.T, dir string) (*alerts.Log, *alerts.Raiser) {
	_, l, r := newRaiserStore(t, dir)
	return l, r
}

func newRaiserStore(t *testing.T, dir string) (*pebble.Store, *alerts.Log, *alerts.Raiser) {
	t.Helper()
	st := openStore(t, dir)
	l := openLog(t, st, alerts.Retention{})
	owners := map[string]string{"inc_bybit": "bybit", "inc_bybit_2": "bybit", "inc_bybit_3": "bybit", "inc_other": "acme"}
	r, err := alerts.NewRaiser(l, st, alerts.RaiserConfig{
		Confirmations: map[chains.Chain]int{chains.Ethereum: 12},
		IncidentOwner: func(_ context.Context, id string) (string, error) { return owners[id], nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, l, r
}

func all(t *testing.T, l *alerts.Log) []alerts.Alert {
	t.Helper()
	as, err := l.Since(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func TestRaiseConvertsFindingToContractAlert(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, r := newRaiser(t, dir)
	f := deposit("f1", 21895251)
	tok := deposit("f2", 21895251)
	tok.Asset = chains.Asset{Symbol: "USDT", Contract: usdt, Decimals: 6}
	tok.Amount, tok.Tainted, tok.Share = big.NewInt(5_000_000), big.NewInt(5_000_000), 0.5
	tok.Confidence = 0.8
	if err := r.Raise(ctx, []tracer.Finding{f, tok}); err != nil {
		t.Fatal(err)
	}
	got := all(t, l)
	if len(got) != 2 {
		t.Fatalf("got %d alerts, want 2", len(got))
	}
	b, _ := json.Marshal(got[0])
	var m map[string]any
	json.Unmarshal(b, &m)
	want := map[string]any{
		"seq": 1.0, "type": "taint.exchange_deposit", "severity": "critical", "chain": "ethereum",
		"tx": f.Tx, "index": 3.0, "from": thiefEIP, "to": binance14EIP,
		"amount": "10000000000000000000", "tainted": "9990000000000000000",
		"share": 0.999, "confidence": 1.0, "incident": "inc_bybit", "hops": 1.0,
		"confirmations": 0.0, "time": "2025-02-21T14:13:35Z", "retracts": nil,
	}
	for k, v := range want {
		if fmt.Sprint(m[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if s := fmt.Sprint(m["asset"]); s != "map[contract:<nil> decimals:18 symbol:ETH]" {
		t.Errorf("asset = %s, want native ETH with contract null", s)
	}
	if s := fmt.Sprint(m["label"]); s != "map[kind:exchange name:Binance 14 owner:binance]" {
		t.Errorf("label = %s", s)
	}
	if s := fmt.Sprint(m["block"]); s != fmt.Sprintf("map[hash:%s number:2.1895251e+07]", f.Block.Hash) {
		t.Errorf("block = %s", s)
	}
	if s := fmt.Sprint(m["path"]); s != fmt.Sprintf("[map[amount:10000000000000000000 chain:ethereum from:%s to:%s tx:0xaa]]", thiefEIP, binance14EIP) {
		t.Errorf("path = %s", s)
	}
	if _, leaked := m["Audience"]; leaked || strings.Contains(string(b), `"binance","bybit"`) || m["audience"] != nil {
		t.Errorf("audience serialised: %s", b)
	}
	if fmt.Sprint(got[0].Audience) != "[binance bybit]" {
		t.Errorf("audience = %v, want [binance bybit]", got[0].Audience)
	}
	if got[1].Asset.Contract == nil || *got[1].Asset.Contract != usdtEIP || got[1].Asset.Decimals != 6 {
		t.Errorf("token asset = %+v", got[1].Asset)
	}
	if got[1].Confidence != 0.8 || got[1].Amount != "5000000" {
		t.Errorf("token alert confidence %v amount %s", got[1].Confidence, got[1].Amount)
	}

}

func TestDuplicateFindingRaisesOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, _, r := newRaiserStore(t, dir)
	f := deposit("f1", 10)
	// Twice in one call, then again in a later call (a replay).
	if err := r.Raise(ctx, []tracer.Finding{f, f}); err != nil {
		t.Fatal(err)
	}
	if err := r.Raise(ctx, []tracer.Finding{f, deposit("f2", 10)}); err != nil {
		t.Fatal(err)
	}
	// And after a restart (the tracer replays from its checkpoint).
	closeStore(t, st)
	_, l, r := newRaiserStore(t, dir)
	if err := r.Raise(ctx, []tracer.Finding{f, deposit("f2", 10)}); err != nil {
		t.Fatal(err)
	}
	got := all(t, l)
	if len(got) != 2 || got[0].Finding != "f1" || got[1].Finding != "f2" {
		t.Fatalf("got %d alerts %v, want one for f1 and one for f2", len(got), got)
	}
}

func TestRetractNamesTheRightSeq(t *testing.T) {
	ctx := context.Background()
	l, r := newRaiser(t, t.TempDir())
	// Alerts 1..3 from blocks 10, 11, 11.
	if err := r.Raise(ctx, []tracer.Finding{deposit("a", 10), deposit("b", 11), deposit("c", 11)}); err != nil {
		t.Fatal(err)
	}
	// Block 11 is undone: b (seq 2) and c (seq 3) are retracted; "z" was
	// never raised and retracts nothing.
	if err := r.Retract(ctx, []tracer.Finding{deposit("c", 11), deposit("z", 11), deposit("b", 11)}); err != nil {
		t.Fatal(err)
	}
	// Retracting again appends nothing.
	if err := r.Retract(ctx, []tracer.Finding{deposit("b", 11)}); err != nil {
		t.Fatal(err)
	}
	got := all(t, l)
	if len(got) != 5 {
		t.Fatalf("got %d alerts, want 3 raised + 2 retractions", len(got))
	}
	for i, want := range []uint64{3, 2} {
		a := got[3+i]
		if a.Type != alerts.TypeRetracted || a.Retracts == nil || *a.Retracts != want {
			t.Fatalf("alert %d: type %s retracts %v, want alert.retracted of %d", a.Seq, a.Type, a.Retracts, want)
		}
		if a.Severity != alerts.Critical || a.Tx != got[want-1].Tx || fmt.Sprint(a.Audience) != "[binance bybit]" {
			t.Fatalf("retraction %d does not carry the original's fields: %+v", a.Seq, a)
		}
	}
	// The block reconnects: the same findings raise new alerts.
	if err := r.Raise(ctx, []tracer.Finding{deposit("b", 11)}); err != nil {
		t.Fatal(err)
	}
	if got = all(t, l); len(got) != 6 || got[5].Finding != "b" || got[5].Type != alerts.TypeExchangeDeposit {
		t.Fatalf("re-raise after retraction: %d alerts, last %+v", len(got), got[len(got)-1])
	}
	// Confirming block 11 now confirms only the re-raised b (seq 6).
	if err := r.Confirm(ctx, chains.Ethereum, blockRef(11)); err != nil {
		t.Fatal(err)
	}
	got = all(t, l)
	if len(got) != 7 || got[6].Confirms == nil || *got[6].Confirms != 6 {
		t.Fatalf("confirm after retraction: %d alerts, last %+v", len(got), got[len(got)-1])
	}
}

func TestConfirmOncePerAlert(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, l, r := newRaiserStore(t, dir)
	pending := deposit("p", 0)
	pending.Pending, pending.Block = true, chains.BlockRef{}
	if err := r.Raise(ctx, []tracer.Finding{deposit("a", 10), deposit("b", 10), deposit("c", 12), pending}); err != nil {
		t.Fatal(err)
	}
	if got := all(t, l); got[3].Block != nil || !got[3].Pending {
		t.Fatalf("pending alert: block %v pending %v, want null and true", got[3].Block, got[3].Pending)
	}
	if err := r.Confirm(ctx, chains.Ethereum, blockRef(10)); err != nil {
		t.Fatal(err)
	}
	// Again, after a restart, and for a block on another chain and a block
	// without alerts: nothing more.
	closeStore(t, st)
	_, l, r = newRaiserStore(t, dir)
	for _, c := range []struct {
		chain chains.Chain
		n     uint64
	}{{chains.Ethereum, 10}, {chains.Bitcoin, 12}, {chains.Ethereum, 11}} {
		if err := r.Confirm(ctx, c.chain, blockRef(c.n)); err != nil {
			t.Fatal(err)
		}
	}
	got := all(t, l)
	if len(got) != 6 {
		t.Fatalf("got %d alerts, want 4 raised + 2 confirmations", len(got))
	}
	for i, want := range []uint64{1, 2} {
		a := got[4+i]
		if a.Type != alerts.TypeConfirmed || a.Confirms == nil || *a.Confirms != want || a.Confirmations != 12 {
			t.Fatalf("alert %d: %s confirms %v confirmations %d, want alert.confirmed of %d at 12", a.Seq, a.Type, a.Confirms, a.Confirmations, want)
		}
		if a.To != binance14EIP || a.Label == nil || a.Label.Owner != "binance" || fmt.Sprint(a.Audience) != "[binance bybit]" {
			t.Fatalf("confirmation %d lacks the original's fields: %+v", a.Seq, a)
		}
	}
	// A confirmed alert can still be retracted (a reorg deeper than the
	// configured depth).
	if err := r.Retract(ctx, []tracer.Finding{deposit("a", 10)}); err != nil {
		t.Fatal(err)
	}
	if got = all(t, l); len(got) != 7 || *got[6].Retracts != 1 {
		t.Fatalf("retract after confirm: %+v", got[len(got)-1])
	}
}

func TestRaiseSkipsNonAlertFindingsAndRefusesEmptyID(t *testing.T) {
	ctx := context.Background()
	l, r := newRaiser(t, t.TempDir())
	left := deposit("left", 10)
	left.Type = tracer.TaintLeft
	if err := r.Raise(ctx, []tracer.Finding{left}); err != nil {
		t.Fatal(err)
	}
	noID := deposit("", 10)
	if err := r.Raise(ctx, []tracer.Finding{deposit("ok", 10), noID}); err == nil || !strings.Contains(err.Error(), "finding 1") {
		t.Fatalf("got %v, want an error naming finding 1", err)
	}
	if n := len(all(t, l)); n != 0 {
		t.Fatalf("%d alerts stored, want none", n)
	}
}

// TestOneAlertPerDeposit (issue 16, item 4): two incidents of one owner
// over the same theft taint one 10 ETH deposit — one alert, listing both
// (the larger share first), tainted the larger of theirs, never the sum;
// an incident of another owner gets its own alert (an owner never sees
// another's incident); an incident whose finding on the deposit comes
// later (a catch-up) points at the alert already sent; undoing the block
// retracts the alert once; the block applied again alerts again.
func TestOneAlertPerDeposit(t *testing.T) {
	ctx := context.Background()
	_, l, r := newRaiserStore(t, t.TempDir())
	a := deposit("fa", 10)
	b := deposit("fb", 10)
	b.Incident, b.Tainted = "inc_bybit_2", eth(4)
	c := deposit("fc", 10)
	c.Incident, c.Tainted = "inc_other", eth(7)
	if err := r.Raise(ctx, []tracer.Finding{b, a, c}); err != nil {
		t.Fatal(err)
	}
	got := all(t, l)
	if len(got) != 2 {
		t.Fatalf("got %d alerts, want one for bybit's two incidents and one for acme's: %v", len(got), got)
	}
	if g := got[0]; g.Incident != "inc_bybit" || fmt.Sprint(g.Incidents) != "[inc_bybit inc_bybit_2]" || g.Tainted != a.Tainted.String() || fmt.Sprint(g.Audience) != "[binance bybit]" {
		t.Fatalf("bybit's alert: incident %s incidents %v tainted %s audience %v; want inc_bybit first, both, %s, binance and bybit", g.Incident, g.Incidents, g.Tainted, g.Audience, a.Tainted)
	}
	if g := got[1]; g.Incident != "inc_other" || fmt.Sprint(g.Incidents) != "[inc_other]" || fmt.Sprint(g.Audience) != "[acme binance]" {
		t.Fatalf("acme's alert: %v %v audience %v", g.Incident, g.Incidents, g.Audience)
	}
	// A third incident of bybit's, caught up later, on the same deposit.
	late := deposit("fl", 10)
	late.Incident = "inc_bybit_3"
	if err := r.Raise(ctx, []tracer.Finding{late}); err != nil {
		t.Fatal(err)
	}
	if n := len(all(t, l)); n != 2 {
		t.Fatalf("a later incident's finding on an alerted deposit raised %d alerts", n-2)
	}
	// The block is undone: one retraction per alert, whatever the findings.
	if err := r.Retract(ctx, []tracer.Finding{a, b, c, late}); err != nil {
		t.Fatal(err)
	}
	got = all(t, l)
	if len(got) != 4 || got[2].Type != alerts.TypeRetracted || *got[2].Retracts != 1 || *got[3].Retracts != 2 {
		t.Fatalf("after the undo: %v; want the two alerts retracted once each", got[2:])
	}
	// Applied again: alerted again.
	if err := r.Raise(ctx, []tracer.Finding{a, b}); err != nil {
		t.Fatal(err)
	}
	got = all(t, l)
	if len(got) != 5 || got[4].Type != alerts.TypeExchangeDeposit || len(got[4].Incidents) != 2 {
		t.Fatalf("after the block came back: %v; want one alert for both incidents", got[4:])
	}
}

// TestRaiseOnConfirmedBlockConfirms: an alert raised from a block whose
// confirmation has passed already (a block applied again when another
// chain's swap joined a payout in it, an incident caught up) is confirmed
// as it is raised; one from a block above the confirmed height waits.
func TestRaiseOnConfirmedBlockConfirms(t *testing.T) {
	ctx := context.Background()
	_, l, r := newRaiserStore(t, t.TempDir())
	if err := r.Confirm(ctx, chains.Ethereum, blockRef(12)); err != nil {
		t.Fatal(err)
	}
	if err := r.Raise(ctx, []tracer.Finding{deposit("a", 10), deposit("b", 13)}); err != nil {
		t.Fatal(err)
	}
	got := all(t, l)
	if len(got) != 3 || got[2].Type != alerts.TypeConfirmed || got[2].Confirms == nil || *got[2].Confirms != got[0].Seq || got[2].Confirmations != 12 {
		t.Fatalf("alerts %+v; want a, b, and a's alert.confirmed at 12", got)
	}
	// b is confirmed with its block, once.
	for range 2 {
		if err := r.Confirm(ctx, chains.Ethereum, blockRef(13)); err != nil {
			t.Fatal(err)
		}
	}
	if got = all(t, l); len(got) != 4 || *got[3].Confirms != got[1].Seq {
		t.Fatalf("after block 13's confirmation: %+v; want b's alert.confirmed", got)
	}
}

func TestNewRaiserRefusesInvalidSeverityTable(t *testing.T) {
	st := openStore(t, t.TempDir())
	l := openLog(t, st, alerts.Retention{})
	r, err := alerts.NewRaiser(l, st, alerts.RaiserConfig{Severity: &alerts.SeverityTable{Base: map[string]string{"no.such.type": alerts.High}}})
	if err == nil || r != nil || !strings.Contains(err.Error(), "no.such.type") {
		t.Fatalf("NewRaiser with an invalid table: %v, %v; want an error naming the type", r, err)
	}
}
