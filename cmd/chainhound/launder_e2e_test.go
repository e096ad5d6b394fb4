package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Issue 14's laundering run, end to end through the real binary on a real
// geth --dev and a real btcd regtest, every alert asserted to the wei and
// the satoshi. ETH stolen on Ethereum is split between two depositors, who
// each pay a note into a Tornado pool (two clean notes there already). A
// relayer takes one note out to its depositor (address match, 0.95) and
// one to a fresh address (the pool's share, 0.35), which pays an Ethereum
// exchange. The matched depositor swaps ETH to BTC through the THORChain
// router; the vault (a key the test holds) pays out on Bitcoin with
// OUT:<swap>. The coins are peeled three times, mixed in a Whirlpool-shaped
// CoinJoin and the mixed coin paid into an exchange's Bitcoin deposit
// address: its freeze alert's path runs from the theft on Ethereum. The
// first peel swaps back to ETH (OP_RETURN =:e:<address> to the vault, the
// router's TransferOut with OUT:<txid>) and lands at the Ethereum exchange.
//
// Run with the Bitcoin follower ahead (the Ethereum follower's RPC held:
// the payout, the peels, the CoinJoin and the deposit are applied before
// the swap, which then joins the payout) and behind (the Bitcoin
// follower's RPC held: the swap back's payout on Ethereum is applied
// before its inbound). A chain's confirmations would not order them:
// blocks are applied at the head.
func TestLaunderingRun(t *testing.T) {
	for _, order := range []string{"bitcoin ahead", "bitcoin behind"} {
		t.Run(order, func(t *testing.T) { launderRun(t, order == "bitcoin ahead") })
	}
}

