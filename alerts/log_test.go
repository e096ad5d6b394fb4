package alerts_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/alerts/alertstest"
)

var (
	openStore  = alertstest.OpenStore
	closeStore = alertstest.CloseStore
	openLog    = alertstest.OpenLog
	sample     = alertstest.Sample
	samples    = alertstest.Samples
)

func TestSeqIncreasesAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	l := openLog(t, st, alerts.Retention{})
	got, err := l.Append(ctx, samples(0, 3))
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range got {
		if a.Seq != uint64(i+1) {
			t.Fatalf("alert %d: seq %d, want %d", i, a.Seq, i+1)
		}
	}
	if l.Last() != 3 {
		t.Fatalf("Last = %d, want 3", l.Last())
	}
	closeStore(t, st)

	st = openStore(t, dir)
	l = openLog(t, st, alerts.Retention{})
	if l.Last() != 3 {
		t.Fatalf("after reopen Last = %d, want 3", l.Last())
	}
	got, err = l.Append(ctx, samples(3, 2))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Seq != 4 || got[1].Seq != 5 {
		t.Fatalf("after reopen seqs %d,%d, want 4,5", got[0].Seq, got[1].Seq)
	}
	all, err := l.Since(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Fatalf("stored %d alerts, want 5", len(all))
	}
	for i, a := range all {
		if a.Seq != uint64(i+1) {
			t.Fatalf("stored alert %d has seq %d", i, a.Seq)
		}
		want := sample(i)
		if a.Tx != want.Tx || strings.Join(a.Audience, ",") != strings.Join(want.Audience, ",") {
			t.Fatalf("stored alert %d = %+v (audience %v), want tx %s audience %v", i, a, a.Audience, want.Tx, want.Audience)
		}
	}
}

func TestAppendRefusesBadAlertAndStoresNothing(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, openStore(t, t.TempDir()), alerts.Retention{})
	cases := map[string]func(a *alerts.Alert){
		"unknown type":     func(a *alerts.Alert) { a.Type = "taint.nope" },
		"unknown severity": func(a *alerts.Alert) { a.Severity = "urgent" },
		"no chain":         func(a *alerts.Alert) { a.Chain = "" },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			batch := samples(0, 3)
			spoil(&batch[1])
			if _, err := l.Append(ctx, batch); err == nil || !strings.Contains(err.Error(), "alert 1 of 3") {
				t.Fatalf("got %v, want an error naming alert 1 of 3", err)
			}
			if l.Last() != 0 {
				t.Fatalf("Last = %d after a refused append", l.Last())
			}
			if got, _ := l.Since(ctx, 0, 0); len(got) != 0 {
				t.Fatalf("%d alerts stored after a refused append", len(got))
			}
		})
	}
}

func TestSincePages(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, openStore(t, t.TempDir()), alerts.Retention{})
	for i := 0; i < 10; i++ { // 10 appends of 7
		if _, err := l.Append(ctx, samples(i*7, 7)); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string]struct {
		since   uint64
		limit   int
		wantN   int
		wantSeq uint64 // first seq
	}{
		"from start":     {0, 10, 10, 1},
		"middle":         {33, 5, 5, 34},
		"short last":     {66, 10, 4, 67},
		"at end":         {70, 10, 0, 0},
		"past end":       {1000, 10, 0, 0},
		"no limit":       {0, 0, 70, 1},
		"limit too high": {60, 1 << 30, 10, 61},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := l.Since(ctx, c.since, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.wantN {
				t.Fatalf("got %d alerts, want %d", len(got), c.wantN)
			}
			for i, a := range got {
				if a.Seq != c.wantSeq+uint64(i) {
					t.Fatalf("alert %d has seq %d, want %d", i, a.Seq, c.wantSeq+uint64(i))
				}
			}
		})
	}
	// Paging to the end visits every seq exactly once.
	var last uint64
	n := 0
	for {
		page, err := l.Since(ctx, last, 9)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, a := range page {
			if a.Seq != last+1 {
				t.Fatalf("paging: seq %d after %d", a.Seq, last)
			}
			last = a.Seq
			n++
		}
	}
	if n != 70 {
		t.Fatalf("paging visited %d alerts, want 70", n)
	}
}

func TestSlowSubscriberDroppedFastOneGetsAll(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, openStore(t, t.TempDir()), alerts.Retention{})
	slow := l.Subscribe(4)  // never read
	fast := l.Subscribe(64) // read as fast as it comes
	const total = 200
	var got []uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for a := range fast.C {
			got = append(got, a.Seq)
			if len(got) == total {
				return
			}
		}
	}()
	for i := 0; i < total; i++ {
		if _, err := l.Append(ctx, samples(i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if !slow.Dropped() {
		t.Fatal("the subscriber that never reads was not dropped")
	}
	n := 0
	for range slow.C { // closed after its buffer
		n++
	}
	if n != 4 {
		t.Fatalf("dropped subscriber had %d buffered alerts, want its buffer of 4", n)
	}
	if fast.Dropped() {
		t.Fatal("the fast subscriber was dropped")
	}
	if len(got) != total {
		t.Fatalf("fast subscriber got %d alerts, want %d", len(got), total)
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("fast subscriber: alert %d has seq %d", i, s)
		}
	}
	if l.Subscribers() != 1 {
		t.Fatalf("%d subscribers, want 1 (the fast one)", l.Subscribers())
	}
	fast.Close()
	fast.Close() // twice is fine
	if l.Subscribers() != 0 {
		t.Fatalf("%d subscribers after close", l.Subscribers())
	}
}
