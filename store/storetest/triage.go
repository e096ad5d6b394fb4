package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
)

// testTriage: a tenant's triage of an alert is kept with its history and
// comments, across a reopen; tenants do not see each other's; an error
// from the update stores nothing; concurrent updates (from two store
// handles when the backend is shared) lose none.
func testTriage(t *testing.T, h Harness) {
	s := open(t, h)
	t0 := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	ack, ana := alerts.StatusAcknowledged, "ana"

	tr, err := s.UpdateTriage(ctx, "binance", 7, func(tr *alerts.Triage) error {
		if tr.Status != alerts.StatusNew || len(tr.History) != 0 {
			return fmt.Errorf("fresh triage %+v, want new and no history", *tr)
		}
		_, err := tr.Set(&ack, &ana, "key_1", t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status != ack || tr.Assignee != ana || len(tr.History) != 2 {
		t.Fatalf("after set: %+v", tr)
	}
	// An error from fn stores nothing.
	boom := errors.New("boom")
	if _, err := s.UpdateTriage(ctx, "binance", 7, func(tr *alerts.Triage) error {
		res := alerts.StatusResolved
		tr.Set(&res, nil, "key_1", t0)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("update with a failing fn: %v, want %v", err, boom)
	}
	if _, err := s.UpdateTriage(ctx, "binance", 7, func(tr *alerts.Triage) error {
		return tr.AddComment(alerts.Comment{Time: t0.Add(time.Second), By: "key_2", Text: "frozen 10 ETH"})
	}); err != nil {
		t.Fatal(err)
	}

	s = reopen(t, h, s)
	got, err := s.Triages(ctx, "binance", []uint64{6, 7, 8})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("triages of 6, 7, 8: %d, want only 7's", len(got))
	}
	g := got[7]
	if g.Seq != 7 || g.Tenant != "binance" || g.Status != ack || g.Assignee != ana {
		t.Fatalf("stored triage %+v", g)
	}
	want := []alerts.TriageChange{
		{Time: t0, By: "key_1", Field: "status", From: "new", To: ack},
		{Time: t0, By: "key_1", Field: "assignee", From: "", To: ana},
	}
	if len(g.History) != 2 || !g.History[0].Time.Equal(t0) || g.History[0].Field != want[0].Field || g.History[0].From != "new" || g.History[0].To != ack ||
		g.History[1].Field != "assignee" || g.History[1].To != ana || g.History[1].By != "key_1" {
		t.Fatalf("history %+v, want %+v", g.History, want)
	}
	if len(g.Comments) != 1 || g.Comments[0].Text != "frozen 10 ETH" || g.Comments[0].By != "key_2" {
		t.Fatalf("comments %+v", g.Comments)
	}
	// Another tenant's triage of the same alert is its own.
	if other, err := s.Triages(ctx, "kraken", []uint64{7}); err != nil || len(other) != 0 {
		t.Fatalf("kraken's triage of 7: %v %v, want none", other, err)
	}

	// Concurrent comments: none lost.
	other := s
	if h.Another != nil {
		o, err := h.Another(t)
		if err != nil {
			t.Fatalf("open another: %v", err)
		}
		t.Cleanup(func() { o.Close() })
		other = o
	}
	const n = 16
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		st := s
		if i%2 == 1 {
			st = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.UpdateTriage(ctx, "kraken", 9, func(tr *alerts.Triage) error {
				return tr.AddComment(alerts.Comment{Time: t0, By: "key_3", Text: fmt.Sprint("note ", i)})
			})
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err = other.Triages(ctx, "kraken", []uint64{9})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[9].Comments) != n {
		t.Fatalf("%d comments after %d concurrent updates", len(got[9].Comments), n)
	}
}
