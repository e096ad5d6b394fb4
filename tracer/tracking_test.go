package tracer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// TestTracking: a late incident says it is catching up (from its seed's
// block to the head), then live; one whose catch-up cannot fetch a block
// says failed with the reason and raises incident.failed for its owner;
// one whose seed the node cannot locate is failed at once; a closed one
// says closed.
func TestTracking(t *testing.T) {
	w := worlds(11)[0]
	chain := &chainLog{}
	chain.add(ethBlock(0, ""))
	for _, b := range w.blocks {
		chain.add(b)
	}
	deps := w.deps()
	log := &findingLog{}
	deps.Sink = log
	// The node lost block 5: a catch-up through it fails there.
	holey := &chainLog{}
	for _, b := range chain.blocks {
		if b.Ref.Number != 5 {
			holey.add(b)
		}
	}
	deps.Sources = map[chains.Chain]chains.BlockSource{chains.Ethereum: holey}
	deps.Locators = map[chains.Chain]chains.TxLocator{chains.Ethereum: chain}
	e, err := tracer.New(tracer.Config{}, deps)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, b := range chain.blocks[:10] {
		connect(t, e, b)
	}
	state := func(id string) tracer.Tracking {
		s, ok := e.Summary(id)
		if !ok {
			t.Fatalf("no summary of %s", id)
		}
		return s.Tracking
	}

	// Seeded at block 1, behind the head: it fails at block 5.
	open(t, e, watchlists.Incident{ID: "inc_fail", Chain: chains.Ethereum, Owner: "acme", Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
	waitFor(t, "failure", func() bool { return state("inc_fail").State == tracer.Failed })
	tr := state("inc_fail")
	if tr.From != 1 || tr.At != 4 || !strings.Contains(tr.Reason, "no block 5") {
		t.Fatalf("failed tracking %+v; want from 1, at 4, the missing block named", tr)
	}
	log.mu.Lock()
	var failed []tracer.Finding
	for _, f := range log.raised {
		if f.Type == tracer.IncidentFailed {
			failed = append(failed, f)
		}
	}
	log.mu.Unlock()
	if len(failed) != 1 || failed[0].Incident != "inc_fail" || failed[0].Audience != tracer.AudienceIncidentOwner || failed[0].Reason != tr.Reason || failed[0].ID == "" {
		t.Fatalf("incident.failed findings %+v; want one for inc_fail's owner with the reason", failed)
	}

	// Seeded after the hole: catching up, then live.
	deps.Sources[chains.Ethereum] = chain
	open(t, e, watchlists.Incident{ID: "inc_late", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Address: "0xnobody", FromBlock: 7}}})
	if tr := state("inc_late"); tr.State != tracer.CatchingUp && tr.State != tracer.Live {
		t.Fatalf("late incident %+v; want catching_up or already live", tr)
	} else if tr.State == tracer.CatchingUp && (tr.From != 7 || tr.To != 9) {
		t.Fatalf("late incident %+v; want from 7 to 9", tr)
	}
	waitFor(t, "live", func() bool { return state("inc_late").State == tracer.Live })
	if tr := state("inc_late"); tr.At != 9 || tr.Reason != "" {
		t.Fatalf("live tracking %+v; want at the head 9", tr)
	}

	// A seed the node cannot locate: failed at once, nothing followed.
	err = e.OpenIncident(context.Background(), watchlists.Incident{ID: "inc_lost", Chain: chains.Ethereum, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: "0xnope"}}})
	if err == nil {
		t.Fatal("an incident whose seed cannot be located was opened")
	}
	if tr := state("inc_lost"); tr.State != tracer.Failed || !strings.Contains(tr.Reason, "0xnope") {
		t.Fatalf("unlocated seed: %+v; want failed naming the tx", tr)
	}

	if err := e.CloseIncident(context.Background(), "inc_late"); err != nil {
		t.Fatal(err)
	}
	if tr := state("inc_late"); tr.State != tracer.Closed {
		t.Fatalf("closed incident %+v", tr)
	}
}
