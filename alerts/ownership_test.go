package alerts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/chainstest"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// The ownership property (docs/architecture.md "Trust between tenants", issue 13):
// whatever entries other tenants add at the same addresses — any owner,
// any kind, in any order, with restarts in between that load the entries
// in the store's key order — the alerts every other tenant receives and
// the taint of every other tenant's incident stay exactly what they are
// without them, and those tenants receive only alerts about their own
// entries and incidents. It runs the real engine, registry, incident book
// and raiser over a real pebble store.

var quiet = slog.New(slog.DiscardHandler)

func ownAddr(i int) string { return fmt.Sprintf("0x%040x", 0xa000+i) }

// The addresses of the scenario.
var (
	ownV  = ownAddr(1)  // acme's treasury, drained by the theft
	ownT2 = ownAddr(2)  // acme's second treasury, drained later
	ownH  = ownAddr(3)  // the thief
	ownX  = ownAddr(4)  // exch's deposit address
	ownS  = ownAddr(5)  // sanctioned
	ownM  = ownAddr(6)  // a mixer
	ownY  = ownAddr(7)  // unlabelled
	ownA1 = ownAddr(11) // hops
	ownA2 = ownAddr(12)
	ownA3 = ownAddr(13)
	ownA4 = ownAddr(14)
	ownA5 = ownAddr(15)
	ownA6 = ownAddr(16)
)

// baseTenants own the trusted entries and the incident; intruders add
// their own entries. Intruders' names sort on both sides of theirs.
var (
	baseTenants = []string{"acme", "exch"}
	intruders   = []string{"aaaco", "aaax", "mallory", "zz"}
)

type ownXf struct {
	from, to string
	amt      int64
}

// ownBlocks is the scenario: a theft from acme's treasury split over hops
// into an exchange deposit, a sanctioned address and a mixer, then a drain
// of acme's second treasury whose automatic incident reaches the exchange.
func ownBlocks() []*chains.Block {
	spec := [][]ownXf{
		1: {{ownV, ownH, 1000}, {ownV, ownT2, 50}},
		2: {{ownH, ownA1, 400}, {ownH, ownA2, 300}, {ownH, ownY, 200}},
		3: {{ownA1, ownX, 150}, {ownA1, ownS, 100}, {ownA2, ownM, 100}, {ownA2, ownA3, 200}},
		4: {{ownA3, ownX, 100}, {ownY, ownA4, 150}, {ownS, ownA5, 50}},
		5: {{ownT2, ownA6, 3000}},
		6: {{ownA6, ownX, 1000}, {ownA6, ownY, 500}, {ownA4, ownX, 100}},
		7: {{ownY, ownX, 300}, {ownA5, ownS, 20}},
	}
	var out []*chains.Block
	for n := 1; n < len(spec); n++ {
		b := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{
			Number: uint64(n), Hash: fmt.Sprintf("0x%064x", 0xb000+n), Parent: fmt.Sprintf("0x%064x", 0xb000+n-1),
			Time: time.Unix(int64(1_700_000_000+n*12), 0).UTC(),
		}}
		for i, t := range spec[n] {
			tx := chains.Tx{Hash: fmt.Sprintf("0x%064x", 0xc000+n*100+i), Index: i, From: t.from}
			tx.Transfers = []chains.Transfer{{Kind: chains.Native, TxIndex: i, LogIndex: -1, From: t.from, To: t.to, Asset: chains.ETH, Amount: big.NewInt(t.amt)}}
			b.Txs = append(b.Txs, tx)
		}
		out = append(out, b)
	}
	return out
}

// ownWorld is the daemon's state-bearing parts over one data directory.
type ownWorld struct {
	st     *pebble.Store
	reg    *watchlists.Registry
	book   *watchlists.IncidentBook
	log    *alerts.Log
	engine *tracer.Engine
}

