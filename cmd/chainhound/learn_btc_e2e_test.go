package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// Issue 14, item 6, on Bitcoin through the real binary on a real btcd
// (Victor, FC 2020, on the UTXO model): the operator names an exchange's
// hot wallet. One deposit address spends its coin whole into it (a
// sweep); three more are spent together into it in one transaction (the
// exchange consolidating its deposit addresses). chainhound learns all
// four as the exchange's deposit addresses, with the sweep as evidence.
// An address that pays part of its coin to the hot wallet and keeps the
// change is not learned. A thief's payment into a learned address then
// raises the exchange's freeze alert on arrival.
func TestLearnsBitcoinDepositAddresses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd and the chainhound binary")
	}
	bin := buildBinary(t)
	b := testnodes.StartBtcd(t)
	coins := b.MatureCoins(t, 2)
	hot, sweeper, user, thief := newBtcKey(t), newBtcKey(t), newBtcKey(t), newBtcKey(t)
	deps := []*btcec.PrivateKey{newBtcKey(t), newBtcKey(t), newBtcKey(t)}

	d := newTestDaemon(t, "chains:\n"+devBitcoin(b.URL(), b.User, b.Pass)+`tracer:
  dust: { bitcoin: "1000" }
`)
	admin, exch := d.key(t, bin, "admin", "ops"), d.key(t, bin, "exchange", "exch")
	runBin(t, bin, 0, "--config", d.cfg, "watch", "add", "--chain", "bitcoin", "--kind", "exchange",
		"--address", btcAddr(t, b, hot), "--label", "Exch BTC hot wallet", "--owner", "exch")
	startDaemon(t, bin, d.cfg, d.api)
	ex := subscribe(t, d.api, exch)
	learned := func() map[string]string { // address → source
		t.Helper()
		code, body := apiCall(t, d.api, admin, "GET", "/v1/watchlist?chain=bitcoin&kind=exchange", nil)
		if code != http.StatusOK {
			t.Fatalf("watchlist: %d %s", code, body)
		}
		var out struct {
			Entries []struct{ Address, Owner, Label, Source string } `json:"entries"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, e := range out.Entries {
			if e.Owner == "exch" && e.Label == "Exch BTC hot wallet deposit (learned)" {
				m[e.Address] = e.Source
			}
		}
		return m
	}

	// Fund the deposit addresses, the sweeper and the user: 1 BTC each.
	var outs []*wire.TxOut
	for _, k := range append([]*btcec.PrivateKey{sweeper, user}, deps...) {
		outs = append(outs, wire.NewTxOut(1e8, p2wpkh(t, b, k)))
	}
	fund := b.SendTx(t, b.BuildTx(t, coins[:1], outs))
	b.Generate(t, 1)
	at := func(i uint32) wire.OutPoint { return wire.OutPoint{Hash: fund, Index: i} }

	sweep := spendP2WPKH(t, sweeper, b, at(0), 1e8, p2wpkh(t, b, hot), 1e8-10_000)
	consolidation := spendMany(t, b, []spend{{deps[0], at(2), 1e8}, {deps[1], at(3), 1e8}, {deps[2], at(4), 1e8}},
		[]*wire.TxOut{wire.NewTxOut(3e8-20_000, p2wpkh(t, b, hot))})
	spendMany(t, b, []spend{{user, at(1), 1e8}}, []*wire.TxOut{
		wire.NewTxOut(4e7, p2wpkh(t, b, hot)), wire.NewTxOut(6e7-10_000, p2wpkh(t, b, user))})
	b.Generate(t, 1)

	want := map[string]string{btcAddr(t, b, sweeper): sweep.String()}
	for _, k := range deps {
		want[btcAddr(t, b, k)] = consolidation.String()
	}
	var got map[string]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if got = learned(); len(got) >= len(want) {
			break
		}
	}
	for a, tx := range want {
		if src, ok := got[a]; !ok || !strings.Contains(src, tx) {
			t.Fatalf("learned %v; want %s from %s", got, a, tx)
		}
	}
	if _, ok := got[btcAddr(t, b, user)]; ok || len(got) != len(want) {
		t.Fatalf("learned %v; the user who kept change is not a deposit address", got)
	}

	// The thief is paid 2 BTC from the victim's coin and pays 1 BTC of it
	// into a learned deposit address.
	theft := b.SendTx(t, b.BuildTx(t, coins[1:2], []*wire.TxOut{wire.NewTxOut(2e8, p2wpkh(t, b, thief))}))
	b.Generate(t, 1)
	if code, body := apiCall(t, d.api, admin, "POST", "/v1/incidents", map[string]any{"chain": "bitcoin", "seeds": []map[string]string{{"tx": theft.String()}}}); code != http.StatusCreated {
		t.Fatalf("open incident: %d %s", code, body)
	}
	pay := spendMany(t, b, []spend{{thief, wire.OutPoint{Hash: theft, Index: 0}, 2e8}}, []*wire.TxOut{
		wire.NewTxOut(1e8, p2wpkh(t, b, deps[1])), wire.NewTxOut(1e8-10_000, p2wpkh(t, b, thief))})
	b.Generate(t, 1)
	a := ex.await(t, "bitcoin", alerts.TypeExchangeDeposit)
	if a.Tx != pay.String() || a.To != btcAddr(t, b, deps[1]) || a.Label == nil || a.Label.Owner != "exch" || a.Tainted != "100000000" {
		t.Fatalf("exchange alert %s; want the thief's 1 BTC into learned deposit address %s, all tainted", a, btcAddr(t, b, deps[1]))
	}
}

// spend is one P2WPKH coin of key.
type spend struct {
	key   *btcec.PrivateKey
	op    wire.OutPoint
	value int64
}

// spendMany spends the coins (each P2WPKH of its own key) to outs, signs
// each input with its key and sends the transaction.
func spendMany(t *testing.T, b *testnodes.Btcd, ins []spend, outs []*wire.TxOut) chainhash.Hash {
	t.Helper()
	tx := wire.NewMsgTx(2)
	prev := map[wire.OutPoint]*wire.TxOut{}
	for _, in := range ins {
		tx.AddTxIn(wire.NewTxIn(&in.op, nil, nil))
		prev[in.op] = wire.NewTxOut(in.value, p2wpkh(t, b, in.key))
	}
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prev))
	for i, in := range ins {
		w, err := txscript.WitnessSignature(tx, hashes, i, in.value, p2wpkh(t, b, in.key), txscript.SigHashAll, in.key, true)
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[i].Witness = w
	}
	return b.SendTx(t, tx)
}
