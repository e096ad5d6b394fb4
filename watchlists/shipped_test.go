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

// Every Tornado Cash pool and THORChain router that TAINT.md names is
// shipped with its protocol, so the tracer follows taint through it.
func TestShippedProtocols(t *testing.T) {
	all, err := ShippedEntries()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"0x12d66f87a04a9e220743712ce6d9bb1b5616b8fc": "tornado", // 0.1 ETH
		"0x47ce0c6ed5b0ce3d3a51fdb1c52dc66a7c3c2936": "tornado", // 1 ETH
		"0x910cbd523d972eb0a6f4cae4618ad62622b39dbf": "tornado", // 10 ETH
		"0xa160cdab225685da1d56aa342ad8841c3b53f291": "tornado", // 100 ETH
		"0xd4b88df4d29f5cedd6857912842cff3b20c8cfa3": "tornado", // DAI 100
		"0xbb93e510bbcd0b7beb5a853875f9ec60275cf498": "tornado", // WBTC 10
		"0xd90e2f925da726b50c4ed8d0fb90ad053324f31b": "tornado", // router
		"0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146": "thorchain",
	}
	got := map[string]string{}
	pools := 0
	for _, e := range all {
		if _, ok := want[e.Address]; ok && (e.Kind == Mixer || e.Kind == Bridge) {
			got[e.Address] = e.Protocol
		}
		if e.Protocol == "tornado" {
			pools++
		}
		if err := ParseProtocol(e.Protocol, e.Kind); err != nil {
			t.Errorf("shipped %s %s: %v", e.Kind, e.Address, err)
		}
	}
	for a, p := range want {
		if got[a] != p {
			t.Errorf("shipped %s: protocol %q, want %q", a, got[a], p)
		}
	}
	if pools != 20 {
		t.Errorf("%d shipped Tornado entries, want the 19 mainnet pools and the router", pools)
	}
}
