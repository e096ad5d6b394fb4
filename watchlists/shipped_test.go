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

// Every Tornado Cash pool and THORChain router that docs/taint.md names ("Addresses the recognisers know") is
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

// TestShippedBridges: the shipped set names the contracts of every bridge
// the tracer decodes or follows, each with its protocol and a source, and
// every shipped entry passes the checks an imported one does (protocol
// fits the kind, texts clean): nothing is skipped or warned about on load.
func TestShippedBridges(t *testing.T) {
	all, err := ShippedEntries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		if err := ParseProtocol(e.Protocol, e.Kind); err != nil {
			t.Errorf("shipped %s %s: protocol: %v", e.Kind, e.Address, err)
		}
		if err := checkTexts(e, sourcePrefixRoom); err != nil {
			t.Errorf("shipped %s %s: %v", e.Kind, e.Address, err)
		}
	}
	reg := NewRegistry(nil, nil)
	if _, err := reg.LoadShipped(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ addr, protocol string }{
		"LI.FI diamond":             {"0x1231deb6f5749ef6ce6943a275a1d3e7486f4eae", "lifi"},
		"Stargate v1 router":        {"0x8731d54e9d02c286767d56ac03e8037c07e01e98", "stargate"},
		"Stargate v1 ETH pool":      {"0x101816545f6bd2b1076434b54383a1e633390a2e", "stargate"},
		"Stargate v1 USDT pool":     {"0x38ea452219524bb87e18de1c24d3bb59510bd783", "stargate"},
		"Stargate v2 ETH pool":      {"0x77b2043768d28e9c9ab44e1abfc95944bce57931", "stargate"},
		"Stargate v2 USDC pool":     {"0xc026395860db2d07ee33e05fe50ed7bd583189c7", "stargate"},
		"Stargate v2 USDT pool":     {"0x933597a323eb81cae705c5bc29985172fd5a3973", "stargate"},
		"Across SpokePool":          {"0x5c7bcd6e7de5423a257d81b442095a1a6ced35c5", "across"},
		"Wormhole token bridge":     {"0x3ee18b2214aff97000d974cf647e7c347e8fa585", "wormhole"},
		"Wormhole core":             {"0x98f3c9e6e3face36baad05fe09d375ef1464288b", "wormhole"},
		"Synapse bridge":            {"0x2796317b0ff8538f253012862c06787adfb8ceb6", "synapse"},
		"Multichain router v4":      {"0x6b7a87899490ece95443e979ca9485cbe7e71522", "multichain"},
		"Multichain router v6":      {"0xba8da9dcf11b50b03fd5284f164ef5cdef910705", "multichain"},
		"Avalanche bridge":          {"0x8eb8a3b98659cce290402893d0123abb75e3ab28", "avalanche"},
		"Arbitrum bridge":           {"0x8315177ab297ba92a06054ce80a67ed4dbd7ed3a", "arbitrum"},
		"Arbitrum delayed inbox":    {"0x4dbd4fc535ac27206064b68ffcf827b0a60bab3f", "arbitrum"},
		"Arbitrum gateway router":   {"0x72ce9c846789fdb6fc1f34ac4ad25dd9ef7031ef", "arbitrum"},
		"Optimism L1StandardBridge": {"0x99c9fc46f92e8a1c0dec1b1747d010903e884be1", "optimism"},
		"Optimism portal":           {"0xbeb5fc579115071764c7423a4f12edde41f106ed", "optimism"},
		"Base L1StandardBridge":     {"0x3154cf16ccdb4c6d922629664174b904d80f2c35", "base"},
		"Base portal":               {"0x49048044d57e1c92a77f79988d21fa8faf74e97e", "base"},
		"THORChain router v4.1.1":   {"0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146", "thorchain"},
	} {
		t.Run(name, func(t *testing.T) {
			es := reg.Lookup(chains.Ethereum, tc.addr)
			if len(es) != 1 || es[0].Kind != Bridge || es[0].Protocol != tc.protocol || !es[0].Shipped() || len(es[0].Source) <= len(ShippedSourcePrefix) {
				t.Fatalf("lookup %s: %+v, want one shipped bridge entry of protocol %s with a source", tc.addr, es, tc.protocol)
			}
		})
	}
}
