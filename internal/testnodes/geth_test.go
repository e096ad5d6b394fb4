package testnodes

import (
	"math/big"
	"testing"
)

func TestGethSendETH(t *testing.T) {
	g := StartGeth(t)
	if g.ChainID.Cmp(big.NewInt(1337)) != 0 {
		t.Errorf("chain id %s, want 1337", g.ChainID)
	}
	to := AddressOf(g.NewAccount(t, nil))
	amount := big.NewInt(123_456_789_000)
	r := g.SendETH(t, g.Key, to, amount)
	if got := g.Balance(t, to); got.Cmp(amount) != 0 {
		t.Errorf("receiver balance %s, want %s", got, amount)
	}
	t.Log(r.BlockNumber)
}
