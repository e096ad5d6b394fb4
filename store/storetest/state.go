package storetest

import (
	"context"
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

func testCheckpoints(t *testing.T, h Harness) {
	s := open(t, h)
	if _, ok, err := s.Checkpoint(ctx, chains.Ethereum); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	want := chains.BlockRef{Number: 42, Hash: "0xabc", Parent: "0xdef", Time: time.Date(2025, 2, 21, 14, 13, 35, 0, time.UTC)}
	if err := s.SaveCheckpoint(ctx, chains.Ethereum, chains.BlockRef{Number: 41, Hash: "0xdef"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCheckpoint(ctx, chains.Ethereum, want); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, h, s)
	got, ok, err := s.Checkpoint(ctx, chains.Ethereum)
	if err != nil || !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopen: %+v ok=%v err=%v, want %+v", got, ok, err, want)
	}
	if _, ok, _ := s.Checkpoint(ctx, chains.Bitcoin); ok {
		t.Fatal("bitcoin checkpoint should be absent")
	}
}

// scanTracer returns the tracer state as sorted key/value pairs.
func scanTracer(t *testing.T, s store.Backend) [][2]string {
	t.Helper()
	var out [][2]string
	if err := s.ScanTracer(ctx, func(k, v []byte) error {
		out = append(out, [2]string{string(k), string(v)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !sort.SliceIsSorted(out, func(i, j int) bool { return out[i][0] < out[j][0] }) {
		t.Fatalf("ScanTracer not in key order: %q", out)
	}
	return out
}

func testTracer(t *testing.T, h Harness) {
	s := open(t, h)
	puts := []tracer.KV{
		{Key: []byte("h/ethereum/0xa//0/inc_1"), Value: []byte{1, 2}},
		{Key: []byte("l/ethereum"), Value: []byte(`{"number":1}`)},
		{Key: []byte("j/ethereum/1"), Value: []byte{9}},
		{Key: []byte("b/\x00\xff\x01"), Value: []byte{0, 0xff, 0}}, // binary keys and values
	}
	if err := s.SaveTracer(ctx, puts, nil); err != nil {
		t.Fatal(err)
	}
	// A second batch deletes one key and replaces another, atomically; a
	// key deleted and put in one batch is put (deletes come first). (The
	// transfer index's x/ keys are a domain of their own, kept apart from
	// this scan by some stores: testTransferIndex.)
	if err := s.SaveTracer(ctx, []tracer.KV{{Key: []byte("l/ethereum"), Value: []byte(`{"number":2}`)}, {Key: []byte("y/again"), Value: []byte("2")}},
		[][]byte{[]byte("j/ethereum/1"), []byte("y/again"), []byte("absent")}); err != nil {
		t.Fatal(err)
	}
	// Other domains' keys are not the tracer's.
	if err := s.SaveCheckpoint(ctx, chains.Ethereum, chains.BlockRef{Number: 7, Hash: "0x7"}); err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"b/\x00\xff\x01", "\x00\xff\x00"}, {"h/ethereum/0xa//0/inc_1", "\x01\x02"}, {"l/ethereum", `{"number":2}`}, {"y/again", "2"}}
	if got := scanTracer(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("scan got %q, want %q", got, want)
	}
	// A cancelled context writes nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.SaveTracer(cctx, []tracer.KV{{Key: []byte("y"), Value: []byte("y")}}, [][]byte{[]byte("l/ethereum")}); err == nil {
		t.Fatal("save with a cancelled context succeeded")
	}
	s = reopen(t, h, s)
	if got := scanTracer(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a cancelled batch and a reopen: %q, want %q", got, want)
	}
	// fn's error stops the scan and is returned.
	stop := fmt.Errorf("stop")
	n := 0
	if err := s.ScanTracer(ctx, func(k, v []byte) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("scan stopped by fn: err %v after %d calls", err, n)
	}
}

// testBlock: a block's tracer batch, alerts and checkpoint are written
// together or not at all.
func testBlock(t *testing.T, h Harness) {
	s := open(t, h)
	ref := chains.BlockRef{Number: 100, Hash: "0x64", Parent: "0x63"}
	rec := record(1, "0x64", time.Now())
	blk := store.Block{
		Chain:      chains.Ethereum,
		Puts:       []tracer.KV{{Key: []byte("l/ethereum"), Value: []byte("100")}, {Key: []byte("j/ethereum/100"), Value: []byte("j")}},
		Deletes:    [][]byte{[]byte("j/ethereum/99")},
		Alerts:     &alerts.AlertWrite{Records: []alerts.Record{rec}, Last: 1, SetFindings: []alerts.FindingSeq{{ID: "f1", Seq: 1}}, AddBlocks: []alerts.BlockSeq{{Chain: chains.Ethereum, Hash: "0x64", Seq: 1}}},
		Checkpoint: &ref,
	}
	if err := s.SaveTracer(ctx, []tracer.KV{{Key: []byte("j/ethereum/99"), Value: []byte("old")}}, nil); err != nil {
		t.Fatal(err)
	}
	// A crash before the write (here a cancelled context): none of it.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.WriteBlock(cctx, blk); err == nil {
		t.Fatal("block write with a cancelled context succeeded")
	}
	s = reopen(t, h, s)
	if _, ok, _ := s.Checkpoint(ctx, chains.Ethereum); ok {
		t.Fatal("cancelled block write saved the checkpoint")
	}
	if got := scanTracer(t, s); !reflect.DeepEqual(got, [][2]string{{"j/ethereum/99", "old"}}) {
		t.Fatalf("cancelled block write changed the tracer state: %q", got)
	}
	if last, _ := s.LastAlertSeq(ctx); last != 0 {
		t.Fatalf("cancelled block write moved the alert counter to %d", last)
	}
	// Written: all of it, after a reopen.
	if err := s.WriteBlock(ctx, blk); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, h, s)
	if got, ok, err := s.Checkpoint(ctx, chains.Ethereum); err != nil || !ok || got != ref {
		t.Fatalf("checkpoint after block write: %+v %v %v", got, ok, err)
	}
	if got := scanTracer(t, s); !reflect.DeepEqual(got, [][2]string{{"j/ethereum/100", "j"}, {"l/ethereum", "100"}}) {
		t.Fatalf("tracer state after block write: %q", got)
	}
	recs, err := s.AlertsSince(ctx, 0, 0)
	if err != nil || len(recs) != 1 || recs[0].Alert.Seq != 1 || recs[0].Alert.Tx != rec.Alert.Tx {
		t.Fatalf("alerts after block write: %+v %v", recs, err)
	}
	if seq, ok, _ := s.AlertFinding(ctx, "f1"); !ok || seq != 1 {
		t.Fatalf("finding index after block write: %d %v", seq, ok)
	}
	if seqs, _ := s.BlockAlerts(ctx, chains.Ethereum, "0x64"); !reflect.DeepEqual(seqs, []uint64{1}) {
		t.Fatalf("block index after block write: %v", seqs)
	}
	// A block without alerts or tracer changes moves the checkpoint alone.
	next := chains.BlockRef{Number: 101, Hash: "0x65", Parent: "0x64"}
	if err := s.WriteBlock(ctx, store.Block{Chain: chains.Ethereum, Checkpoint: &next}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Checkpoint(ctx, chains.Ethereum); got != next {
		t.Fatalf("checkpoint after an empty block: %+v", got)
	}
}

var added = time.Date(2025, 2, 21, 14, 13, 35, 0, time.UTC)

func sortedEntries(t *testing.T, s store.Backend) []watchlists.Entry {
	t.Helper()
	var out []watchlists.Entry
	if err := s.Entries(ctx, func(e watchlists.Entry) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Key(), out[j].Key()
		return fmt.Sprint(a) < fmt.Sprint(b)
	})
	return out
}