func openOwnWorld(t *testing.T, dir string, blocks []*chains.Block) *ownWorld {
	t.Helper()
	ctx := context.Background()
	w := &ownWorld{st: openStore(t, dir)}
	w.reg = watchlists.NewRegistry(w.st, nil)
	if err := w.reg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	w.book = watchlists.NewIncidentBook(w.st, nil)
	if err := w.book.Load(ctx); err != nil {
		t.Fatal(err)
	}
	w.log = openLog(t, w.st, alerts.Retention{})
	raiser, err := alerts.NewRaiser(w.log, w.st, alerts.RaiserConfig{
		IncidentOwner: func(_ context.Context, id string) (string, error) {
			inc, err := w.book.Get(id)
			if err != nil {
				return "", nil
			}
			return inc.Owner, nil
		},
		Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.engine, err = tracer.New(tracer.Config{
		Dust:  map[chains.Chain]*big.Int{chains.Ethereum: big.NewInt(1)},
		Drain: tracer.DrainConfig{MinAmount: map[chains.Chain]*big.Int{chains.Ethereum: big.NewInt(500)}, AutoIncident: true},
	}, tracer.Deps{Store: w.st, Labels: w.reg, Sink: raiser, Incidents: w.book, Balances: &chainstest.Ledger{Opening: map[string]int64{ownV: 10_000, ownT2: 5_000}, Blocks: blocks}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.engine.Load(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *ownWorld) close(t *testing.T) {
	w.engine.Close()
	closeStore(t, w.st)
}

// ownEntry is an entry added before block `at` (0: before the first).
type ownEntry struct {
	at int
	e  watchlists.Entry
}

// ownRun plays the scenario with the base entries, then extra, restarting
// after each block in restarts. It returns each tenant's alerts (as
// comparable lines, sorted) and the JSON summary of each incident
// by owner.
func ownRun(t *testing.T, extra []ownEntry, restarts map[int]bool) (map[string][]string, map[string]map[string]string, *ownWorld) {
	t.Helper()
	ctx := context.Background()
	blocks := ownBlocks()
	dir := t.TempDir()
	w := openOwnWorld(t, dir, blocks)
	trusted := func(addr string, kind watchlists.Kind, owner, label string) watchlists.Entry {
		return watchlists.Entry{Chain: chains.Ethereum, Address: addr, Kind: kind, Owner: owner, Label: label, Source: "test"}
	}
	if _, err := w.reg.Add(ctx,
		trusted(ownV, watchlists.Treasury, "acme", "acme hot"),
		trusted(ownT2, watchlists.Treasury, "acme", "acme cold"),
		trusted(ownX, watchlists.Exchange, "exch", "exch deposit 1"),
		trusted(ownS, watchlists.Sanctioned, "", "OFAC: somebody"),
		trusted(ownM, watchlists.Mixer, "", "a mixer"),
	); err != nil {
		t.Fatal(err)
	}
	victim := watchlists.Incident{ID: "inc_victim", Title: "acme hot drained", Owner: "acme", Chain: chains.Ethereum,
		Seeds: []watchlists.Seed{{Tx: blocks[0].Txs[0].Hash}}, Policy: watchlists.Haircut, Status: watchlists.Open, Opened: blocks[0].Ref.Time}
	if err := w.book.SaveIncident(ctx, victim); err != nil {
		t.Fatal(err)
	}
	if err := w.engine.OpenIncident(ctx, victim); err != nil {
		t.Fatal(err)
	}
	for i, b := range blocks {
		for _, x := range extra {
			if x.at == i {
				if _, err := w.reg.Add(ctx, x.e); err != nil {
					t.Fatalf("add %+v: %v", x.e, err)
				}
			}
		}
		if err := w.engine.Handle(ctx, chains.Event{Type: chains.Connected, Chain: b.Chain, Block: b, Ref: b.Ref}); err != nil {
			t.Fatal(err)
		}
		if restarts[i] {
			w.close(t)
			w = openOwnWorld(t, dir, blocks)
		}
	}
	as, err := w.log.Since(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string][]string{}
	for _, a := range as {
		line := fmt.Sprintf("%s tx=%s to=%s incident=%s amount=%s tainted=%s hops=%d", a.Type, a.Tx[len(a.Tx)-4:], a.To, a.Incident, a.Amount, a.Tainted, a.Hops)
		if a.Label != nil {
			line += fmt.Sprintf(" label=%s/%s/%s", a.Label.Kind, a.Label.Owner, a.Label.Name)
		}
		for _, h := range a.Path {
			line += " <" + h.Tx[len(h.Tx)-4:] + ":" + h.Amount
		}
		for _, tenant := range a.Audience {
			seen[tenant] = append(seen[tenant], line)
		}
	}
	// Within a block, the incidents' findings come in the order the
	// engine holds its incidents, which a restart may change: compare
	// what each tenant receives as a set.
	for _, lines := range seen {
		slices.Sort(lines)
	}
	taint := map[string]map[string]string{}
	for _, inc := range w.book.List("*", "") {
		s, ok := w.engine.Summary(inc.ID)
		if !ok {
			t.Fatalf("incident %s of %s: no summary", inc.ID, inc.Owner)
		}
		b, _ := json.Marshal(s)
		if taint[inc.Owner] == nil {
			taint[inc.Owner] = map[string]string{}
		}
		taint[inc.Owner][inc.ID] = string(b)
	}
	return seen, taint, w
}

func TestOwnershipOtherTenantsEntriesChangeNothing(t *testing.T) {
	base, baseTaint, w := ownRun(t, nil, nil)
	// The scenario must exercise what the property protects.
	for tenant, want := range map[string][]string{
		"acme": {"treasury.outflow", "treasury.drain", "taint.exchange_deposit", "taint.sanctioned", "taint.mixer_deposit"},
		"exch": {"taint.exchange_deposit"},
	} {
		for _, typ := range want {
			if !slices.ContainsFunc(base[tenant], func(l string) bool { return strings.HasPrefix(l, typ+" ") }) {
				t.Fatalf("baseline: %s gets no %s:\n%s", tenant, typ, strings.Join(base[tenant], "\n"))
			}
		}
	}
	if n := len(baseTaint["acme"]); n != 3 {
		t.Fatalf("baseline: acme has %d incidents, want the declared one and the automatic ones of both drains", n)
	}
	if inc, err := w.book.Get("inc_victim"); err != nil || inc.Private {
		t.Fatalf("victim incident: %+v, %v", inc, err)
	}

	addrs := []string{ownV, ownT2, ownH, ownX, ownS, ownM, ownY, ownA1, ownA3, ownA6}
	r := rand.New(rand.NewSource(13))
	trials := 40
	if testing.Short() {
		trials = 8
	}
	for trial := range trials {
		var extra []ownEntry
		for range 2 + r.Intn(10) {
			extra = append(extra, ownEntry{at: r.Intn(len(ownBlocks())), e: watchlists.Entry{
				Chain: chains.Ethereum, Address: addrs[r.Intn(len(addrs))],
				Kind: watchlists.Kinds[r.Intn(len(watchlists.Kinds))], Owner: intruders[r.Intn(len(intruders))],
				Label: fmt.Sprintf("claim %d", trial), Source: "api:k_test", Untrusted: true,
			}})
		}
		restarts := map[int]bool{}
		for i := range ownBlocks() {
			restarts[i] = r.Intn(3) == 0
		}
		got, taint, _ := ownRun(t, extra, restarts)
		for _, tenant := range baseTenants {
			if !slices.Equal(got[tenant], base[tenant]) {
				t.Fatalf("trial %d: %s's alerts changed by %+v (restarts %v):\ngot\n%s\nwant\n%s", trial, tenant, extra, restarts,
					strings.Join(got[tenant], "\n"), strings.Join(base[tenant], "\n"))
			}
			if fmt.Sprint(taint[tenant]) != fmt.Sprint(baseTaint[tenant]) {
				t.Fatalf("trial %d: the taint of %s's incidents changed by %+v:\ngot  %v\nwant %v", trial, tenant, extra, taint[tenant], baseTaint[tenant])
			}
		}
		// An intruder hears only of its own entries and incidents.
		for _, tenant := range intruders {
			for _, line := range got[tenant] {
				own := strings.Contains(line, "/"+tenant+"/")
				for id := range taint[tenant] {
					own = own || strings.Contains(line, "incident="+id+" ")
				}
				if !own {
					t.Fatalf("trial %d: %s was told of something not its own: %s", trial, tenant, line)
				}
			}
		}
	}
}
