package ethereum

import (
	"context"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

func lower(a common.Address) string { return strings.ToLower(a.Hex()) }

func fee(r *types.Receipt) *big.Int {
	return new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice)
}

// TestGeth follows a real geth --dev (traces on, mempool on) through native
// transfers, an ERC-20 deployment and transfer, a contract that splits
// value by internal calls and a reverted call, and checks the exact
// transfers, the fees, the Pending events, and that the node's balances
// equal the sums of the transfers.
func TestGeth(t *testing.T) {
	g := testnodes.StartGeth(t, testnodes.WithPeriod(1))
	start := g.BlockNumber(t) + 1
	r := &recorder{}
	run := startFollower(t, Config{Network: "dev", RPC: g.WS, StartBlock: strconv.FormatUint(start, 10), Traces: TracesOn, Mempool: true, Checkpoints: openStore(t, t.TempDir())}, r)

	alice := g.NewAccount(t, testnodes.EtherAmount(10))
	bob, carol := g.NewAccount(t, nil), g.NewAccount(t, nil)
	A, B, C := testnodes.AddressOf(alice), testnodes.AddressOf(bob), testnodes.AddressOf(carol)
	native := g.SendETH(t, alice, B, testnodes.EtherAmount(1))
	token := g.DeployToken(t, alice, big.NewInt(1_000_000))
	tokTx := g.TokenTransfer(t, token, alice, B, big.NewInt(12345))
	fwd := g.DeployForwarder(t, alice)
	three := testnodes.EtherAmount(3)
	split := g.Split(t, fwd, alice, []common.Address{B, C}, three)
	failed := g.Fail(t, fwd, alice, big.NewInt(7))
	// Two transactions watched in the pool before they are mined.
	ptx := g.SendTx(t, alice, &C, big.NewInt(5), nil, 0)
	pmined := g.WaitMined(t, ptx.Hash())
	last := pmined.BlockNumber.Uint64()
	testnodes.WaitFor(t, 30*time.Second, "follower at block "+strconv.FormatUint(last, 10), func() bool { return r.Tip().Number >= last })
	run.stop(t)
	r.Check(t)

	txs := map[string]chains.Tx{}
	var pend []*chains.Tx
	for _, ev := range r.Events() {
		switch ev.Type {
		case chains.Connected:
			for _, tx := range ev.Block.Txs {
				txs[tx.Hash] = tx
			}
		case chains.Pending:
			pend = append(pend, ev.Tx)
		}
	}

	type tr struct {
		kind     chains.TransferKind
		from, to string
		asset    string
		amount   string
	}
	got := func(h common.Hash) []tr {
		tx, ok := txs[strings.ToLower(h.Hex())]
		if !ok {
			t.Fatalf("tx %s not delivered", h.Hex())
		}
		var out []tr
		for i, x := range tx.Transfers {
			if x.Seq != i {
				t.Errorf("tx %s transfer %d has seq %d", h.Hex(), i, x.Seq)
			}
			out = append(out, tr{x.Kind, x.From, x.To, x.Asset.Contract, x.Amount.String()})
		}
		return out
	}
	half := new(big.Int).Div(three, big.NewInt(2))
	tests := []struct {
		name string
		r    *types.Receipt
		want []tr
	}{
		{"native", native, []tr{{chains.Native, lower(A), lower(B), "", testnodes.EtherAmount(1).String()}, {chains.Fee, lower(A), chains.FeeSink, "", fee(native).String()}}},
		{"token", tokTx, []tr{{chains.Token, lower(A), lower(B), lower(token), "12345"}, {chains.Fee, lower(A), chains.FeeSink, "", fee(tokTx).String()}}},
		{"internal split", split, []tr{
			{chains.Native, lower(A), lower(fwd), "", three.String()},
			{chains.Internal, lower(fwd), lower(B), "", half.String()},
			{chains.Internal, lower(fwd), lower(C), "", new(big.Int).Sub(three, half).String()},
			{chains.Fee, lower(A), chains.FeeSink, "", fee(split).String()}}},
		{"reverted", failed, []tr{{chains.Fee, lower(A), chains.FeeSink, "", fee(failed).String()}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if g := got(tc.r.TxHash); !slices.Equal(g, tc.want) {
				t.Errorf("transfers\n got %v\nwant %v", g, tc.want)
			}
		})
	}
	if !txs[strings.ToLower(failed.TxHash.Hex())].Failed {
		t.Error("reverted tx not marked Failed")
	}

	t.Run("balances equal sums of transfers", func(t *testing.T) {
		eth := map[string]*big.Int{}
		tok := map[string]*big.Int{}
		for _, tx := range txs {
			for _, x := range tx.Transfers {
				m := eth
				if x.Asset.Contract == lower(token) {
					m = tok
				} else if x.Asset.Contract != "" {
					continue
				}
				for _, side := range []struct {
					a    string
					sign int
				}{{x.From, -1}, {x.To, 1}} {
					if m[side.a] == nil {
						m[side.a] = new(big.Int)
					}
					if side.sign < 0 {
						m[side.a].Sub(m[side.a], x.Amount)
					} else {
						m[side.a].Add(m[side.a], x.Amount)
					}
				}
			}
		}
		for name, a := range map[string]common.Address{"alice": A, "bob": B, "carol": C, "forwarder": fwd} {
			if bal, sum := g.Balance(t, a), eth[lower(a)]; sum == nil || bal.Cmp(sum) != 0 {
				t.Errorf("%s: node balance %s wei, sum of transfers %v", name, bal, sum)
			}
		}
		for name, a := range map[string]common.Address{"alice": A, "bob": B} {
			if bal, sum := g.TokenBalance(t, token, a), tok[lower(a)]; sum == nil || bal.Cmp(sum) != 0 {
				t.Errorf("%s: token balance %s, sum of transfers %v", name, bal, sum)
			}
		}
	})

	t.Run("pending", func(t *testing.T) {
		n := 0
		for _, p := range pend {
			if p.Hash == strings.ToLower(ptx.Hash().Hex()) {
				n++
				if len(p.Transfers) != 1 || p.Transfers[0].Amount.Int64() != 5 || p.Transfers[0].To != lower(C) {
					t.Errorf("pending transfers %+v", p.Transfers)
				}
			}
		}
		if n != 1 {
			t.Errorf("pending tx %s reported %d times, want once", ptx.Hash().Hex(), n)
		}
	})

	t.Run("reader", func(t *testing.T) {
		ctx := t.Context()
		f, err := New(Config{Network: "dev", RPC: g.HTTP, Traces: TracesOff, Checkpoints: openStore(t, t.TempDir())})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		ref, err := f.TxBlock(ctx, strings.ToLower(split.TxHash.Hex()))
		if err != nil || ref.Number != split.BlockNumber.Uint64() || ref.Hash != strings.ToLower(split.BlockHash.Hex()) {
			t.Errorf("TxBlock: %+v, %v; want block %d", ref, err, split.BlockNumber)
		}
		bal, err := f.BalanceAt(ctx, lower(B), chains.ETH, last)
		if err != nil || bal.Cmp(g.Balance(t, B)) != 0 {
			t.Errorf("BalanceAt bob: %v, %v", bal, err)
		}
		tb, err := f.BalanceAt(ctx, lower(B), chains.Asset{Contract: lower(token)}, last)
		if err != nil || tb.Int64() != 12345 {
			t.Errorf("token BalanceAt bob: %v, %v", tb, err)
		}
		// Batched: the same answers; a failed call names the node and the
		// address.
		bals, err := f.BalancesAt(ctx, []chains.BalanceQuery{{Address: lower(B), Asset: chains.ETH}, {Address: lower(B), Asset: chains.Asset{Contract: lower(token)}}}, last)
		if err != nil || len(bals) != 2 || bals[0].Cmp(bal) != 0 || bals[1].Cmp(tb) != 0 {
			t.Errorf("BalancesAt bob: %v, %v; want [%v %v]", bals, err, bal, tb)
		}
		_, err = f.BalancesAt(ctx, []chains.BalanceQuery{{Address: lower(B), Asset: chains.ETH}}, last+1_000_000)
		if err == nil || !strings.Contains(err.Error(), g.HTTP) || !strings.Contains(err.Error(), lower(B)) {
			t.Errorf("BalancesAt beyond the head: %v; want an error naming %s and %s", err, g.HTTP, lower(B))
		}
		b, err := f.BlockByNumber(ctx, native.BlockNumber.Uint64())
		if err != nil || len(b.Txs) == 0 {
			t.Fatalf("BlockByNumber: %v", err)
		}
	})
}

