package watchlists

import (
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
)

// recorder is a Tracker that records what it is told.
type recorder struct {
	opened []Incident
	closed []string
}

func (r *recorder) Track(inc Incident) { r.opened = append(r.opened, inc) }
func (r *recorder) Untrack(id string)  { r.closed = append(r.closed, id) }

func TestTrackedIncidentsAndJSON(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	book := Tracked(NewIncidentBook(nil, nil), rec)

	inc, err := book.Open(ctx, Incident{
		Chain: chains.Ethereum, Title: "t",
		Seeds: []Seed{{Address: "0x47666Fab8bd0Ac7003bce3f5C3585383F09486E2", FromBlock: 21895238}},
		Dust:  new(big.Int).Lsh(big.NewInt(1), 70), // beyond int64: must stay exact
	})
	if err != nil {
		t.Fatal(err)
	}
	if opened := rec.opened; len(opened) != 1 || opened[0].ID != inc.ID || opened[0].Seeds[0].Address != "0x47666fab8bd0ac7003bce3f5c3585383f09486e2" || opened[0].Policy != Haircut {
		t.Fatalf("Track got %+v", opened)
	}
	b, err := json.Marshal(inc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"dust":"1180591620717411303424"`) {
		t.Fatalf("dust not a decimal string: %s", b)
	}
	var back Incident
	if err := json.Unmarshal(b, &back); err != nil || back.Dust.Cmp(inc.Dust) != 0 || back.ID != inc.ID {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	if _, err := book.Close(ctx, inc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := book.Close(ctx, inc.ID); err != nil {
		t.Fatal(err)
	}
	if closed := rec.closed; len(closed) != 1 || closed[0] != inc.ID {
		t.Fatalf("Untrack got %v, want once %s", closed, inc.ID)
	}
	if _, err := book.Close(ctx, "inc_nope"); err == nil {
		t.Fatal("closing an unknown incident succeeded")
	}
	if got := book.List("*", Closed); len(got) != 1 || got[0].Closed == nil {
		t.Fatalf("closed list %+v", got)
	}
}

func TestIncidentIDsSortByTime(t *testing.T) {
	t0 := time.Date(2025, 2, 21, 14, 13, 35, 0, time.UTC)
	prev := ""
	for i := 0; i < 50; i++ {
		id := NewIncidentID(t0.Add(time.Duration(i) * time.Millisecond))
		if len(id) != 30 || !strings.HasPrefix(id, "inc_") || id <= prev {
			t.Fatalf("id %q after %q", id, prev)
		}
		prev = id
	}
}

func TestTrackedRefresh(t *testing.T) {
	rec := &recorder{}
	book := Tracked(NewIncidentBook(nil, nil), rec)
	inc := Incident{ID: "inc_a", Status: Open, Chain: chains.Ethereum}
	book.Refresh(inc)
	book.Refresh(inc) // open and was: nothing to tell
	closed := inc
	closed.Status = Closed
	book.Refresh(closed)
	book.Refresh(closed)
	book.Refresh(Incident{ID: "inc_b", Status: Closed}) // closed and never open
	if len(rec.opened) != 1 || rec.opened[0].ID != "inc_a" || len(rec.closed) != 1 || rec.closed[0] != "inc_a" {
		t.Fatalf("tracked %+v, untracked %v; want inc_a once each", rec.opened, rec.closed)
	}
	if got, err := book.Get("inc_b"); err != nil || got.Status != Closed {
		t.Fatalf("inc_b: %+v %v", got, err)
	}
}
