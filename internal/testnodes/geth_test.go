package testnodes

import (
	"context"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// txCost is what a mined transaction charged its sender for gas.
func txCost(r *types.Receipt) *big.Int {
	return new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice)
}

func TestGethBlocksAdvanceWithPeriod(t *testing.T) {
	t.Parallel()
	g := StartGeth(t, WithPeriod(1))
	heads := make(chan *types.Header, 16)
	sub, err := g.DialWS(t).SubscribeNewHead(t.Context(), heads)
	if err != nil {
		t.Fatalf("subscribe newHeads over %s: %v", g.WS, err)
	}
	defer sub.Unsubscribe()
	start := g.BlockNumber(t)
	WaitFor(t, 15*time.Second, "two empty blocks at --dev.period 1", func() bool {
		return g.BlockNumber(t) >= start+2
	})
	select {
	case h := <-heads:
		if h.Number.Uint64() <= start {
			t.Errorf("websocket head %d, want after %d", h.Number, start)
		}
	case err := <-sub.Err():
		t.Fatalf("newHeads subscription: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no newHeads notification over the websocket")
	}
}

func TestGethTwoNodesDistinctPorts(t *testing.T) {
	t.Parallel()
	a, b := StartGeth(t), StartGeth(t)
	if a.HTTP == b.HTTP || a.WS == b.WS {
		t.Fatalf("two nodes share endpoints: %s %s / %s %s", a.HTTP, a.WS, b.HTTP, b.WS)
	}
	if AddressOf(a.Key) == AddressOf(b.Key) {
		t.Fatalf("two nodes share the funded key %s", AddressOf(a.Key))
	}
	// Each chain sees only its own transactions.
	to := AddressOf(a.NewAccount(t, nil))
	a.SendETH(t, a.Key, to, big.NewInt(7))
	if got := a.Balance(t, to); got.Cmp(big.NewInt(7)) != 0 {
		t.Errorf("node a: balance %s, want 7", got)
	}
	if got := b.Balance(t, to); got.Sign() != 0 {
		t.Errorf("node b: balance %s, want 0 (separate chain)", got)
	}
}

