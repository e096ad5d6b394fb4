package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store"
)

// record is alert seq raised from block hash at appended.
func record(seq uint64, hash string, appended time.Time) alerts.Record {
	return alerts.Record{
		Alert: alerts.Alert{
			Seq: seq, Type: alerts.TypeExchangeDeposit, Severity: alerts.Critical, Chain: string(chains.Ethereum),
			Block: &alerts.BlockRef{Number: seq, Hash: hash}, Tx: fmt.Sprintf("0x%064x", seq),
			Amount: "299000000000000000000", Tainted: "299000000000000000000", Finding: fmt.Sprintf("f%d", seq),
			Time: time.Date(2025, 2, 21, 14, 13, 35, 0, time.UTC),
		},
		Audience: []string{"exch"},
		Appended: appended.UTC(),
	}
}

// appendRecords writes records from..to (inclusive) with their indexes,
// as the raiser does: one write per record.
func appendRecords(t *testing.T, s store.Backend, from, to uint64, appended time.Time) {
	t.Helper()
	for seq := from; seq <= to; seq++ {
		r := record(seq, fmt.Sprintf("0xb%d", seq%3), appended)
		w := alerts.AlertWrite{
			Records:     []alerts.Record{r},
			Last:        seq,
			SetFindings: []alerts.FindingSeq{{ID: r.Alert.Finding, Seq: seq}},
			AddBlocks:   []alerts.BlockSeq{{Chain: chains.Ethereum, Hash: r.Alert.Block.Hash, Seq: seq}},
		}
		if err := s.WriteAlerts(ctx, w); err != nil {
			t.Fatalf("write alert %d: %v", seq, err)
		}
	}
}

