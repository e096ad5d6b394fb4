package main

import (
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/crypto"
)

// Issue 14's freeze alert across chains, through the real binary on a real
// geth --dev and a real btcd regtest: ETH is stolen on Ethereum and swapped
// to BTC through a router contract that emits THORChain's router events
// (the operator labels it a thorchain bridge); the vault — a key the test
// holds — pays out on Bitcoin with OP_RETURN "OUT:<swap tx>"; the thief
// hops the coins and deposits them at an exchange that watches its Bitcoin
// deposit address. The exchange gets the freeze alert with the whole path,
// from the theft on Ethereum to its deposit on Bitcoin. Run with the
// Bitcoin follower behind the Ethereum one and ahead of it (Ethereum
// confirmations hold the swap back until the payout is applied).
func TestTHORChainSwapReachesBitcoinExchange(t *testing.T) {
	for _, order := range []string{"ethereum first", "bitcoin first"} {
		t.Run(order, func(t *testing.T) { thorchainRun(t, order == "bitcoin first", false) })
	}
}

// TestTHORChainRoundTrip: the stolen ETH swapped to BTC, then the BTC
// swapped back to ETH (paid to a THORChain vault the operator labels, with
// "=:e:<address>" in an OP_RETURN; the Ethereum vault pays out through the
// router with OUT:<the Bitcoin txid>), and deposited at an Ethereum
// exchange: its freeze alert's path runs Ethereum → Bitcoin → Ethereum.
func TestTHORChainRoundTrip(t *testing.T) { thorchainRun(t, false, true) }

