package ethereum

import (
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/ethereum/go-ethereum/common"
)

// TestTraceOrder checks that internal transfers and logs interleave in
// execution order and that a reverted subtree moves nothing.
func TestTraceOrder(t *testing.T) {
	to := func(a common.Address) *common.Address { return &a }
	frame := &callFrame{Type: "CALL", From: aliceA, To: to(tokenA), Value: hb(10),
		Logs: []callLog{{Position: 0}, {Position: 2}},
		Calls: []callFrame{
			{Type: "CALL", From: tokenA, To: to(bobA), Value: hb(4)},
			{Type: "CALL", From: tokenA, To: to(carolA), Value: hb(3), Error: "execution reverted",
				Calls: []callFrame{{Type: "CALL", From: carolA, To: to(bobA), Value: hb(1)}}},
			{Type: "DELEGATECALL", From: tokenA, To: to(carolA), Value: hb(10)},
			{Type: "STATICCALL", From: tokenA, To: to(carolA)},
			{Type: "SELFDESTRUCT", From: tokenA, To: to(carolA), Value: hb(6)},
		}}
	d := decoder{}
	r := &rpcReceipt{Status: hu(1), GasUsed: hb(100), EffectiveGasPrice: hb(2), Logs: []rpcLog{
		{Address: tokenA, Topics: []common.Hash{topicTransfer, addrTopic(aliceA), addrTopic(bobA)}, Data: word(7), LogIndex: 0},
		{Address: tokenA, Topics: []common.Hash{topicTransfer, addrTopic(bobA), addrTopic(carolA)}, Data: word(8), LogIndex: 1},
	}}
	tx := &rpcTx{From: aliceA, To: to(tokenA), Value: hb(10)}
	var dst chains.Tx
	if err := d.tx(&dst, 0, tx, r, frame, map[common.Address]chains.Asset{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range dst.Transfers {
		got = append(got, x.Kind.String()+":"+strings.TrimLeft(strings.TrimPrefix(x.To, "0x"), "0")+":"+x.Amount.String())
	}
	want := "native:70:10 token:b2:7 internal:b2:4 token:c3:8 internal:c3:6 fee:fee:200"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("got  %s\nwant %s", g, want)
	}
}