// TestGethLogsAndSender: the log query and the transaction lookup a Tornado
// pool's history is read with, on a real geth: a pool's Deposit logs in a
// block range (none outside it), and each deposit's sender and the gas
// price it paid (a legacy price exactly, a dynamic-fee transaction's
// effective price as its receipt says).
func TestGethLogsAndSender(t *testing.T) {
	g := testnodes.StartGeth(t)
	alice := g.NewAccount(t, testnodes.EtherAmount(30))
	denom := testnodes.EtherAmount(1)
	pool := g.DeployTornadoPool(t, alice, denom)
	price := big.NewInt(2_000_000_011)
	r1 := g.TornadoDepositAtGasPrice(t, pool, alice, common.BigToHash(big.NewInt(1)), denom, price)
	r2 := g.TornadoDeposit(t, pool, alice, common.BigToHash(big.NewInt(2)), denom)
	f, err := New(Config{Network: "dev", RPC: g.WS, StartBlock: "latest", Checkpoints: openStore(t, t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	var topic [32]byte
	copy(topic[:], crypto.Keccak256([]byte("Deposit(bytes32,uint32,uint256)")))
	logs, err := f.Logs(ctx, lower(pool), topic, 0, r2.BlockNumber.Uint64())
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 2 || logs[0].Tx != r1.TxHash.Hex() || logs[1].Tx != r2.TxHash.Hex() || logs[0].Block != r1.BlockNumber.Uint64() || logs[0].Log.Address != lower(pool) {
		t.Fatalf("logs %+v; want the two deposits", logs)
	}
	if none, err := f.Logs(ctx, lower(pool), topic, 0, r1.BlockNumber.Uint64()-1); err != nil || len(none) != 0 {
		t.Fatalf("logs before the first deposit: %+v %v; want none", none, err)
	}
	for _, c := range []struct {
		r    *types.Receipt
		want *big.Int
	}{{r1, price}, {r2, r2.EffectiveGasPrice}} {
		from, gas, err := f.TxSender(ctx, c.r.TxHash.Hex())
		if err != nil || from != lower(testnodes.AddressOf(alice)) || gas.Cmp(c.want) != 0 {
			t.Fatalf("sender of %s: %s %v %v; want %s at %s", c.r.TxHash.Hex(), from, gas, err, lower(testnodes.AddressOf(alice)), c.want)
		}
	}
	if _, _, err := f.TxSender(ctx, "0x"+strings.Repeat("ab", 32)); err == nil {
		t.Fatal("an unknown transaction has a sender")
	}
}
