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

func TestIncidentHooksAndJSON(t *testing.T) {
	ctx := context.Background()
	book := NewIncidentBook(nil, nil)
	var opened []Incident
	var closed []string
	book.OnOpen = func(inc Incident) { opened = append(opened, inc) }
	book.OnClose = func(id string) { closed = append(closed, id) }

	inc, err := book.Open(ctx, Incident{
		Chain: chains.Ethereum, Title: "t",
		Seeds: []Seed{{Address: "0x47666Fab8bd0Ac7003bce3f5C3585383F09486E2", FromBlock: 21895238}},
		Dust:  new(big.Int).Lsh(big.NewInt(1), 70), // beyond int64: must stay exact
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(opened) != 1 || opened[0].ID != inc.ID || opened[0].Seeds[0].Address != "0x47666fab8bd0ac7003bce3f5c3585383f09486e2" || opened[0].Policy != Haircut {
		t.Fatalf("OnOpen got %+v", opened)
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
	if len(closed) != 1 || closed[0] != inc.ID {
		t.Fatalf("OnClose got %v, want once %s", closed, inc.ID)
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
