package watchlists

import (
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

func TestShippedLabels(t *testing.T) {
	all, err := ShippedEntries()
	if err != nil {
		t.Fatal(err)
	}
	perKind := map[Kind]int{}
	for _, e := range all {
		perKind[e.Kind]++
		if got, err := Normalize(e.Chain, "mainnet", e.Address); err != nil || got != e.Address {
			t.Fatalf("shipped %+v: not normalised (%q, %v)", e, got, err)
		}
		if !e.Shipped() || len(e.Source) <= len(ShippedSourcePrefix) || e.Owner != "" {
			t.Fatalf("shipped %+v: source must name the upstream, owner must be empty", e)
		}
		for _, banned := range []string{"spellbook", "watchyourback", "tayvano"} {
			if strings.Contains(strings.ToLower(e.Source), banned) {
				t.Fatalf("shipped %+v comes from %s", e, banned)
			}
		}
	}
	for _, k := range []Kind{Exchange, Mixer, Bridge, Sanctioned, Stolen} {
		if perKind[k] == 0 {
			t.Errorf("no shipped %s entries", k)
		}
	}

	reg := NewRegistry(nil, nil)
	n, err := reg.LoadShipped()
	if err != nil || n != len(all) || reg.Len() != n {
		t.Fatalf("LoadShipped: %d, %v; registry holds %d, want %d", n, err, reg.Len(), len(all))
	}
	for name, tc := range map[string]struct {
		chain chains.Chain
		addr  string
		kinds []Kind
		label string
	}{
		"Binance 14":            {chains.Ethereum, "0x28c6c06298d514db089934071355e5743bf21d60", []Kind{Exchange}, "Binance 14"},
		"Tornado 0.1 ETH pool":  {chains.Ethereum, "0x12d66f87a04a9e220743712ce6d9bb1b5616b8fc", []Kind{Mixer}, "Tornado Cash ETH 0.1 pool"},
		"Ronin exploiter":       {chains.Ethereum, "0x098b716b8aaf21512996dc57eb0615e2383e2f96", []Kind{Sanctioned, Stolen}, "Lazarus Group"},
		"Bybit FBI":             {chains.Ethereum, "0x51e9d833ecae4e8d9d8be17300aee6d3398c135d", []Kind{Stolen}, ""},
		"THORChain router v4.1": {chains.Ethereum, "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146", []Kind{Bridge}, ""},
		"OFAC bitcoin":          {chains.Bitcoin, "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", []Kind{Sanctioned}, "Hydra Market"},
	} {
		t.Run(name, func(t *testing.T) {
			es := reg.Lookup(tc.chain, tc.addr)
			if len(es) != len(tc.kinds) {
				t.Fatalf("lookup: %+v, want kinds %v", es, tc.kinds)
			}
			for i, k := range tc.kinds {
				if es[i].Kind != k {
					t.Fatalf("entry %d kind %s, want %s", i, es[i].Kind, k)
				}
			}
			if tc.label != "" && es[0].Label != tc.label {
				t.Fatalf("label %q, want %q", es[0].Label, tc.label)
			}
		})
	}

	// On a test network the mainnet labels are not loaded.
	reg = NewRegistry(nil, Networks{chains.Bitcoin: "testnet"})
	n, _ = reg.LoadShipped()
	if n >= len(all) || len(reg.List(Filter{Chain: chains.Bitcoin})) != 0 {
		t.Fatalf("testnet registry loaded %d bitcoin labels", len(reg.List(Filter{Chain: chains.Bitcoin})))
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	reg := NewRegistry(nil, nil)
	if _, err := reg.LoadShipped(); err != nil {
		t.Fatal(err)
	}
	addr := strings.Clone("0x28c6c06298d514db089934071355e5743bf21d60")
	if a := testing.AllocsPerRun(100, func() { reg.Lookup(chains.Ethereum, addr) }); a != 0 {
		t.Fatalf("Lookup allocates %v times", a)
	}
}

func BenchmarkLookup(b *testing.B) {
	reg := NewRegistry(nil, nil)
	if _, err := reg.LoadShipped(); err != nil {
		b.Fatal(err)
	}
	hit := strings.Clone("0x28c6c06298d514db089934071355e5743bf21d60")
	miss := strings.Clone("0x28c6c06298d514db089934071355e5743bf21d61")
	m := map[string]int{hit: 1}
	b.Run("bare-map", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = m[miss]
		}
	})
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			reg.Lookup(chains.Ethereum, hit)
		}
	})
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			reg.Lookup(chains.Ethereum, miss)
		}
	})
	b.Run("parallel-hit", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				reg.Lookup(chains.Ethereum, hit)
			}
		})
	})
}
