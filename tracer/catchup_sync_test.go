package tracer_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// syncedSaves is a pebble store that records, once on is set, whether
// each tracer batch was written with chains.DeferSync.
type syncedSaves struct {
	*pebble.Store
	mu       sync.Mutex
	on       bool
	deferred []bool
}

func (s *syncedSaves) SaveTracer(ctx context.Context, puts []tracer.KV, dels [][]byte) error {
	s.mu.Lock()
	if s.on {
		s.deferred = append(s.deferred, chains.SyncDeferred(ctx))
	}
	s.mu.Unlock()
	return s.Store.SaveTracer(ctx, puts, dels)
}

// TestCatchUpDefersSync (decision 0021): a late incident's catch-up of
// 300 blocks writes its blocks without waiting for the disk, but for one
// a second, the block that reaches the head and the incident's joining
// the live stream, which are synced and make everything before durable;
// the state it reaches is the one of an incident open from the start.
func TestCatchUpDefersSync(t *testing.T) {
	chain := &chainLog{}
	chain.add(ethBlock(0, ""))
	chain.add(ethBlock(1, "", []xf{{"0xvictim", "0xthief", 1000, false}}))
	for n := uint64(2); n <= 300; n++ {
		chain.add(ethBlock(n, "", []xf{{"0xthief", "0xmule" + string(rune('a'+n%26)), 3, false}}, []xf{{"0xa", "0xb", 1, false}}))
	}
	inc := watchlists.Incident{ID: "inc_late", Chain: chains.Ethereum, Policy: watchlists.Haircut, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}}

	ref, _ := tracer.New(tracer.Config{}, tracer.Deps{})
	defer ref.Close()
	open(t, ref, inc)
	for _, b := range chain.blocks {
		connect(t, ref, b)
	}

	st := &syncedSaves{Store: openStore(t, t.TempDir())}
	defer st.Close()
	e, err := tracer.New(tracer.Config{CatchUpConcurrency: 4}, tracer.Deps{Store: st,
		Sources:  map[chains.Chain]chains.BlockSource{chains.Ethereum: chain},
		Locators: map[chains.Chain]chains.TxLocator{chains.Ethereum: chain}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, b := range chain.blocks {
		connect(t, e, b)
	}
	st.mu.Lock()
	st.on = true
	st.mu.Unlock()
	open(t, e, inc)
	waitFor(t, "catch-up", func() bool { s, _ := e.Summary("inc_late"); return s.CatchUp.Done || s.CatchUp.Error != "" })
	if s, _ := e.Summary("inc_late"); s.CatchUp.Error != "" {
		t.Fatal(s.CatchUp.Error)
	}
	if got, want := held(t, e, "inc_late"), held(t, ref, "inc_late"); len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("after catch-up\n got %v\nwant %v", got, want)
	}

	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.deferred
	n := 0
	for _, x := range d {
		if x {
			n++
		}
	}
	t.Logf("%d of %d deferred: %v", n, len(d), d[len(d)-5:])
	if len(d) < 300 || n < len(d)/2 {
		t.Fatalf("%d of %d tracer batches deferred their sync; want most of the catch-up's 300", n, len(d))
	}
	if d[len(d)-1] || d[len(d)-2] {
		t.Fatalf("the block that reaches the head deferred %v, the joining %v; want both synced", d[len(d)-2], d[len(d)-1])
	}
}
