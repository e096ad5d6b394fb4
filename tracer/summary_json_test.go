package tracer

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

func TestSummaryJSONAmountsAreDecimalStrings(t *testing.T) {
	big1, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	s := IncidentSummary{
		ID: "inc_x", Chain: chains.Ethereum,
		Stolen:   map[string]*big.Int{"": big1},
		Tainted:  map[string]*big.Int{"0xdac17f958d2ee523a2206206994597c13d831ec7": big.NewInt(7)},
		Holders:  []Holder{{Chain: chains.Ethereum, Address: "0x1db92e2eebc8e0c075a02bea49a2935bcd2dfcf4", Tainted: big.NewInt(5), Hops: 2}},
		Services: []Destination{{Chain: chains.Ethereum, Address: "0x1db92e2eebc8e0c075a02bea49a2935bcd2dfcf4", Tainted: big.NewInt(2)}},
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		`"stolen":{"native":"123456789012345678901234567890"}`,
		`"tainted":{"0xdac17f958d2ee523a2206206994597c13d831ec7":"7"}`,
		`"address":"0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4","tainted":"5"`,
		`"hops":2`,
		`"tainted":"2"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary JSON lacks %s:\n%s", want, got)
		}
	}
}
