package watchlists

import (
	"errors"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// inboundAddresses is shaped as THORNode's /thorchain/inbound_addresses
// answers (fields as the midgard client declares them; addresses are the
// THORChain router of docs/taint.md and valid addresses of each chain).
const inboundAddresses = `[
  {"chain": "BCH", "pub_key": "thorpub1a", "address": "qpg5zygj0zd2ahzlw3ksfrx0u0e6wqmtcq0lnu7ma7", "router": "", "halted": false, "gas_rate": "3"},
  {"chain": "BTC", "pub_key": "thorpub1a", "address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "router": "", "halted": false, "gas_rate": "12"},
  {"chain": "ETH", "pub_key": "thorpub1a", "address": "0x2000000000000000000000000000000000000001",
   "router": "0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146", "halted": true, "gas_rate": "9"},
  {"chain": "GAIA", "pub_key": "thorpub1a", "address": "cosmos1xyz", "router": "", "halted": false}
]`

// TestImportTHORChainInbound: the current vaults and routers become
// bridge entries of protocol thorchain (the BTC vault, the ETH vault and
// router), the other chains are skipped, a halted chain is noted; an
// element without an address is a bad row named by its line.
func TestImportTHORChainInbound(t *testing.T) {
	f, err := ParseFormat("thorchain-inbound", "x.json")
	if err != nil || f != FormatTHORChain {
		t.Fatalf("ParseFormat: %v %v", f, err)
	}
	res, err := Import(strings.NewReader(inboundAddresses), "inbound.json", ImportOptions{Format: FormatTHORChain, Owner: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Entry{}
	for _, e := range res.Entries {
		got[string(e.Chain)+"|"+e.Address] = e
	}
	for _, want := range []struct {
		chain       chains.Chain
		addr, label string
	}{
		{chains.Bitcoin, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "THORChain vault (BTC)"},
		{chains.Ethereum, "0x2000000000000000000000000000000000000001", "THORChain vault (ETH)"},
		{chains.Ethereum, "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146", "THORChain router"},
	} {
		e, ok := got[string(want.chain)+"|"+want.addr]
		if !ok || e.Kind != Bridge || e.Protocol != THORChainProtocol || e.Label != want.label || e.Owner != "ops" {
			t.Fatalf("entry %s %s: %+v (found %v); want a thorchain bridge %q", want.chain, want.addr, e, ok, want.label)
		}
		if want.chain == chains.Ethereum && !strings.Contains(e.Note, "halted") {
			t.Fatalf("halted chain's entry note %q", e.Note)
		}
	}
	if len(res.Entries) != 3 || res.Skipped["BCH"] != 1 || res.Skipped["GAIA"] != 1 {
		t.Fatalf("entries %d skipped %v; want 3 and BCH, GAIA skipped", len(res.Entries), res.Skipped)
	}

	bad := "[\n {\"chain\": \"BTC\", \"address\": \"\"}\n]"
	_, err = Import(strings.NewReader(bad), "bad.json", ImportOptions{Format: FormatTHORChain})
	var ie *ImportError
	if !errors.As(err, &ie) || ie.Bad[0].Line != 2 || !strings.Contains(ie.Error(), "bad.json:2") {
		t.Fatalf("element without an address: %v; want bad.json:2", err)
	}
	if _, err := Import(strings.NewReader(`{"chain": "BTC"}`), "obj.json", ImportOptions{Format: FormatTHORChain}); err == nil || !strings.Contains(err.Error(), "obj.json") {
		t.Fatalf("an object instead of the array: %v", err)
	}
}
