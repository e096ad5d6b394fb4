package config

import (
	"slices"
	"sort"
	"testing"

	"github.com/chainhound/chainhound/chains/bitcoin"
	"github.com/chainhound/chainhound/chains/ethereum"
)

// The config accepts exactly the networks the followers know.
func TestNetworksMatchFollowers(t *testing.T) {
	keys := func(names []string) []string {
		out := append([]string(nil), names...)
		sort.Strings(out)
		return out
	}
	var eth, btc []string
	for n := range ethereum.Networks {
		eth = append(eth, n)
	}
	for n := range bitcoin.Networks {
		btc = append(btc, n)
	}
	if got, want := keys(ethNetworks), keys(eth); !slices.Equal(got, want) {
		t.Errorf("config ethereum networks %v, follower %v", got, want)
	}
	if got, want := keys(btcNetworks), keys(btc); !slices.Equal(got, want) {
		t.Errorf("config bitcoin networks %v, follower %v", got, want)
	}
}