func TestGeth(t *testing.T) {
	t.Parallel()
	g := StartGeth(t)
	if g.ChainID.Cmp(big.NewInt(1337)) != 0 {
		t.Errorf("chain id %s, want 1337", g.ChainID)
	}
	if got := g.Balance(t, AddressOf(g.Key)); got.Cmp(initialFunding) != 0 {
		t.Errorf("funded key balance %s, want %s", got, initialFunding)
	}

	t.Run("SendETH", func(t *testing.T) {
		from := g.NewAccount(t, EtherAmount(10))
		to := AddressOf(g.NewAccount(t, nil))
		before := g.Balance(t, AddressOf(from))
		amount := big.NewInt(123_456_789_000_000_001)
		r := g.SendETH(t, from, to, amount)
		if got := g.Balance(t, to); got.Cmp(amount) != 0 {
			t.Errorf("receiver balance %s, want %s", got, amount)
		}
		want := new(big.Int).Sub(before, amount)
		want.Sub(want, txCost(r))
		if got := g.Balance(t, AddressOf(from)); got.Cmp(want) != 0 {
			t.Errorf("sender balance %s, want %s (before %s - amount - gas %s)", got, want, before, txCost(r))
		}
	})

	t.Run("MineBlocks", func(t *testing.T) {
		start := g.BlockNumber(t)
		g.MineBlocks(t, 3)
		if got := g.BlockNumber(t); got < start+3 {
			t.Errorf("head %d after MineBlocks(3) from %d", got, start)
		}
	})

	t.Run("Token", func(t *testing.T) {
		owner := g.NewAccount(t, EtherAmount(1))
		spender := g.NewAccount(t, EtherAmount(1))
		bob, carol := AddressOf(g.NewAccount(t, nil)), AddressOf(g.NewAccount(t, nil))
		supply := new(big.Int).Mul(big.NewInt(1_000_000), Ether)
		token := g.DeployToken(t, owner, supply)
		if got := g.TokenBalance(t, token, AddressOf(owner)); got.Cmp(supply) != 0 {
			t.Fatalf("owner balance %s, want supply %s", got, supply)
		}
		amount := big.NewInt(250_000_000_000_000_017)
		r := g.TokenTransfer(t, token, owner, bob, amount)
		if len(r.Logs) != 1 || r.Logs[0].Address != token || r.Logs[0].Topics[0] != TransferEventID ||
			common.BytesToAddress(r.Logs[0].Topics[1].Bytes()) != AddressOf(owner) ||
			common.BytesToAddress(r.Logs[0].Topics[2].Bytes()) != bob ||
			new(big.Int).SetBytes(r.Logs[0].Data).Cmp(amount) != 0 {
			t.Errorf("transfer receipt logs %+v, want one Transfer(owner, bob, %s) from %s", r.Logs, amount, token)
		}
		if got := g.TokenBalance(t, token, bob); got.Cmp(amount) != 0 {
			t.Errorf("bob balance %s, want %s", got, amount)
		}
		if got, want := g.TokenBalance(t, token, AddressOf(owner)), new(big.Int).Sub(supply, amount); got.Cmp(want) != 0 {
			t.Errorf("owner balance %s, want %s", got, want)
		}

		g.TokenApprove(t, token, owner, AddressOf(spender), big.NewInt(1000))
		g.TokenTransferFrom(t, token, spender, AddressOf(owner), carol, big.NewInt(600))
		if got := g.TokenBalance(t, token, carol); got.Cmp(big.NewInt(600)) != 0 {
			t.Errorf("carol balance %s, want 600", got)
		}
		// Beyond the remaining allowance of 400: mined and reverted.
		data := pack(t, TokenABI, "transferFrom", AddressOf(owner), carol, big.NewInt(401))
		if r := g.Transact(t, spender, &token, nil, data, 100_000); r.Status != types.ReceiptStatusFailed {
			t.Errorf("transferFrom over allowance: status %d, want 0", r.Status)
		}
	})

	t.Run("SplitTrace", func(t *testing.T) {
		from := g.NewAccount(t, EtherAmount(5))
		fwd := g.DeployForwarder(t, from)
		to := []common.Address{AddressOf(g.NewAccount(t, nil)), AddressOf(g.NewAccount(t, nil)), AddressOf(g.NewAccount(t, nil))}
		value := big.NewInt(1_000_000_000_000_000_001) // 3 does not divide it: remainder 2 to the last
		share := big.NewInt(333_333_333_333_333_333)
		want := []*big.Int{share, share, big.NewInt(333_333_333_333_333_335)}
		r := g.Split(t, fwd, from, to, value)
		for i, addr := range to {
			if got := g.Balance(t, addr); got.Cmp(want[i]) != 0 {
				t.Errorf("recipient %d balance %s, want %s", i, got, want[i])
			}
		}
		if got := g.Balance(t, fwd); got.Sign() != 0 {
			t.Errorf("forwarder kept %s wei, want 0", got)
		}

		var frame *CallFrame
		for _, tr := range g.CallTraces(t, r.BlockNumber.Uint64()) {
			if tr.TxHash == r.TxHash {
				frame = &tr.Result
			}
		}
		if frame == nil {
			t.Fatalf("no callTracer trace for tx %s in block %s", r.TxHash, r.BlockNumber)
		}
		if frame.To != fwd || frame.Value.ToInt().Cmp(value) != 0 {
			t.Errorf("top frame to %s value %s, want %s value %s", frame.To, frame.Value.ToInt(), fwd, value)
		}
		if len(frame.Calls) != len(to) {
			t.Fatalf("%d internal calls, want %d: %+v", len(frame.Calls), len(to), frame.Calls)
		}
		for i, c := range frame.Calls {
			if c.Type != "CALL" || c.From != fwd || c.To != to[i] || c.Value.ToInt().Cmp(want[i]) != 0 {
				t.Errorf("internal call %d: %s %s->%s value %s, want CALL %s->%s value %s",
					i, c.Type, c.From, c.To, c.Value.ToInt(), fwd, to[i], want[i])
			}
		}
	})

	t.Run("Fail", func(t *testing.T) {
		from := g.NewAccount(t, EtherAmount(5))
		fwd := g.DeployForwarder(t, from)
		before := g.Balance(t, AddressOf(from))
		r := g.Fail(t, fwd, from, big.NewInt(12345))
		if r.Status != types.ReceiptStatusFailed {
			t.Fatalf("status %d, want 0", r.Status)
		}
		if got := g.Balance(t, fwd); got.Sign() != 0 {
			t.Errorf("forwarder received %s wei from a reverted tx", got)
		}
		want := new(big.Int).Sub(before, txCost(r))
		if got := g.Balance(t, AddressOf(from)); got.Cmp(want) != 0 {
			t.Errorf("sender balance %s, want %s (only gas charged)", got, want)
		}
	})
}

