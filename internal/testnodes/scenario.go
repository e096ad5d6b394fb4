package testnodes

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TheftEdge is one hop of PlayTheft: the tx (lowercase hex), sender and
// receiver in EIP-55, the wei moved and the hop number from the theft.
type TheftEdge struct {
	Tx, From, To string
	Wei          *big.Int
	Hop          int
}

// Theft is what PlayTheft did.
type Theft struct {
	Tx       string           // the theft transaction
	Split    []common.Address // the three wallets the thief split the loot to
	Deposit  string           // the deposit transaction
	Exchange common.Address   // where the first split wallet deposited
	Edges    []TheftEdge      // every hop, in order
}

// PlayTheft plays a small theft on g for trace tests: a victim funded with
// 100 ETH loses 50 ETH to a thief, who splits 10, 15 and 20 ETH to three
// wallets; the first deposits 8 ETH at Exchange (an address the test may
// label as an exchange).
func (g *Geth) PlayTheft(tb testing.TB) Theft {
	tb.Helper()
	eth := EtherAmount
	hash := func(h common.Hash) string { return strings.ToLower(h.Hex()) }
	victim, thief := g.NewAccount(tb, eth(100)), g.NewAccount(tb, nil)
	first := g.NewAccount(tb, nil)
	th := Theft{
		Split:    []common.Address{AddressOf(first), AddressOf(g.NewAccount(tb, nil)), AddressOf(g.NewAccount(tb, nil))},
		Exchange: common.HexToAddress("0x00000000000000000000000000000000000e8c4a"),
	}
	th.Tx = hash(g.SendETH(tb, victim, AddressOf(thief), eth(50)).TxHash)
	th.Edges = []TheftEdge{{th.Tx, AddressOf(victim).Hex(), AddressOf(thief).Hex(), eth(50), 1}}
	for i, wei := range []*big.Int{eth(10), eth(15), eth(20)} {
		tx := hash(g.SendETH(tb, thief, th.Split[i], wei).TxHash)
		th.Edges = append(th.Edges, TheftEdge{tx, AddressOf(thief).Hex(), th.Split[i].Hex(), wei, 2})
	}
	th.Deposit = hash(g.SendETH(tb, first, th.Exchange, eth(8)).TxHash)
	th.Edges = append(th.Edges, TheftEdge{th.Deposit, th.Split[0].Hex(), th.Exchange.Hex(), eth(8), 3})
	return th
}
