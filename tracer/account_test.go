package tracer_test

import (
	"math/big"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

var policies = []watchlists.Policy{watchlists.Haircut, watchlists.FIFO, watchlists.Poison}

func newTestEngine(t testing.TB, labels labelMap, bal balanceMap, pre prevoutMap) (*tracer.Engine, *findingLog) {
	t.Helper()
	log := &findingLog{}
	deps := tracer.Deps{Labels: labels, Sink: log}
	if bal != nil {
		deps.Balances = bal
	}
	if pre != nil {
		deps.Prevouts = pre
	}
	e, err := tracer.New(tracer.Config{}, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, log
}

// TestAccountPolicies runs hand-computed cases on the account model; want
// maps policy → address → taint held at the end.
func TestAccountPolicies(t *testing.T) {
	split := make([]xf, 40)
	want40 := map[string]int64{}
	for i := range split {
		a := "0x" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "40"
		split[i] = xf{"0xa", a, 100, false}
		if i != 39 {
			want40[a] = 100
		}
	}
	withA := func(m map[string]int64, a int64) map[string]int64 {
		c := map[string]int64{"0xa": a}
		for k, v := range m {
			c[k] = v
		}
		return c
	}
	cases := []struct {
		name   string
		inc    watchlists.Incident
		bal    balanceMap
		blocks [][][]xf // block → tx → transfers; block numbers start at 1
		want   map[watchlists.Policy]map[string]int64
		exHits int // exchange deposits expected
	}{
		{
			name: "peel chain",
			bal:  balanceMap{"0xa2": 100},
			blocks: [][][]xf{
				{{{"0xv", "0xa", 1000, false}}},
				{{{"0xa", "0xp1", 100, false}, {"0xa", "0xa2", 900, false}}},
				{{{"0xa2", "0xp2", 100, false}, {"0xa2", "0xa3", 800, false}}},
				{{{"0xa3", "0xp3", 100, false}, {"0xa3", "0xa4", 700, false}}},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: {"0xp1": 100, "0xa2": 90, "0xp2": 90, "0xp3": 90, "0xa4": 630},
				watchlists.FIFO:    {"0xp1": 100, "0xa2": 100, "0xp3": 100, "0xa4": 700},
				watchlists.Poison:  {"0xa": 1000, "0xp1": 100, "0xa2": 900, "0xp2": 100, "0xa3": 800, "0xp3": 100, "0xa4": 700},
			},
		},
		{
			name: "split to 40 addresses, one an exchange",
			blocks: [][][]xf{
				{{{"0xv", "0xa", 4000, false}}},
				{split},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: want40,
				watchlists.FIFO:    want40,
				watchlists.Poison:  withA(want40, 4000),
			},
			exHits: 1,
		},
		{
			name: "merge with clean funds",
			blocks: [][][]xf{
				{{{"0xv", "0xa", 100, false}}},
				{{{"0xc", "0xa", 300, false}}},
				{{{"0xa", "0xx", 200, false}}},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: {"0xa": 50, "0xx": 50},
				watchlists.FIFO:    {"0xx": 100},
				watchlists.Poison:  {"0xa": 100, "0xx": 200},
			},
		},
		{
			name: "fee after the value transfer",
			bal:  balanceMap{"0xa": 1000},
			blocks: [][][]xf{
				{{{"0xv", "0xa", 1000, false}}},
				{{{"0xa", "0xb", 900, false}, {"0xa", "", 100, true}}},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: {"0xa": 500, "0xb": 450},
				watchlists.FIFO:    {"0xa": 1000},
				watchlists.Poison:  {"0xa": 1000, "0xb": 900},
			},
		},
		{
			name: "fifo queue across several inflows",
			inc:  watchlists.Incident{Seeds: []watchlists.Seed{{Tx: "0x1-0"}, {Tx: "0x3-0"}}},
			bal:  balanceMap{"0xa": 50},
			blocks: [][][]xf{
				{{{"0xv", "0xa", 100, false}}},
				{{{"0xc", "0xa", 30, false}}},
				{{{"0xv", "0xa", 20, false}}},
				{{{"0xa", "0xx", 120, false}}},
				{{{"0xa", "0xy", 70, false}}},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: {"0xa": 6, "0xx": 72, "0xy": 42},
				watchlists.FIFO:    {"0xa": 10, "0xx": 70, "0xy": 40},
				watchlists.Poison:  {"0xa": 120, "0xx": 120, "0xy": 70},
			},
		},
		{
			name: "dust cut-off",
			inc:  watchlists.Incident{Dust: big.NewInt(60)},
			blocks: [][][]xf{
				{{{"0xv", "0xa", 1000, false}}},
				{{{"0xa", "0xx", 50, false}, {"0xa", "0xy", 950, false}}},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: {"0xy": 950},
				watchlists.FIFO:    {"0xy": 950},
				watchlists.Poison:  {"0xa": 1000, "0xy": 950},
			},
		},
		{
			name: "max-hop cut-off",
			inc:  watchlists.Incident{MaxHops: 2},
			blocks: [][][]xf{
				{{{"0xv", "0xa", 1000, false}}},
				{{{"0xa", "0xb", 1000, false}}},
				{{{"0xb", "0xc", 1000, false}}},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: {},
				watchlists.FIFO:    {},
				watchlists.Poison:  {"0xa": 1000, "0xb": 1000},
			},
		},
	}
	for _, tc := range cases {
		for _, pol := range policies {
			t.Run(tc.name+"/"+string(pol), func(t *testing.T) {
				labels := labelMap{}
				labels.add(chains.Ethereum, "0xnb40", watchlists.Exchange, "Test Exchange")
				e, log := newTestEngine(t, labels, tc.bal, nil)
				inc := tc.inc
				inc.ID, inc.Chain, inc.Policy = "inc_1", chains.Ethereum, pol
				if len(inc.Seeds) == 0 {
					inc.Seeds = []watchlists.Seed{{Tx: "0x1-0"}}
				}
				open(t, e, inc)
				connect(t, e, ethBlock(0, ""))
				for i, txs := range tc.blocks {
					connect(t, e, ethBlock(uint64(i+1), "", txs...))
				}
				got := held(t, e, "inc_1")
				if !reflect.DeepEqual(got, tc.want[pol]) {
					t.Errorf("holdings\n got %v\nwant %v", got, tc.want[pol])
				}
				if n := len(log.ofType(tracer.ExchangeDeposit)); n != tc.exHits {
					t.Errorf("exchange deposits: got %d, want %d", n, tc.exHits)
				}
			})
		}
	}
}

// TestExchangeDepositFinding checks a finding's amounts, share, hops and
// path back to the seed.
func TestExchangeDepositFinding(t *testing.T) {
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xex", watchlists.Exchange, "Binance 14")
	e, log := newTestEngine(t, labels, balanceMap{"0xb": 1000}, nil)
	open(t, e, watchlists.Incident{ID: "inc_1", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
	connect(t, e, ethBlock(1, "", []xf{{"0xv", "0xa", 4000, false}}))
	connect(t, e, ethBlock(2, "", []xf{{"0xa", "0xb", 3000, false}}))
	connect(t, e, ethBlock(3, "", []xf{{"0xb", "0xex", 2000, false}}))
	fs := log.ofType(tracer.ExchangeDeposit)
	if len(fs) != 1 {
		t.Fatalf("got %d exchange deposits, want 1", len(fs))
	}
	f := fs[0]
	// b held 1000 clean + 3000 tainted: 2000 carries ⌊2000·3000/4000⌋ = 1500.
	if f.Tainted.Int64() != 1500 || f.Amount.Int64() != 2000 || f.Hops != 3 || f.Share != 1500.0/4000 {
		t.Errorf("finding: tainted %v amount %v hops %d share %v", f.Tainted, f.Amount, f.Hops, f.Share)
	}
	wantPath := []struct {
		from, to string
		amt      int64
	}{{"0xv", "0xa", 4000}, {"0xa", "0xb", 3000}, {"0xb", "0xex", 1500}}
	if len(f.Path) != len(wantPath) {
		t.Fatalf("path has %d hops, want %d: %+v", len(f.Path), len(wantPath), f.Path)
	}
	for i, w := range wantPath {
		if f.Path[i].From != w.from || f.Path[i].To != w.to || f.Path[i].Amount.Int64() != w.amt {
			t.Errorf("hop %d: got %s→%s %v, want %s→%s %d", i, f.Path[i].From, f.Path[i].To, f.Path[i].Amount, w.from, w.to, w.amt)
		}
	}
	if f.Label == nil || f.Label.Label != "Binance 14" || f.ID == "" {
		t.Errorf("label %+v id %q", f.Label, f.ID)
	}
	// The exchange is a service: exact tracking stops there.
	if got := held(t, e, "inc_1"); got["0xex"] != 0 || got["0xb"] != 1500 {
		t.Errorf("holdings %v", got)
	}
}
