package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/watchlists"
)

// Screening on real btcd flows through the daemon's API, to the satoshi:
// a payee paid from a DPRK-labelled address is severe (1 hop); one paid
// by an intermediary that the DPRK address paid is two hops away, with
// the path's transaction ids and the carried amount (the DPRK address's
// haircut share of the intermediary's inflow); a payee of clean funds is
// none; the labelled address itself is direct; an open incident's taint,
// which the tracer holds as an outpoint, is the direct exposure of the
// address that outpoint pays. The batch answers in order.
func TestScreenOnBtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd")
	}
	b := testnodes.StartBtcd(t)
	coins := b.MatureCoins(t, 2)
	key := func() *btcec.PrivateKey {
		k, err := btcec.NewPrivateKey()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	dprk, mid, payee1, payee2, clean, thief := key(), key(), key(), key(), key(), key()
	addr := func(k *btcec.PrivateKey) string {
		a, err := address.NewAddressWitnessPubKeyHash(address.Hash160(k.PubKey().SerializeCompressed()), b.Params)
		if err != nil {
			t.Fatal(err)
		}
		return a.EncodeAddress()
	}
	script := func(k *btcec.PrivateKey) []byte {
		a, err := address.DecodeAddress(addr(k), b.Params)
		if err != nil {
			t.Fatal(err)
		}
		s, err := txscript.PayToAddrScript(a)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	type coin struct {
		op    wire.OutPoint
		value int64
	}
	// spend spends key's coins to outs, signed, and sends it.
	spend := func(k *btcec.PrivateKey, ins []coin, outs ...*wire.TxOut) chainhash.Hash {
		t.Helper()
		tx := wire.NewMsgTx(2)
		prev := map[wire.OutPoint]*wire.TxOut{}
		for _, in := range ins {
			tx.AddTxIn(wire.NewTxIn(&in.op, nil, nil))
			prev[in.op] = wire.NewTxOut(in.value, script(k))
		}
		for _, o := range outs {
			tx.AddTxOut(o)
		}
		hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prev))
		for i, in := range ins {
			w, err := txscript.WitnessSignature(tx, hashes, i, in.value, script(k), txscript.SigHashAll, k, true)
			if err != nil {
				t.Fatal(err)
			}
			tx.TxIn[i].Witness = w
		}
		return b.SendTx(t, tx)
	}

	d, base := daemontest.Start(t, fmt.Sprintf(`
chains:
  bitcoin:
    network: regtest
    rpc: %s
    rpc_user: %s
    rpc_password: %s
    confirmations: 1
    start_block: latest
    poll_interval: 100ms
index: { retain: 30d }
`, b.URL(), b.User, b.Pass), func(ctx context.Context, d *daemon.Daemon) {
		if _, err := d.Registry.Add(ctx, watchlists.Entry{Chain: chains.Bitcoin, Address: addr(dprk), Kind: watchlists.Stolen, Label: "DPRK (TraderTraitor)"}); err != nil {
			t.Fatal(err)
		}
	})
	apiKey := daemontest.Key(t, d, apikey.RoleCompany, "payroll")

	// The node's coin funds dprk (20 BTC), mid (1 BTC, clean) and clean
	// (2 BTC); dprk pays payee1 5 BTC and mid 10 BTC; mid spends both its
	// coins paying payee2 4 BTC. A thief is paid 2 BTC of a victim's coin.
	fund := b.SendTx(t, b.BuildTx(t, coins[:1], []*wire.TxOut{
		wire.NewTxOut(20e8, script(dprk)), wire.NewTxOut(1e8, script(mid)), wire.NewTxOut(2e8, script(clean))}))
	b.Generate(t, 1)
	dprkPay := spend(dprk, []coin{{wire.OutPoint{Hash: fund, Index: 0}, 20e8}},
		wire.NewTxOut(5e8, script(payee1)), wire.NewTxOut(10e8, script(mid)), wire.NewTxOut(5e8-20_000, script(dprk)))
	b.Generate(t, 1)
	midPay := spend(mid, []coin{{wire.OutPoint{Hash: fund, Index: 1}, 1e8}, {wire.OutPoint{Hash: dprkPay, Index: 1}, 10e8}},
		wire.NewTxOut(4e8, script(payee2)), wire.NewTxOut(7e8-20_000, script(mid)))
	theft := b.SendTx(t, b.BuildTx(t, coins[1:2], []*wire.TxOut{wire.NewTxOut(2e8, script(thief))}))
	b.Generate(t, 1)
	_, tip := b.Tip(t)
	testnodes.WaitFor(t, 60*time.Second, "the daemon at the node's tip", func() bool {
		return d.ChainStatus()[chains.Bitcoin].Processed >= uint64(tip)
	})

	get := func(method, path, body string) (int, []byte) {
		t.Helper()
		return daemontest.Call(t, base, apiKey, method, path, strings.NewReader(body))
	}
	screen := func(a string) screening.Result {
		t.Helper()
		st, b := get("GET", "/v1/screen/bitcoin/"+a, "")
		if st != 200 {
			t.Fatalf("screen %s: %d %s", a, st, b)
		}
		var r screening.Result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}

	r1 := screen(addr(payee1))
	if r1.Risk != screening.Severe || len(r1.Direct) != 0 || len(r1.Indirect) != 1 || len(r1.Notes) != 0 {
		t.Fatalf("payee paid by the DPRK address: %+v", r1)
	}
	if e := r1.Indirect[0]; e.Category != screening.DPRK || e.Hops != 1 || e.Amount != "500000000" || e.Asset != "BTC" || e.Share != 1 ||
		len(e.Path) != 1 || e.Path[0].Tx != dprkPay.String() || e.Path[0].From != addr(dprk) || e.Path[0].To != addr(payee1) {
		t.Fatalf("payee 1's exposure %+v", e)
	}

	r2 := screen(addr(payee2))
	if r2.Risk != screening.High || len(r2.Indirect) != 1 {
		t.Fatalf("payee two hops away: %+v", r2)
	}
	// mid received 1 BTC (clean) and 10 BTC from dprk; of the 4 BTC it
	// paid payee2, 4 × 10/11 is dprk's, to the satoshi.
	carried := new(big.Int).Quo(big.NewInt(4e8*10e8/1e8), big.NewInt(11e8/1e8)).String()
	if e := r2.Indirect[0]; e.Category != screening.DPRK || e.Hops != 2 || e.Amount != carried || carried != "363636363" || len(e.Path) != 2 ||
		e.Path[0].Tx != dprkPay.String() || e.Path[0].From != addr(dprk) || e.Path[0].To != addr(mid) || e.Path[0].Amount != "1000000000" ||
		e.Path[1].Tx != midPay.String() || e.Path[1].From != addr(mid) || e.Path[1].To != addr(payee2) || e.Path[1].Amount != "400000000" {
		t.Fatalf("payee 2's exposure %+v (want %s carried)", e, carried)
	}

	if r := screen(addr(clean)); r.Risk != screening.None || len(r.Direct)+len(r.Indirect) != 0 {
		t.Fatalf("clean payee: %+v", r)
	}
	if r := screen(addr(dprk)); r.Risk != screening.Severe || len(r.Direct) != 1 || r.Direct[0].Category != screening.DPRK {
		t.Fatalf("the DPRK address itself: %+v", r)
	}

	// The thief's coin, once an incident follows it, is held taint.
	if r := screen(addr(thief)); r.Risk != screening.None {
		t.Fatalf("the thief before the incident: %+v", r)
	}
	if _, err := d.Incidents.Open(context.Background(), watchlists.Incident{Title: "victim drain", Owner: "payroll", Chain: chains.Bitcoin, Seeds: []watchlists.Seed{{Tx: theft.String()}}}); err != nil {
		t.Fatal(err)
	}
	var held screening.Result
	testnodes.WaitFor(t, 60*time.Second, "the thief's holding screened", func() bool {
		held = screen(addr(thief))
		return len(held.Direct) > 0
	})
	if e := held.Direct[0]; held.Risk != screening.Severe || e.Category != screening.Stolen || e.Label != "victim drain" || e.Amount != "200000000" || e.Share != 1 {
		t.Fatalf("the thief: %+v", held)
	}

	st, body := get("POST", "/v1/screen", `{"chain":"bitcoin","addresses":["`+addr(clean)+`","`+addr(payee2)+`","`+addr(payee1)+`"]}`)
	var batch struct{ Results []screening.Result }
	if st != 200 || json.Unmarshal(body, &batch) != nil || len(batch.Results) != 3 ||
		batch.Results[0].Risk != "none" || batch.Results[1].Risk != "high" || batch.Results[2].Risk != "severe" {
		t.Fatalf("batch: %d %s", st, body)
	}
}