func seqsOf(rs []alerts.Record) []uint64 {
	var out []uint64
	for _, r := range rs {
		out = append(out, r.Alert.Seq)
	}
	return out
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func testAlertLog(t *testing.T, h Harness) {
	s := open(t, h)
	if last, err := s.LastAlertSeq(ctx); err != nil || last != 0 {
		t.Fatalf("empty store: last %d, %v", last, err)
	}
	if rs, err := s.AlertsSince(ctx, 0, 0); err != nil || len(rs) != 0 {
		t.Fatalf("empty store: %+v %v", rs, err)
	}
	at := time.Date(2025, 2, 21, 15, 0, 0, 123456789, time.UTC)
	// Two alerts in one write, with their indexes.
	r1, r2 := record(1, "0xaa", at), record(2, "0xaa", at)
	r2.Audience = nil
	if err := s.WriteAlerts(ctx, alerts.AlertWrite{
		Records:     []alerts.Record{r1, r2},
		Last:        2,
		SetFindings: []alerts.FindingSeq{{ID: "f1", Seq: 1}, {ID: "f2", Seq: 2}},
		AddBlocks:   []alerts.BlockSeq{{Chain: chains.Ethereum, Hash: "0xaa", Seq: 2}, {Chain: chains.Ethereum, Hash: "0xaa", Seq: 1}},
	}); err != nil {
		t.Fatal(err)
	}
	// An index-only write: a retraction drops a finding and a block entry.
	if err := s.WriteAlerts(ctx, alerts.AlertWrite{DelFindings: []string{"f2", "absent"}, DelBlocks: []alerts.BlockSeq{{Chain: chains.Ethereum, Hash: "0xaa", Seq: 2}}}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, h, s)
	rs, err := s.AlertsSince(ctx, 0, 0)
	if err != nil || len(rs) != 2 {
		t.Fatalf("after reopen: %+v %v", rs, err)
	}
	if !reflect.DeepEqual(rs[0], r1) || !reflect.DeepEqual(rs[1], r2) {
		t.Fatalf("records changed on the way:\n%+v\n%+v\nwant\n%+v\n%+v", rs[0], rs[1], r1, r2)
	}
	if last, _ := s.LastAlertSeq(ctx); last != 2 {
		t.Fatalf("last %d, want 2", last)
	}
	if seq, ok, err := s.AlertFinding(ctx, "f1"); err != nil || !ok || seq != 1 {
		t.Fatalf("finding f1: %d %v %v", seq, ok, err)
	}
	if _, ok, _ := s.AlertFinding(ctx, "f2"); ok {
		t.Fatal("deleted finding f2 still indexed")
	}
	if seqs, err := s.BlockAlerts(ctx, chains.Ethereum, "0xaa"); err != nil || !reflect.DeepEqual(seqs, []uint64{1}) {
		t.Fatalf("block alerts: %v %v", seqs, err)
	}
	if seqs, _ := s.BlockAlerts(ctx, chains.Bitcoin, "0xaa"); len(seqs) != 0 {
		t.Fatalf("another chain's block has alerts %v", seqs)
	}
	// The counter can run ahead of the records (an index-only write keeps it).
	if err := s.WriteAlerts(ctx, alerts.AlertWrite{Last: 0, SetFindings: []alerts.FindingSeq{{ID: "f3", Seq: 1}}}); err != nil {
		t.Fatal(err)
	}
	if last, _ := s.LastAlertSeq(ctx); last != 2 {
		t.Fatalf("an index-only write moved the counter to %d", last)
	}
}

func testAlertPages(t *testing.T, h Harness) {
	s := open(t, h)
	const n = 2500 // beyond one Redis page (1000)
	recs := make([]alerts.Record, 0, n)
	for seq := uint64(1); seq <= n; seq++ {
		recs = append(recs, record(seq, "0xb", time.Now()))
	}
	if err := s.WriteAlerts(ctx, alerts.AlertWrite{Records: recs, Last: n}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		since    uint64
		limit    int
		from, to uint64
	}{
		{0, 0, 1, n}, {0, 10, 1, 10}, {10, 5, 11, 15}, {999, 1002, 1000, 2001},
		{n - 1, 0, n, n}, {n - 3, 10, n - 2, n}, {n, 0, 1, 0}, {n + 100, 5, 1, 0}, {^uint64(0), 0, 1, 0},
	} {
		rs, err := s.AlertsSince(ctx, c.since, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := seqsOf(rs), span(c.from, c.to); !reflect.DeepEqual(got, want) {
			t.Fatalf("AlertsSince(%d, %d): %d records %v…, want %d from %d", c.since, c.limit, len(got), got[:min(len(got), 3)], len(want), c.from)
		}
	}
	// Reading page by page with the last seq as since sees every alert once.
	var all []uint64
	for since := uint64(0); ; {
		rs, err := s.AlertsSince(ctx, since, 333)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 {
			break
		}
		all = append(all, seqsOf(rs)...)
		since = rs[len(rs)-1].Alert.Seq
	}
	if !reflect.DeepEqual(all, span(1, n)) {
		t.Fatalf("paged read: %d alerts", len(all))
	}
}

func testAlertPrune(t *testing.T, h Harness) {
	s := open(t, h)
	appendRecords(t, s, 1, 20, time.Now())
	// A retraction of alert 4 keeps a record of its own: its finding's
	// index moved on to the retraction's seq 21 and must survive.
	retract := record(21, "0xb1", time.Now())
	retract.Alert.Type, retract.Alert.Finding = alerts.TypeRetracted, "f4"
	if err := s.WriteAlerts(ctx, alerts.AlertWrite{Records: []alerts.Record{retract}, Last: 21, SetFindings: []alerts.FindingSeq{{ID: "f4", Seq: 21}}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneAlerts(ctx, 0); err != nil || n != 0 {
		t.Fatalf("prune through 0: %d %v", n, err)
	}
	n, err := s.PruneAlerts(ctx, 10)
	if err != nil || n != 10 {
		t.Fatalf("prune through 10: %d records, %v; want 10", n, err)
	}
	s = reopen(t, h, s)
	rs, _ := s.AlertsSince(ctx, 0, 0)
	if got := seqsOf(rs); !reflect.DeepEqual(got, span(11, 21)) {
		t.Fatalf("after prune: %v", got)
	}
	if last, _ := s.LastAlertSeq(ctx); last != 21 {
		t.Fatalf("prune moved the counter to %d", last)
	}
	for seq := uint64(1); seq <= 20; seq++ {
		_, ok, err := s.AlertFinding(ctx, fmt.Sprintf("f%d", seq))
		if err != nil {
			t.Fatal(err)
		}
		if want := seq > 10 || seq == 4; ok != want {
			t.Fatalf("finding f%d indexed %v after prune through 10, want %v", seq, ok, want)
		}
	}
	for _, hash := range []string{"0xb0", "0xb1", "0xb2"} {
		seqs, _ := s.BlockAlerts(ctx, chains.Ethereum, hash)
		for _, seq := range seqs {
			if seq <= 10 {
				t.Fatalf("block %s still lists pruned alert %d", hash, seq)
			}
		}
		if len(seqs) == 0 {
			t.Fatalf("block %s lost its unpruned alerts", hash)
		}
	}
	// Pruning again, and past the end.
	if n, err := s.PruneAlerts(ctx, 10); err != nil || n != 0 {
		t.Fatalf("prune through 10 again: %d %v", n, err)
	}
	if n, err := s.PruneAlerts(ctx, 1000); err != nil || n != 11 {
		t.Fatalf("prune everything: %d %v", n, err)
	}
	if rs, _ := s.AlertsSince(ctx, 0, 0); len(rs) != 0 {
		t.Fatalf("%d records after pruning all", len(rs))
	}
	// The next alert follows the counter.
	appendRecords(t, s, 22, 22, time.Now())
	if rs, _ := s.AlertsSince(ctx, 0, 0); !reflect.DeepEqual(seqsOf(rs), []uint64{22}) {
		t.Fatalf("after pruning all and one more: %v", seqsOf(rs))
	}
}

// testAlertRetention: the log's retention by count and by age, on the
// store.
func testAlertRetention(t *testing.T, h Harness) {
	s := open(t, h)
	now := time.Now()
	appendRecords(t, s, 1, 10, now.Add(-3*time.Hour))
	appendRecords(t, s, 11, 20, now.Add(-time.Hour))
	appendRecords(t, s, 21, 30, now)
	for _, c := range []struct {
		ret   alerts.Retention
		first uint64
	}{
		{alerts.Retention{}, 1},
		{alerts.Retention{MaxAge: 2 * time.Hour}, 11},
		{alerts.Retention{MaxCount: 15}, 16},
		{alerts.Retention{MaxCount: 25, MaxAge: 30 * time.Minute}, 21},
	} {
		l, err := alerts.OpenLog(ctx, s, c.ret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		as, err := l.Since(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) == 0 || as[0].Seq != c.first || as[len(as)-1].Seq != 30 {
			t.Fatalf("retention %+v kept %d alerts from %v, want %d..30", c.ret, len(as), as[:min(1, len(as))], c.first)
		}
	}
	l, err := alerts.OpenLog(ctx, s, alerts.Retention{})
	if err != nil || l.Last() != 30 {
		t.Fatalf("log reopened after retention: last %d %v", l.Last(), err)
	}
}

func testAPIKeys(t *testing.T, h Harness) {
	s := open(t, h)
	if ks, err := s.Keys(ctx); err != nil || len(ks) != 0 {
		t.Fatalf("empty store: %+v %v", ks, err)
	}
	now := time.Date(2025, 2, 21, 14, 0, 0, 0, time.UTC)
	secret, k, err := apikey.New(apikey.RoleExchange, "binance", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKey(ctx, k); !errors.Is(err, apikey.ErrConflict) {
		t.Fatalf("second create: %v, want ErrConflict", err)
	}
	sameHash := k
	sameHash.ID = "key_other"
	if err := s.CreateKey(ctx, sameHash); !errors.Is(err, apikey.ErrConflict) {
		t.Fatalf("create with a taken hash: %v, want ErrConflict", err)
	}
	if err := s.CreateKey(ctx, apikey.Key{ID: "key_nohash"}); err == nil {
		t.Fatal("a key without hash was stored")
	}
	// Created earlier, listed first.
	_, k2, _ := apikey.New(apikey.RoleAdmin, "ops", now.Add(-time.Second))
	if err := s.CreateKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, h, s)
	got, ok, err := s.KeyByHash(ctx, apikey.Hash(secret))
	if err != nil || !ok || got.ID != k.ID || got.Role != apikey.RoleExchange || got.Tenant != "binance" || !got.Active() || got.Hash != k.Hash {
		t.Fatalf("KeyByHash after reopen: %+v ok=%v err=%v", got, ok, err)
	}
	if _, ok, _ := s.KeyByHash(ctx, apikey.Hash(secret+"x")); ok {
		t.Fatal("a wrong secret found a key")
	}
	all, err := s.Keys(ctx)
	if err != nil || len(all) != 2 || all[0].ID != k2.ID || all[1].ID != k.ID {
		t.Fatalf("Keys: %+v %v", all, err)
	}
	rt := now.Add(time.Hour)
	r, err := s.RevokeKey(ctx, k.ID, rt)
	if err != nil || r.Revoked == nil || !r.Revoked.Equal(rt) {
		t.Fatalf("revoke: %+v %v", r, err)
	}
	r, err = s.RevokeKey(ctx, k.ID, rt.Add(time.Hour))
	if err != nil || !r.Revoked.Equal(rt) {
		t.Fatalf("second revoke changed the time: %+v %v", r, err)
	}
	s = reopen(t, h, s)
	got, _, _ = s.KeyByHash(ctx, apikey.Hash(secret))
	if got.Active() || !got.Revoked.Equal(rt) {
		t.Fatalf("revoked key after reopen: %+v", got)
	}
	if _, err := s.RevokeKey(ctx, "key_absent", rt); !errors.Is(err, apikey.ErrNotFound) {
		t.Fatalf("revoke absent: %v", err)
	}
}

func testWebhooks(t *testing.T, h Harness) {
	s := open(t, h)
	created := time.Date(2025, 2, 21, 14, 0, 0, 0, time.UTC)
	for _, tenant := range []string{"zeta", "acme", "mid"} {
		if err := s.PutWebhook(ctx, alerts.Webhook{Tenant: tenant, Key: "key_" + tenant, URL: "https://hooks.example/" + tenant, Secret: "0123456789abcdef", Created: created}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutWebhook(ctx, alerts.Webhook{Tenant: "mid", URL: "https://hooks.example/mid2", Secret: "0123456789abcdef", All: true, Created: created}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, "zeta"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, "absent"); err != nil {
		t.Fatalf("delete an absent webhook: %v", err)
	}
	s = reopen(t, h, s)
	ws, err := s.ListWebhooks(ctx)
	if err != nil || len(ws) != 2 || ws[0].Tenant != "acme" || ws[1].Tenant != "mid" || ws[1].URL != "https://hooks.example/mid2" || !ws[1].All || !ws[0].Created.Equal(created) {
		t.Fatalf("webhooks: %+v %v", ws, err)
	}
	w, ok, err := s.GetWebhook(ctx, "acme")
	if err != nil || !ok || w.Key != "key_acme" || w.Secret != "0123456789abcdef" {
		t.Fatalf("get acme: %+v %v %v", w, ok, err)
	}
	if _, ok, _ := s.GetWebhook(ctx, "zeta"); ok {
		t.Fatal("deleted webhook found")
	}
}

func testDeliveryQueue(t *testing.T, h Harness) {
	s := open(t, h)
	if c, err := s.DeliveryCursor(ctx); err != nil || c != 0 {
		t.Fatalf("empty cursor: %d %v", c, err)
	}
	at := time.Date(2025, 2, 21, 14, 0, 0, 0, time.UTC)
	d := func(seq uint64, tenant string) alerts.Delivery {
		return alerts.Delivery{Seq: seq, Tenant: tenant, Body: []byte(fmt.Sprintf(`{"seq":%d}`, seq)), Created: at, Next: at}
	}
	// Seq 10 after seq 9 and 2: ordered by number, then by tenant.
	if err := s.EnqueueDeliveries(ctx, []alerts.Delivery{d(10, "acme"), d(2, "zeta"), d(2, "acme")}, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.EnqueueDeliveries(ctx, []alerts.Delivery{d(9, "acme")}, 12); err != nil {
		t.Fatal(err)
	}
	// Nothing to queue still moves the cursor.
	if err := s.EnqueueDeliveries(ctx, nil, 14); err != nil {
		t.Fatal(err)
	}
	failed := d(2, "zeta")
	failed.Attempts, failed.LastError, failed.Next = 1, "503", at.Add(time.Minute)
	if err := s.UpdateDelivery(ctx, failed); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, h, s)
	if c, _ := s.DeliveryCursor(ctx); c != 14 {
		t.Fatalf("cursor %d, want 14", c)
	}
	q, err := s.PendingDeliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, x := range q {
		order = append(order, fmt.Sprintf("%d/%s", x.Seq, x.Tenant))
	}
	if !reflect.DeepEqual(order, []string{"2/acme", "2/zeta", "9/acme", "10/acme"}) {
		t.Fatalf("queue order %v", order)
	}
	if q[1].Attempts != 1 || q[1].LastError != "503" || !q[1].Next.Equal(at.Add(time.Minute)) || string(q[1].Body) != `{"seq":2}` {
		t.Fatalf("updated delivery: %+v", q[1])
	}
	// Delivered: gone; dead: gone from the queue, kept as a dead letter.
	if err := s.FinishDelivery(ctx, q[0], false); err != nil {
		t.Fatal(err)
	}
	for _, x := range q[1:] {
		x.Dead = at.Add(time.Hour)
		if err := s.FinishDelivery(ctx, x, true); err != nil {
			t.Fatal(err)
		}
	}
	s = reopen(t, h, s)
	if q, _ := s.PendingDeliveries(ctx); len(q) != 0 {
		t.Fatalf("queue after finishing all: %+v", q)
	}
	dead, err := s.DeadLetters(ctx, 0)
	if err != nil || len(dead) != 3 || dead[0].Tenant != "zeta" || dead[2].Seq != 10 || !dead[0].Dead.Equal(at.Add(time.Hour)) {
		t.Fatalf("dead letters: %+v %v", dead, err)
	}
	if dead, _ := s.DeadLetters(ctx, 2); len(dead) != 2 || dead[1].Seq != 9 {
		t.Fatalf("dead letters limit 2: %+v", dead)
	}
}

// testAlertSeqShared: two logs on one shared store append at once; the
// store assigns the seqs, so they are strictly increasing and dense, and
// every alert is stored once, under the seq its Append returned.
func testAlertSeqShared(t *testing.T, h Harness) {
	if h.Another == nil {
		t.Skip("one process holds this backend")
	}
	s1 := open(t, h)
	s2, err := h.Another(t)
	if err != nil {
		t.Fatalf("open a second store on the location: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	const perLog = 150
	type got struct {
		seq uint64
		tx  string
	}
	results := make([][]got, 2)
	errs := make(chan error, 2)
	// Each log's subscriber sees every alert of both, in seq order, when
	// the store can be followed (alerts.Tail).
	var subs [2]*alerts.Subscription
	var logs [2]*alerts.Log
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	for i, s := range []store.Backend{s1, s2} {
		l, err := alerts.OpenLog(ctx, s, alerts.Retention{})
		if err != nil {
			t.Fatal(err)
		}
		logs[i] = l
		if tail, ok := s.(alerts.Tail); ok {
			subs[i] = l.Subscribe(4 * perLog)
			go l.FollowTail(fctx, tail, nil)
		}
	}
	for i := range logs {
		l := logs[i]
		go func() {
			for n := 0; n < perLog; {
				batch := 1 + n%3
				var as []alerts.Alert
				for k := 0; k < batch && n < perLog; k++ {
					as = append(as, alerts.Alert{Type: alerts.TypeExchangeDeposit, Severity: alerts.Critical,
						Chain: string(chains.Ethereum), Tx: fmt.Sprintf("log%d-%d", i, n)})
					n++
				}
				out, err := l.Append(ctx, as)
				if err != nil {
					errs <- fmt.Errorf("log %d: %w", i, err)
					return
				}
				for _, a := range out {
					results[i] = append(results[i], got{a.Seq, a.Tx})
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	recs, err := s1.AlertsSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2*perLog {
		t.Fatalf("stored %d alerts, want %d", len(recs), 2*perLog)
	}
	bySeq := map[uint64]string{}
	seen := map[string]bool{}
	for i, r := range recs {
		if r.Alert.Seq != uint64(i+1) {
			t.Fatalf("stored alert %d has seq %d: seqs not dense and increasing", i, r.Alert.Seq)
		}
		if seen[r.Alert.Tx] {
			t.Fatalf("alert %s stored twice", r.Alert.Tx)
		}
		seen[r.Alert.Tx] = true
		bySeq[r.Alert.Seq] = r.Alert.Tx
	}
	for i, rs := range results {
		for _, g := range rs {
			if bySeq[g.seq] != g.tx {
				t.Fatalf("log %d: Append returned seq %d for %s, the store holds %q there", i, g.seq, g.tx, bySeq[g.seq])
			}
		}
	}
	if last, err := s2.LastAlertSeq(ctx); err != nil || last != 2*perLog {
		t.Fatalf("sequence counter %d (%v), want %d", last, err, 2*perLog)
	}
	for i, sub := range subs {
		if sub == nil {
			continue
		}
		timeout := time.After(10 * time.Second)
		for want := uint64(1); want <= 2*perLog; want++ {
			select {
			case a, ok := <-sub.C:
				if !ok {
					t.Fatalf("log %d: subscription dropped at %d", i, want)
				}
				if a.Seq != want || a.Tx != bySeq[want] {
					t.Fatalf("log %d: subscriber got seq %d (%s), want %d (%s)", i, a.Seq, a.Tx, want, bySeq[want])
				}
			case <-timeout:
				t.Fatalf("log %d: subscriber waited for seq %d", i, want)
			}
		}
		if logs[i].Last() != 2*perLog {
			t.Fatalf("log %d: Last %d, want %d", i, logs[i].Last(), 2*perLog)
		}
	}
}