func TestGethStoppedByCleanup(t *testing.T) {
	t.Parallel()
	var url string
	t.Run("node", func(t *testing.T) {
		url = StartGeth(t).HTTP
	})
	// The subtest's cleanup has run: nothing answers there any more.
	c, err := rpc.Dial(url)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	var id hexutil.Big
	if err := c.CallContext(ctx, &id, "eth_chainId"); err == nil {
		t.Fatalf("geth at %s still answers after cleanup (chain %s)", url, id.ToInt())
	}
}

func TestTailFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := map[string]struct {
		path string
		n    int
		want string
	}{
		"short file whole":     {write("a", "one\ntwo\n"), 100, "one\ntwo"},
		"partial line dropped": {write("b", "first line\nsecond\nthird\n"), 12, "third"},
		"empty":                {write("c", ""), 10, "(empty)"},
		"missing file says so": {filepath.Join(dir, "nope"), 10, "(read " + filepath.Join(dir, "nope") + ": open " + filepath.Join(dir, "nope") + ": no such file or directory)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tailFile(tc.path, tc.n); got != tc.want {
				t.Errorf("tailFile(%q, %d) = %q, want %q", tc.path, tc.n, got, tc.want)
			}
		})
	}
}

// BenchmarkGeth measures the harness's per-operation cost against one
// node: a mined ETH transfer, beside the bare cost of an RPC round trip.
func BenchmarkGeth(b *testing.B) {
	g := StartGeth(b)
	to := AddressOf(g.NewAccount(b, nil))
	b.Run("RPCRoundTrip", func(b *testing.B) {
		for b.Loop() {
			g.BlockNumber(b)
		}
	})
	b.Run("SendETHMined", func(b *testing.B) {
		for b.Loop() {
			g.SendETH(b, g.Key, to, big.NewInt(1))
		}
	})
}

// TestGethFillBlocks: under WithOneTransferPerBlock, FillBlocks makes at
// least n blocks, none with more than one transfer, and the node is a
// full node: the state 600 blocks back is gone.
func TestGethFillBlocks(t *testing.T) {
	t.Parallel()
	g := StartGeth(t, WithOneTransferPerBlock())
	ctx := t.Context()
	start := g.BlockNumber(t)
	const n = 600
	took := g.FillBlocks(t, n)
	t.Logf("%d blocks in %v (%.0f blocks/s)", n, took, n/took.Seconds())
	head := g.BlockNumber(t)
	if head < start+n {
		t.Fatalf("head %d after filling %d blocks from %d", head, n, start)
	}
	t.Logf("%d blocks made for %d transfers", head-start, n)
	for k := start + 1; k <= head; k += 7 {
		b, err := g.Client.BlockByNumber(ctx, new(big.Int).SetUint64(k))
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Transactions()) > 1 || b.GasLimit() != OneTransferGasLimit {
			t.Fatalf("block %d: %d txs, gas limit %d; want at most one, %d", k, len(b.Transactions()), b.GasLimit(), OneTransferGasLimit)
		}
	}
	_, err := g.Client.BalanceAt(ctx, g.Dev, new(big.Int).SetUint64(start))
	if err == nil {
		t.Fatalf("balance at block %d, %d blocks back: answered; want the state pruned", start, n)
	}
	t.Logf("balance %d blocks back: %v", n, err)
}