func thorchainRun(t *testing.T, bitcoinFirst, roundTrip bool) {
	if testing.Short() {
		t.Skip("starts geth, btcd and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	b := testnodes.StartBtcd(t)
	coins := b.MatureCoins(t, 1)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	victim := g.NewAccount(t, eth(100))
	thief := newEthKey(t)
	thiefAddr := crypto.PubkeyToAddress(thief.PublicKey)
	router := g.DeployTHORChainRouter(t, victim)
	ethVaultKey := g.NewAccount(t, eth(50))
	ethVault := crypto.PubkeyToAddress(ethVaultKey.PublicKey)
	btcVault := newBtcKey(t)
	ethDest := newEthKey(t)
	ethEx := crypto.PubkeyToAddress(newEthKey(t).PublicKey)
	btcThief, btcHop, btcEx := newBtcKey(t), newBtcKey(t), newBtcKey(t)
	confirmations := 1
	if bitcoinFirst {
		confirmations = 4
	}

	d := newTestDaemon(t, "chains:\n"+devEthereum(g.WS, confirmations)+devBitcoin(b.URL(), b.User, b.Pass)+`tracer:
  dust: { ethereum: "1000000000000000", bitcoin: "1000" }
`)
	api, cfg := d.api, d.cfg
	admin, exch := d.key(t, bin, "admin", "ops"), d.key(t, bin, "exchange", "exch")
	runBin(t, bin, 0, "--config", cfg, "watch", "add", "--chain", "ethereum", "--kind", "bridge", "--protocol", "thorchain",
		"--address", router.Hex(), "--label", "THORChain router (test)", "--owner", "ops")
	runBin(t, bin, 0, "--config", cfg, "watch", "add", "--chain", "bitcoin", "--kind", "exchange",
		"--address", btcAddr(t, b, btcEx), "--label", "Exchange BTC deposit", "--owner", "exch")
	runBin(t, bin, 0, "--config", cfg, "watch", "add", "--chain", "bitcoin", "--kind", "bridge", "--protocol", "thorchain",
		"--address", btcAddr(t, b, btcVault), "--label", "THORChain BTC vault (test)", "--owner", "ops")
	runBin(t, bin, 0, "--config", cfg, "watch", "add", "--chain", "ethereum", "--kind", "exchange",
		"--address", ethEx.Hex(), "--label", "Exchange ETH deposit", "--owner", "exch")
	startDaemon(t, bin, cfg, api)
	ops, ex := subscribe(t, api, admin), subscribe(t, api, exch)
	post := func(path string, body any) {
		t.Helper()
		if code, rb := apiCall(t, api, admin, "POST", path, body); code != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", path, code, rb)
		}
	}
	processed := func(chain string) uint64 { t.Helper(); return chainProcessed(t, api, chain) }

	theft := g.SendETH(t, victim, thiefAddr, eth(20))
	if bitcoinFirst {
		g.MineBlocks(t, confirmations)
	}
	post("/v1/incidents", map[string]any{"chain": "ethereum", "seeds": []map[string]string{{"tx": theft.TxHash.Hex()}}})
	dest := btcAddr(t, b, btcThief)
	swap := g.THORChainDeposit(t, router, thief, ethVault, eth(10), "=:b:"+dest+":0/1/0")

	payout := func() {
		memo := "OUT:" + strings.ToUpper(strings.TrimPrefix(swap.TxHash.Hex(), "0x"))
		null, err := txscript.NullDataScript([]byte(memo))
		if err != nil {
			t.Fatal(err)
		}
		pay := b.SendTx(t, b.BuildTx(t, coins, []*wire.TxOut{wire.NewTxOut(50_000_000, p2wpkh(t, b, btcThief)), wire.NewTxOut(0, null)}))
		hashes := b.Generate(t, 1)
		_ = hashes
		if roundTrip {
			swapBack(t, b, btcThief, wire.OutPoint{Hash: pay, Index: 0}, 50_000_000, p2wpkh(t, b, btcVault),
				"=:e:"+strings.ToLower(crypto.PubkeyToAddress(ethDest.PublicKey).Hex())+":0", func(back string) {
					// THORChain pays out once it has seen the inbound: the
					// Bitcoin follower has applied it by then.
					_, tip := b.Tip(t)
					deadline := time.Now().Add(30 * time.Second)
					for processed("bitcoin") < uint64(tip) && time.Now().Before(deadline) {
						time.Sleep(100 * time.Millisecond)
					}
					g.THORChainTransferOut(t, router, ethVaultKey, crypto.PubkeyToAddress(ethDest.PublicKey), eth(9), "OUT:"+strings.ToUpper(back))
					dep := g.SendETH(t, ethDest, ethEx, eth(8))
					a := ex.await(t, "ethereum", alerts.TypeExchangeDeposit)
					if a.Tx != dep.TxHash.Hex() || a.Incident == "" || a.Tainted == "0" {
						t.Fatalf("ethereum exchange alert %s; want %s, tainted", a, dep.TxHash.Hex())
					}
					chainsOf := ""
					for _, h := range a.Path {
						if len(chainsOf) == 0 || !strings.HasSuffix(chainsOf, h.Chain) {
							chainsOf += ">" + h.Chain
						}
					}
					if chainsOf != ">ethereum>bitcoin>ethereum" || a.Path[0].Tx != theft.TxHash.Hex() {
						t.Fatalf("path %+v runs %s; want ethereum, bitcoin, ethereum from the theft", a.Path, chainsOf)
					}
				})
			return
		}
		hop := spendP2WPKH(t, btcThief, b, wire.OutPoint{Hash: pay, Index: 0}, 50_000_000, p2wpkh(t, b, btcHop), 49_990_000)
		b.Generate(t, 1)
		dep := spendP2WPKH(t, btcHop, b, wire.OutPoint{Hash: hop, Index: 0}, 49_990_000, p2wpkh(t, b, btcEx), 49_980_000)
		b.Generate(t, 1)
		_, tip := b.Tip(t)
		if bitcoinFirst {
			// The Bitcoin follower applies the payout and the deposit
			// while the swap still waits for its confirmations.
			deadline := time.Now().Add(30 * time.Second)
			for processed("bitcoin") < uint64(tip) && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
			}
			if processed("bitcoin") < uint64(tip) {
				t.Fatalf("bitcoin not processed to %d", tip)
			}
			g.MineBlocks(t, confirmations)
		}
		a := ex.await(t, "bitcoin", alerts.TypeExchangeDeposit)
		// Its share of the theft is unknown across units (0): the
		// severity is the type's, critical, not lowered.
		if a.Tx != dep.String() || a.Amount != "49980000" || a.Tainted != "49980000" || a.Incident == "" || a.Severity != alerts.Critical {
			t.Fatalf("bitcoin exchange alert %s; want %s, all 49,980,000 sat tainted, the Ethereum incident's", a, dep)
		}
		if len(a.Path) < 5 || a.Path[0].Chain != "ethereum" || a.Path[0].Tx != theft.TxHash.Hex() || a.Path[len(a.Path)-1].Chain != "bitcoin" {
			t.Fatalf("path %+v; want the theft on ethereum first and the deposit on bitcoin last", a.Path)
		}
	}
	if bitcoinFirst {
		payout()
	}
	br := ops.await(t, "ethereum", alerts.TypeBridge)
	if br.Tx != swap.TxHash.Hex() || br.Dest == nil || br.Dest.Chain != "bitcoin" || br.Dest.Address != dest || br.Dest.Asset != "BTC.BTC" {
		t.Fatalf("bridge alert %s; want the swap, dest bitcoin %s BTC.BTC", br, dest)
	}
	if !bitcoinFirst {
		payout()
	}
}

// swapBack spends key's output op (value) to a THORChain vault script with
// memo in an OP_RETURN, mines it, and calls paid with the txid.
func swapBack(t *testing.T, b *testnodes.Btcd, key *btcec.PrivateKey, op wire.OutPoint, value int64, vault []byte, memo string, paid func(txid string)) {
	t.Helper()
	null, err := txscript.NullDataScript([]byte(memo))
	if err != nil {
		t.Fatal(err)
	}
	prevScript := p2wpkh(t, b, key)
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	tx.AddTxOut(wire.NewTxOut(value-10_000, vault))
	tx.AddTxOut(wire.NewTxOut(0, null))
	fetcher := txscript.NewCannedPrevOutputFetcher(prevScript, value)
	w, err := txscript.WitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher), 0, value, prevScript, txscript.SigHashAll, key, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = w
	id := b.SendTx(t, tx)
	b.Generate(t, 1)
	paid(id.String())
}