func launderRun(t *testing.T, bitcoinAhead bool) {
	if testing.Short() {
		t.Skip("starts geth, btcd and the chainhound binary")
	}
	start := time.Now()
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	b := testnodes.StartBtcd(t)
	coins := b.MatureCoins(t, 2)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	milli := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e15)) }
	denom := eth(10)

	deployer, victim := g.NewAccount(t, eth(5)), g.NewAccount(t, eth(100))
	relayer, ethVaultKey := g.NewAccount(t, eth(1)), g.NewAccount(t, eth(5))
	thief, depA, depB, fresh, ethDest := newEthKey(t), newEthKey(t), newEthKey(t), newEthKey(t), newEthKey(t)
	thiefAddr, aAddr, bAddr := crypto.PubkeyToAddress(thief.PublicKey), crypto.PubkeyToAddress(depA.PublicKey), crypto.PubkeyToAddress(depB.PublicKey)
	freshAddr, destAddr := crypto.PubkeyToAddress(fresh.PublicKey), crypto.PubkeyToAddress(ethDest.PublicKey)
	relayerAddr, ethVault := crypto.PubkeyToAddress(relayer.PublicKey), crypto.PubkeyToAddress(ethVaultKey.PublicKey)
	ethEx := crypto.PubkeyToAddress(newEthKey(t).PublicKey)
	pool := g.DeployTornadoPool(t, deployer, denom)
	router := g.DeployTHORChainRouter(t, deployer)

	btcVault, btcEx := newBtcKey(t), newBtcKey(t)
	t0, t1, t2, t3, t4 := newBtcKey(t), newBtcKey(t), newBtcKey(t), newBtcKey(t), newBtcKey(t) // the thief's coins
	p1, p2, p3 := newBtcKey(t), newBtcKey(t), newBtcKey(t)                                     // what the peels pay
	makers := []*btcec.PrivateKey{newBtcKey(t), newBtcKey(t), newBtcKey(t), newBtcKey(t)}
	mixed := []*btcec.PrivateKey{newBtcKey(t), newBtcKey(t), newBtcKey(t), newBtcKey(t)} // the makers' mixed coins

	ethGate, btcGate := newRPCGate(t, g.HTTP), newRPCGate(t, b.URL())
	d := newTestDaemon(t, "chains:\n"+devEthereum(ethGate.URL, 1)+devBitcoin(btcGate.URL, b.User, b.Pass)+`tracer:
  dust: { ethereum: "1000000000000000", bitcoin: "1000" }
`)
	api := d.api
	admin, exch := d.key(t, bin, "admin", "ops"), d.key(t, bin, "exchange", "exch")
	for _, args := range [][]string{
		{"--chain", "ethereum", "--kind", "mixer", "--protocol", "tornado", "--address", pool.Hex(), "--label", "Tornado.Cash: 10 ETH (test)", "--owner", "ops"},
		{"--chain", "ethereum", "--kind", "bridge", "--protocol", "thorchain", "--address", router.Hex(), "--label", "THORChain router (test)", "--owner", "ops"},
		{"--chain", "bitcoin", "--kind", "bridge", "--protocol", "thorchain", "--address", btcAddr(t, b, btcVault), "--label", "THORChain BTC vault (test)", "--owner", "ops"},
		{"--chain", "ethereum", "--kind", "exchange", "--address", ethEx.Hex(), "--label", "Exchange ETH deposit", "--owner", "exch"},
		{"--chain", "bitcoin", "--kind", "exchange", "--address", btcAddr(t, b, btcEx), "--label", "Exchange BTC deposit", "--owner", "exch"},
	} {
		runBin(t, bin, 0, append([]string{"--config", d.cfg, "watch", "add"}, args...)...)
	}
	startDaemon(t, bin, d.cfg, api)
	ops, ex := subscribe(t, api, admin), subscribe(t, api, exch)

	processed := func(chain string) uint64 { t.Helper(); return chainProcessed(t, api, chain) }
	// settleETH and settleBTC wait until the tracer has applied every
	// block of the chain mined so far.
	settleETH := func() {
		t.Helper()
		tip := g.BlockNumber(t)
		testnodes.WaitFor(t, 30*time.Second, "ethereum applied", func() bool { return processed("ethereum") >= tip })
	}
	settleBTC := func() {
		t.Helper()
		_, tip := b.Tip(t)
		testnodes.WaitFor(t, 30*time.Second, "bitcoin applied", func() bool { return processed("bitcoin") >= uint64(tip) })
	}

	// The anonymity set: two clean notes.
	note := func(i int) [32]byte { return common.BigToHash(big.NewInt(int64(i))) }
	for i := range 2 {
		g.TornadoDeposit(t, pool, g.NewAccount(t, eth(11)), note(100+i), denom)
	}

	// The theft, and the incident on it.
	theft := g.SendETH(t, victim, thiefAddr, eth(40))
	settleETH()
	if code, rb := apiCall(t, api, admin, "POST", "/v1/incidents", map[string]any{
		"title": "laundering run", "chain": "ethereum", "seeds": []map[string]string{{"tx": theft.TxHash.Hex()}},
	}); code != http.StatusCreated {
		t.Fatalf("open incident: %d %s", code, rb)
	}

	// Split: two depositors get a note each and a little gas (what is left
	// after it is below dust), and pay it in.
	gas := big.NewInt(900_000_000_000_000)
	splitA := g.SendETH(t, thief, aAddr, new(big.Int).Add(denom, gas))
	g.SendETH(t, thief, bAddr, new(big.Int).Add(denom, gas))
	depositA := g.TornadoDeposit(t, pool, depA, note(1), denom)
	depositB := g.TornadoDeposit(t, pool, depB, note(2), denom)

	// W1: a relayer takes a note out to depositor A: address match, 0.95
	// of A's note, split between A and the relayer by what each was paid.
	fee1, fee2 := milli(100), milli(200)
	w1 := g.TornadoWithdraw(t, pool, relayer, aAddr, note(1001), relayerAddr, fee1)
	payout1 := new(big.Int).Sub(denom, fee1)
	take1 := new(big.Int).Div(new(big.Int).Mul(denom, big.NewInt(950_000_000)), big.NewInt(1e9))
	tainted1 := new(big.Int).Div(new(big.Int).Mul(take1, payout1), denom)

	// W2: a relayed withdrawal to a fresh address: the pool's share. Three
	// notes are unmatched (two clean, B's, and 5% of A's): 1.05/3 = 0.35
	// of the incident's 10.5 ETH still in the pool, a third of it taken.
	w2 := g.TornadoWithdraw(t, pool, relayer, freshAddr, note(1002), relayerAddr, fee2)
	payout2 := new(big.Int).Sub(denom, fee2)
	take2 := new(big.Int).Div(new(big.Int).Sub(eth(20), take1), big.NewInt(3))
	tainted2 := new(big.Int).Div(new(big.Int).Mul(take2, payout2), denom)
	// The fresh address pays 5 of its 9.8 ETH into the exchange.
	freshDep := g.SendETH(t, fresh, ethEx, eth(5))
	freshDepTainted := new(big.Int).Div(new(big.Int).Mul(eth(5), tainted2), payout2)

	// A swaps 9 ETH to BTC, to the thief's Bitcoin address.
	balA := g.Balance(t, aAddr) // its dust left after the deposit, and W1's payout
	settleETH()
	if bitcoinAhead {
		ethGate.hold() // the Ethereum follower does not see the swap yet
	}
	swapIn := eth(9)
	swap := g.THORChainDeposit(t, router, depA, ethVault, swapIn, "=:b:"+btcAddr(t, b, t0)+":0/1/0")
	swapTainted := new(big.Int).Div(new(big.Int).Mul(swapIn, tainted1), balA)

	// Bitcoin: the vault is funded, and pays the swap out (its change back
	// to itself); four makers are funded for the Whirlpool round.
	const payoutSat = 60_000_000
	vaultScript := p2wpkh(t, b, btcVault)
	fund := b.BuildTx(t, coins[:1], []*wire.TxOut{wire.NewTxOut(100_000_000, vaultScript)})
	fundID := b.SendTx(t, fund)
	makerValues := []int64{50_000_000, 50_010_000, 50_020_000, 50_030_000}
	var makerOuts []*wire.TxOut
	for i, k := range makers {
		makerOuts = append(makerOuts, wire.NewTxOut(makerValues[i], p2wpkh(t, b, k)))
	}
	makerID := b.SendTx(t, b.BuildTx(t, coins[1:], makerOuts))
	outMemo := "OUT:" + strings.ToUpper(strings.TrimPrefix(swap.TxHash.Hex(), "0x"))
	payout := spendMany(t, b, []spend{{btcVault, wire.OutPoint{Hash: fundID, Index: 0}, 100_000_000}}, []*wire.TxOut{
		wire.NewTxOut(payoutSat, p2wpkh(t, b, t0)), wire.NewTxOut(0, testnodes.NullData(t, []byte(outMemo))),
		wire.NewTxOut(100_000_000-payoutSat-10_000, vaultScript)})
	b.Generate(t, 1)
	if !bitcoinAhead {
		settleETH()
	}
	payoutTainted := new(big.Int).Div(new(big.Int).Mul(big.NewInt(payoutSat), swapTainted), swapIn).Int64()

	// haircut is a Bitcoin output's taint: min(v, ⌊v·T/Σin⌋).
	haircut := func(v, T, sumIn int64) int64 {
		x := new(big.Int).Div(new(big.Int).Mul(big.NewInt(v), big.NewInt(T)), big.NewInt(sumIn)).Int64()
		return min(x, v)
	}
	// The peel chain: each hop peels a little off to a fresh address and
	// pays the rest on, 10,000 sat of fee.
	type peel struct {
		from, peel, next *btcec.PrivateKey
		in, off          int64
	}
	peels := []peel{{t0, p1, t1, payoutSat, 4_000_000}, {t1, p2, t2, 55_990_000, 3_000_000}, {t2, p3, t3, 52_980_000, 2_920_000}}
	prev, taint := wire.OutPoint{Hash: payout, Index: 0}, payoutTainted
	var peelTxs []chainhash.Hash
	var peelTaint []int64 // what each peeled output holds
	for _, p := range peels {
		rest := p.in - p.off - 10_000
		id := spendMany(t, b, []spend{{p.from, prev, p.in}}, []*wire.TxOut{
			wire.NewTxOut(p.off, p2wpkh(t, b, p.peel)), wire.NewTxOut(rest, p2wpkh(t, b, p.next))})
		b.Generate(t, 1)
		peelTxs = append(peelTxs, id)
		peelTaint = append(peelTaint, haircut(p.off, taint, p.in))
		prev, taint = wire.OutPoint{Hash: id, Index: 1}, haircut(rest, taint, p.in)
	}
	if taint <= 0 {
		t.Fatalf("the peel chain's last output holds no taint by the test's own arithmetic (payout taint %d)", payoutTainted)
	}
	// The Whirlpool round (0.5 BTC pool): the thief's 50,050,000 sat and the
	// four makers in, five outputs of 50,000,000 out (the thief's third).
	const poolSize = 50_000_000
	mixIns := []spend{{t3, prev, 50_050_000}}
	for i, k := range makers {
		mixIns = append(mixIns, spend{k, wire.OutPoint{Hash: makerID, Index: uint32(i)}, makerValues[i]})
	}
	mixIn := int64(50_050_000 + 50_000_000 + 50_010_000 + 50_020_000 + 50_030_000)
	mixTainted := taint
	mix := spendMany(t, b, mixIns, []*wire.TxOut{
		wire.NewTxOut(poolSize, p2wpkh(t, b, mixed[0])), wire.NewTxOut(poolSize, p2wpkh(t, b, mixed[1])), wire.NewTxOut(poolSize, p2wpkh(t, b, t4)),
		wire.NewTxOut(poolSize, p2wpkh(t, b, mixed[2])), wire.NewTxOut(poolSize, p2wpkh(t, b, mixed[3]))})
	b.Generate(t, 1)
	mixedTaint := haircut(poolSize, mixTainted, 5*poolSize) // evenly over the equal outputs
	// The thief's mixed coin goes into the exchange.
	btcDep := spendMany(t, b, []spend{{t4, wire.OutPoint{Hash: mix, Index: 2}, poolSize}}, []*wire.TxOut{
		wire.NewTxOut(poolSize-10_000, p2wpkh(t, b, btcEx))})
	b.Generate(t, 1)
	btcDepTainted := haircut(poolSize-10_000, mixedTaint, poolSize)
	settleBTC()
	if bitcoinAhead {
		// The payout, the peels, the CoinJoin and the deposit were all
		// applied while the swap was not: when it comes, it joins the
		// payout and the Bitcoin blocks after it are applied again.
		ethGate.release()
		settleETH()
		settleBTC()
	}

	// The swap back: the first peel pays the vault with =:e:<address>;
	// the Ethereum vault pays out through the router with OUT:<txid>.
	back := spendMany(t, b, []spend{{p1, wire.OutPoint{Hash: peelTxs[0], Index: 0}, 4_000_000}}, []*wire.TxOut{
		wire.NewTxOut(3_990_000, vaultScript),
		wire.NewTxOut(0, testnodes.NullData(t, []byte("=:e:"+strings.ToLower(destAddr.Hex())+":0")))})
	if !bitcoinAhead {
		btcGate.hold() // the Bitcoin follower does not see the swap back yet
	}
	b.Generate(t, 1)
	backTainted := haircut(3_990_000, peelTaint[0], 4_000_000)
	if bitcoinAhead {
		settleBTC() // the inbound first, as THORChain sees it
	}
	backOut := milli(500)
	transferOut := g.THORChainTransferOut(t, router, ethVaultKey, destAddr, backOut, "OUT:"+strings.ToUpper(back.String()))
	backOutTainted := new(big.Int).Div(new(big.Int).Mul(backOut, big.NewInt(backTainted)), big.NewInt(3_990_000))
	// Bitcoin behind: the payout is applied before its inbound; the
	// inbound's block then completes the join.
	settleETH()
	if !bitcoinAhead {
		btcGate.release()
	}
	settleBTC()
	ethDep := g.SendETH(t, ethDest, ethEx, milli(400))
	ethDepTainted := new(big.Int).Div(new(big.Int).Mul(milli(400), backOutTainted), backOut)
	settleETH()

	// Every alert, as the admin sees it: per chain in the order raised,
	// each taint alert confirmed once.
	type hop struct{ chain, tx string }
	type wantAlert struct {
		chain, typ, tx, to string
		amount, tainted    *big.Int
		confidence         float64
		heuristics         []string
		label              string
		dest               *alerts.Dest
		path               []hop // nil: only its last hop is checked
	}
	e := func(h common.Hash) hop { return hop{"ethereum", h.Hex()} }
	bt := func(h chainhash.Hash) hop { return hop{"bitcoin", h.String()} }
	n := func(v int64) *big.Int { return big.NewInt(v) }
	toA := func(pre []hop, more ...hop) []hop { return append(slices.Clone(pre), more...) }
	throughW1 := []hop{e(theft.TxHash), e(splitA.TxHash), e(depositA.TxHash), e(w1.TxHash)}
	toBTC := toA(throughW1, e(swap.TxHash), bt(payout))
	wantETH := []wantAlert{
		{"ethereum", alerts.TypeMixerDeposit, depositA.TxHash.Hex(), pool.Hex(), denom, denom, 1, nil, "Tornado.Cash: 10 ETH (test)", nil, throughW1[:3]},
		{"ethereum", alerts.TypeMixerDeposit, depositB.TxHash.Hex(), pool.Hex(), denom, denom, 1, nil, "Tornado.Cash: 10 ETH (test)", nil, nil},
		{"ethereum", alerts.TypeMixerWithdrawal, w1.TxHash.Hex(), aAddr.Hex(), payout1, tainted1, 0.95, []string{"address_match"}, "", nil, throughW1},
		{"ethereum", alerts.TypeMixerWithdrawal, w2.TxHash.Hex(), freshAddr.Hex(), payout2, tainted2, 0.35, nil, "", nil, nil},
		{"ethereum", alerts.TypeExchangeDeposit, freshDep.TxHash.Hex(), ethEx.Hex(), eth(5), freshDepTainted, 0.35, nil, "Exchange ETH deposit", nil, nil},
		{"ethereum", alerts.TypeBridge, swap.TxHash.Hex(), router.Hex(), swapIn, swapTainted, 0.95, nil, "THORChain router (test)",
			&alerts.Dest{Chain: "bitcoin", Address: btcAddr(t, b, t0), Asset: "BTC.BTC"}, toA(throughW1, e(swap.TxHash))},
		{"ethereum", alerts.TypeExchangeDeposit, ethDep.TxHash.Hex(), ethEx.Hex(), milli(400), ethDepTainted, 0.95, nil, "Exchange ETH deposit", nil,
			toA(toBTC, bt(peelTxs[0]), bt(back), e(transferOut.TxHash), e(ethDep.TxHash))},
	}
	wantBTC := []wantAlert{
		{"bitcoin", alerts.TypeCoinJoin, mix.String(), mix.String(), n(mixIn), n(mixTainted), 0.95, nil, "whirlpool coinjoin", nil,
			toA(toBTC, bt(peelTxs[0]), bt(peelTxs[1]), bt(peelTxs[2]))},
		{"bitcoin", alerts.TypeExchangeDeposit, btcDep.String(), btcAddr(t, b, btcEx), n(poolSize - 10_000), n(btcDepTainted), 0.95, nil, "Exchange BTC deposit", nil,
			toA(toBTC, bt(peelTxs[0]), bt(peelTxs[1]), bt(peelTxs[2]), bt(mix), bt(btcDep))},
		{"bitcoin", alerts.TypeBridge, back.String(), btcAddr(t, b, btcVault), n(3_990_000), n(backTainted), 0.95, nil, "THORChain BTC vault (test)",
			&alerts.Dest{Chain: "ethereum", Address: strings.ToLower(destAddr.Hex()), Asset: "ETH.ETH"}, toA(toBTC, bt(peelTxs[0]), bt(back))},
	}
	got := ops.wait(t, 2*(len(wantETH)+len(wantBTC)))
	// The REST listing says the same as the websocket.
	code, rb := apiCall(t, api, admin, "GET", "/v1/alerts?since=0&limit=100", nil)
	var listed struct{ Alerts []alerts.Alert }
	if err := json.Unmarshal(rb, &listed); err != nil || code != http.StatusOK {
		t.Fatalf("GET /v1/alerts: %d %v %s", code, err, rb)
	}
	if len(listed.Alerts) != len(got) {
		t.Fatalf("GET /v1/alerts lists %d alerts, the websocket sent %d", len(listed.Alerts), len(got))
	}
	for i, a := range listed.Alerts {
		if a.String() != got[i].String() {
			t.Errorf("GET /v1/alerts alert %d:\n%s\nthe websocket's:\n%s", i, a, got[i])
		}
	}
	confirmed := map[uint64]int{}
	byChain := map[string][]alerts.Alert{}
	for _, a := range got {
		if a.Type == alerts.TypeConfirmed {
			if a.Confirms != nil {
				confirmed[*a.Confirms]++
			}
			continue
		}
		byChain[a.Chain] = append(byChain[a.Chain], a)
	}
	for _, c := range []struct {
		chain string
		want  []wantAlert
	}{{"ethereum", wantETH}, {"bitcoin", wantBTC}} {
		as := byChain[c.chain]
		if len(as) != len(c.want) {
			t.Fatalf("%d %s alerts, want %d: %v", len(as), c.chain, len(c.want), as)
		}
		for i, w := range c.want {
			a := as[i]
			what := fmt.Sprintf("%s alert %d (%s)", c.chain, i, w.typ)
			if a.Type != w.typ || a.Tx != w.tx || !strings.EqualFold(a.To, w.to) || a.Amount != w.amount.String() || a.Tainted != w.tainted.String() {
				t.Errorf("%s: %s %s to %s amount %s tainted %s; want %s %s to %s amount %s tainted %s", what,
					a.Type, a.Tx, a.To, a.Amount, a.Tainted, w.typ, w.tx, w.to, w.amount, w.tainted)
			}
			if a.Confidence != w.confidence || !slices.Equal(a.Heuristics, w.heuristics) {
				t.Errorf("%s: confidence %v heuristics %v; want %v %v", what, a.Confidence, a.Heuristics, w.confidence, w.heuristics)
			}
			if a.Incident == "" || (w.label != "") != (a.Label != nil) || a.Label != nil && a.Label.Name != w.label {
				t.Errorf("%s: incident %q label %+v; want the incident's, label %q", what, a.Incident, a.Label, w.label)
			}
			if (w.dest == nil) != (a.Dest == nil) || w.dest != nil && *a.Dest != *w.dest {
				t.Errorf("%s: dest %+v; want %+v", what, a.Dest, w.dest)
			}
			if confirmed[a.Seq] != 1 {
				t.Errorf("%s: confirmed %d times, want once", what, confirmed[a.Seq])
			}
			if len(a.Path) == 0 || a.Hops != len(a.Path) || a.Path[0].Tx != theft.TxHash.Hex() || a.Path[len(a.Path)-1].Chain != c.chain {
				t.Errorf("%s: hops %d, path %+v; want it from the theft to this chain", what, a.Hops, a.Path)
				continue
			}
			if w.path == nil && a.Path[len(a.Path)-1].Tx != w.tx {
				t.Errorf("%s: path %+v; want it to end with its own transaction", what, a.Path)
			}
			if w.path != nil {
				var p []hop
				for _, h := range a.Path {
					p = append(p, hop{h.Chain, h.Tx})
				}
				if !slices.Equal(p, w.path) {
					t.Errorf("%s: path %v; want %v", what, p, w.path)
				}
			}
			// Each hop out of a service names it; every hop is between
			// addresses (a Bitcoin output's holder, not "txid:vout").
			for _, h := range a.Path {
				if strings.Contains(h.From, ":") || strings.Contains(h.To, ":") {
					t.Errorf("%s: hop %+v; want its from and to addresses", what, h)
				}
				switch {
				case h.Tx == w1.TxHash.Hex() || h.Tx == w2.TxHash.Hex():
					conf := map[bool]float64{true: 0.95, false: 0.35}[h.Tx == w1.TxHash.Hex()]
					if h.Via == nil || h.Via.Kind != "mixer" || h.Via.Protocol != "tornado" || h.Via.Label != "Tornado.Cash: 10 ETH (test)" || h.Confidence != conf {
						t.Errorf("%s: hop %+v via %+v; want the tornado pool at %v", what, h, h.Via, conf)
					}
				case h.Tx == payout.String() || h.Tx == transferOut.TxHash.Hex():
					label := map[bool]string{true: "THORChain router (test)", false: "THORChain BTC vault (test)"}[h.Tx == payout.String()]
					if h.Via == nil || h.Via.Kind != "bridge" || h.Via.Protocol != "thorchain" || h.Via.Label != label || h.Confidence != 0 {
						t.Errorf("%s: hop %+v via %+v; want out of %s, certain", what, h, h.Via, label)
					}
				case h.Via != nil || h.Confidence != 0:
					t.Errorf("%s: hop %+v via %+v at %v; want no service, certain", what, h, h.Via, h.Confidence)
				}
			}
		}
	}
	// The exchange's own key sees its three deposits, the same alerts.
	var deps []uint64
	for _, a := range ex.wait(t, 6) {
		if a.Type == alerts.TypeExchangeDeposit {
			deps = append(deps, a.Seq)
		}
	}
	var wantDeps []uint64
	for _, a := range got {
		if a.Type == alerts.TypeExchangeDeposit {
			wantDeps = append(wantDeps, a.Seq)
		}
	}
	if len(wantDeps) != 3 || !slices.Equal(deps, wantDeps) {
		t.Errorf("the exchange saw deposits %v, want %v", deps, wantDeps)
	}
	t.Logf("wall time %s", time.Since(start))
}

// wait returns the first n alerts (more, if any came), failing after 30s.
func (s *subscriber) wait(t *testing.T, n int) []alerts.Alert {
	t.Helper()
	testnodes.WaitFor(t, 30*time.Second, fmt.Sprintf("%d alerts", n), func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.got) >= n
	})
	time.Sleep(500 * time.Millisecond) // none more
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}