func testWatchlists(t *testing.T, h Harness) {
	s := open(t, h)
	es := []watchlists.Entry{
		{Chain: chains.Ethereum, Address: "0x28c6c06298d514db089934071355e5743bf21d60", Kind: watchlists.Exchange, Owner: "binance", Label: "Binance 14", Source: "test", Added: added, Note: "hot wallet"},
		{Chain: chains.Ethereum, Address: "0x28c6c06298d514db089934071355e5743bf21d60", Kind: watchlists.Sanctioned, Label: "same address, other kind", Added: added},
		{Chain: chains.Bitcoin, Address: "bc1q05akttddf9ce4p7hh3stgsf253m4vweu7nkhtmw", Kind: watchlists.Stolen, Owner: "victim-co"},
		{Chain: chains.Ethereum, Address: "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146", Kind: watchlists.Bridge, Owner: "victim-co", Protocol: "thorchain", Untrusted: true, Added: added},
	}
	if err := s.PutEntries(ctx, es); err != nil {
		t.Fatal(err)
	}
	// Same key: replaced.
	repl := es[0]
	repl.Label = "Binance 14 (renamed)"
	if err := s.PutEntries(ctx, []watchlists.Entry{repl}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEntries(ctx, []watchlists.EntryKey{es[2].Key(), {Chain: chains.Bitcoin, Address: "absent"}}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, h, s)
	want := []watchlists.Entry{repl, es[1], es[3]}
	sort.Slice(want, func(i, j int) bool { return fmt.Sprint(want[i].Key()) < fmt.Sprint(want[j].Key()) })
	if got := sortedEntries(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("entries after reopen:\n%+v\nwant\n%+v", got, want)
	}
	// fn's error stops the walk and is returned.
	stop := fmt.Errorf("stop")
	if err := s.Entries(ctx, func(watchlists.Entry) error { return stop }); err != stop {
		t.Fatalf("Entries with a failing fn: %v", err)
	}
	// Big batches, in and out.
	var big []watchlists.Entry
	var keys []watchlists.EntryKey
	for i := 0; i < 2500; i++ {
		e := watchlists.Entry{Chain: chains.Ethereum, Address: fmt.Sprintf("0x%040x", i), Kind: watchlists.Exchange, Owner: "exch", Label: fmt.Sprint(i), Added: added}
		big = append(big, e)
		keys = append(keys, e.Key())
	}
	if err := s.PutEntries(ctx, big); err != nil {
		t.Fatal(err)
	}
	if got := sortedEntries(t, s); len(got) != len(want)+len(big) {
		t.Fatalf("%d entries after a batch of %d, want %d", len(got), len(big), len(want)+len(big))
	}
	if err := s.DeleteEntries(ctx, keys[:2400]); err != nil {
		t.Fatal(err)
	}
	if got := sortedEntries(t, s); len(got) != len(want)+100 {
		t.Fatalf("%d entries after deleting 2400, want %d", len(got), len(want)+100)
	}
}

// testWatchlistRegistry: what the registry and the incident book keep
// survives a restart whole.
func testWatchlistRegistry(t *testing.T, h Harness) {
	s := open(t, h)
	reg := watchlists.NewRegistry(s, nil)
	entries := []watchlists.Entry{
		{Chain: chains.Ethereum, Address: "0x28C6c06298d514Db089934071355E5743bf21d60", Kind: watchlists.Exchange, Owner: "binance", Label: "Binance 14", Source: "test", Added: added, Note: "hot wallet"},
		{Chain: chains.Ethereum, Address: "0x28c6c06298d514db089934071355e5743bf21d60", Kind: watchlists.Sanctioned, Label: "hypothetical", Added: added},
		{Chain: chains.Bitcoin, Address: "BC1Q05AKTDDF9CE4P7HH3STGSF253M4VWEU7NKHTMW", Kind: watchlists.Stolen, Owner: "victim-co", Added: added},
		{Chain: chains.Bitcoin, Address: "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", Kind: watchlists.Treasury, Owner: "victim-co", Added: added},
		{Chain: chains.Ethereum, Address: "0x12D66f87A04A9E220743712cE6d9bB1B5616B8Fc", Kind: watchlists.Mixer, Label: "Tornado Cash 0.1 ETH", Protocol: "tornado", Added: added},
		{Chain: chains.Ethereum, Address: "0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146", Kind: watchlists.Bridge, Owner: "victim-co", Label: "THORChain router (their word)", Protocol: "thorchain", Untrusted: true, Added: added},
	}
	if _, err := reg.Add(ctx, entries...); err != nil {
		t.Fatal(err)
	}
	if n, err := reg.Remove(ctx, chains.Bitcoin, "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", "victim-co", ""); err != nil || n != 1 {
		t.Fatalf("remove: %d, %v", n, err)
	}
	book := watchlists.NewIncidentBook(s, nil)
	inc, err := book.Open(ctx, watchlists.Incident{
		Title: "Bybit", Chain: chains.Ethereum, Owner: "victim-co",
		Seeds:   []watchlists.Seed{{Tx: "0x46deef0f52e3a983b67abf4714448a41dd7ffd6d32d32da69d62081c68ad7882"}, {Address: "0x47666Fab8bd0Ac7003bce3f5C3585383F09486E2", FromBlock: 21895238}},
		Dust:    big.NewInt(1_000_000_000_000_000),
		MaxHops: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	closed, err := book.Open(ctx, watchlists.Incident{Chain: chains.Bitcoin, Seeds: []watchlists.Seed{{Tx: "bb41a757f405890fb0f5856228e23b715702d714d59bf2b1feb70d8b2b4e3e08"}}, Policy: watchlists.FIFO})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := book.Close(ctx, closed.ID); err != nil {
		t.Fatal(err)
	}
	want := reg.List(watchlists.Filter{})
	wantInc := book.List("*", "")
	s = reopen(t, h, s)

	reg2 := watchlists.NewRegistry(s, nil)
	if err := reg2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := reg2.List(watchlists.Filter{}); !reflect.DeepEqual(got, want) {
		t.Fatalf("entries after restart:\n%+v\nwant\n%+v", got, want)
	}
	if len(want) != 5 {
		t.Fatalf("%d entries, want 5", len(want))
	}
	if got := reg2.Lookup(chains.Ethereum, "0x28c6c06298d514db089934071355e5743bf21d60"); len(got) != 2 {
		t.Fatalf("lookup: %+v, want 2 entries", got)
	}
	book2 := watchlists.NewIncidentBook(s, nil)
	if err := book2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if gotInc := book2.List("*", ""); !reflect.DeepEqual(gotInc, wantInc) {
		t.Fatalf("incidents after restart:\n%+v\nwant\n%+v", gotInc, wantInc)
	}
	g, err := book2.Get(inc.ID)
	if err != nil || g.Dust.String() != "1000000000000000" || g.Status != watchlists.Open || g.Seeds[1].Address != "0x47666fab8bd0ac7003bce3f5c3585383f09486e2" {
		t.Fatalf("incident %s after restart: %+v, %v", inc.ID, g, err)
	}
	if c, _ := book2.Get(closed.ID); c.Status != watchlists.Closed || c.Closed == nil {
		t.Fatalf("closed incident after restart: %+v", c)
	}
}

func testIncidents(t *testing.T, h Harness) {
	s := open(t, h)
	if got, err := s.Incidents(ctx); err != nil || len(got) != 0 {
		t.Fatalf("empty store: %+v %v", got, err)
	}
	if err := s.PutIncident(ctx, watchlists.Incident{}); err == nil {
		t.Fatal("an incident without id was stored")
	}
	for _, id := range []string{"inc_03", "inc_01", "inc_02"} {
		if err := s.PutIncident(ctx, watchlists.Incident{ID: id, Title: "first " + id, Chain: chains.Ethereum}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutIncident(ctx, watchlists.Incident{ID: "inc_02", Title: "replaced", Chain: chains.Bitcoin}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, h, s)
	got, err := s.Incidents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids, titles []string
	for _, inc := range got {
		ids, titles = append(ids, inc.ID), append(titles, inc.Title)
	}
	if !reflect.DeepEqual(ids, []string{"inc_01", "inc_02", "inc_03"}) || titles[1] != "replaced" || got[1].Chain != chains.Bitcoin {
		t.Fatalf("incidents: %+v", got)
	}
}

// testTransferIndex: the tracer's transfer index (its "x/" keys, decision
// 0014) is written in tracer batches, read back by key and by range in
// key order across pages, deleted by them, kept across a reopen, and never
// handed to the engine's load (ScanTracer).
func testTransferIndex(t *testing.T, h Harness) {
	s := open(t, h)
	if _, ok := s.(*closer).Backend.(tracer.IndexStore); !ok {
		t.Skipf("%T holds no transfer index", s.(*closer).Backend)
	}
	var puts []tracer.KV
	for i := range 2500 { // more than a page
		puts = append(puts, tracer.KV{Key: fmt.Appendf(nil, "x/b/ethereum/%08d", i), Value: fmt.Appendf(nil, "block %d", i)})
	}
	puts = append(puts, tracer.KV{Key: []byte("x/m/ethereum"), Value: []byte("meta")}, tracer.KV{Key: []byte("i/inc"), Value: []byte("state")})
	if err := s.SaveTracer(ctx, puts, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTracer(ctx, nil, [][]byte{[]byte("x/b/ethereum/00000007")}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, h, s)
	x := s.(*closer).Backend.(tracer.IndexStore)
	if v, err := x.GetTracer(ctx, []byte("x/b/ethereum/00000042")); err != nil || string(v) != "block 42" {
		t.Fatalf("get: %q %v", v, err)
	}
	if v, err := x.GetTracer(ctx, []byte("x/b/ethereum/00000007")); err != nil || v != nil {
		t.Fatalf("deleted key: %q %v; want nil", v, err)
	}
	if v, err := x.GetTracer(ctx, []byte("i/inc")); err != nil || string(v) != "state" {
		t.Fatalf("state key through GetTracer: %q %v", v, err)
	}
	var got []string
	err := x.ScanTracerRange(ctx, []byte("x/b/ethereum/00000005"), []byte("x/b/ethereum/00002100"), func(k, v []byte) error {
		got = append(got, string(k))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2094 || got[0] != "x/b/ethereum/00000005" || got[2] != "x/b/ethereum/00000008" || got[len(got)-1] != "x/b/ethereum/00002099" || !sort.StringsAreSorted(got) {
		t.Fatalf("range read %d keys, first %v, last %q; want 2094 from 5 to 2099 without 7, in order", len(got), got[:3], got[len(got)-1])
	}
	n := 0
	if err := x.ScanTracerRange(ctx, []byte("x/m/"), nil, func(k, v []byte) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("open-ended range from x/m/: %d keys, %v; want the one", n, err)
	}
	// The engine's load sees the state, not the index... on a store that
	// keeps them apart; one that scans its whole keyspace shows both, and
	// the engine skips x/ keys itself.
	for _, kv := range scanTracer(t, s) {
		if kv[0] == "i/inc" {
			return
		}
	}
	t.Fatal("the tracer state key is gone")
}
