package bitcoin

import (
	"crypto/sha256"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// TestFollowerDerivesInputAddresses follows a real btcd regtest node
// while one transaction spends outputs of every kind the test key can
// sign for (P2PKH, P2SH multisig, P2SH-P2WPKH, P2SH-P2WSH, P2WSH, P2WPKH,
// P2TR key path and P2TR script path), and checks that each delivered
// input names the address of the output it spends (nothing for taproot),
// unresolved and without a value.
func TestFollowerDerivesInputAddresses(t *testing.T) {
	node := testnodes.StartBtcd(t)
	coins := node.MatureCoins(t, 2)
	key, params := node.Key, node.Params
	pub := key.PubKey().SerializeCompressed()
	scripts := node.Scripts(t)
	script := func(s []byte, err error) []byte {
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	multisig := script(txscript.NewScriptBuilder().AddOp(txscript.OP_1).AddData(pub).
		AddOp(txscript.OP_1).AddOp(txscript.OP_CHECKMULTISIG).Script())
	wpkh := append([]byte{txscript.OP_0, 20}, address.Hash160(pub)...)
	wsh := sha256.Sum256(multisig)
	wshProgram := append([]byte{txscript.OP_0, 32}, wsh[:]...)
	p2sh := func(redeem []byte) []byte {
		a, err := address.NewAddressScriptHash(redeem, params)
		if err != nil {
			t.Fatal(err)
		}
		return script(txscript.PayToAddrScript(a))
	}
	leafScript := script(txscript.NewScriptBuilder().AddData(schnorr.SerializePubKey(key.PubKey())).
		AddOp(txscript.OP_CHECKSIG).Script())
	leaf := txscript.NewBaseTapLeaf(leafScript)
	tree := txscript.AssembleTaprootScriptTree(leaf)
	root := tree.RootNode.TapHash()
	tapOut := script(txscript.PayToTaprootScript(txscript.ComputeTaprootOutputKey(key.PubKey(), root[:])))
	cb := tree.LeafMerkleProofs[0].ToControlBlock(key.PubKey())
	control := script(cb.ToBytes())

	kinds := []struct {
		name     string
		pkScript []byte
		derived  bool // whether the spend reveals the address
	}{
		{"p2pkh", scripts["p2pkh"].Script, true},
		{"p2sh multisig", scripts["p2sh"].Script, true},
		{"p2sh-p2wpkh", p2sh(wpkh), true},
		{"p2sh-p2wsh", p2sh(wshProgram), true},
		{"p2wsh", scripts["p2wsh"].Script, true},
		{"p2tr key path", scripts["p2tr"].Script, false},
		{"p2tr script path", tapOut, false},
	}
	const value = 1_000_000
	var outs []*wire.TxOut
	for _, k := range kinds {
		outs = append(outs, wire.NewTxOut(value, k.pkScript))
	}
	fund := node.BuildTx(t, coins[:1], outs)
	node.SendTx(t, fund)
	node.Generate(t, 1)

	// One transaction spends every funded output and a harness coin (P2WPKH).
	spend := wire.NewMsgTx(2)
	prev := map[wire.OutPoint]*wire.TxOut{}
	for i := range kinds {
		op := wire.OutPoint{Hash: fund.TxHash(), Index: uint32(i)}
		spend.AddTxIn(wire.NewTxIn(&op, nil, nil))
		prev[op] = fund.TxOut[i]
	}
	spend.AddTxIn(wire.NewTxIn(&coins[1].OutPoint, nil, nil))
	prev[coins[1].OutPoint] = wire.NewTxOut(coins[1].Value, coins[1].PkScript)
	spend.AddTxOut(wire.NewTxOut(int64(len(kinds))*value+coins[1].Value-testnodes.BtcdFee, scripts["p2wpkh"].Script))
	hashes := txscript.NewTxSigHashes(spend, txscript.NewMultiPrevOutFetcher(prev))
	for i, k := range kinds {
		in := spend.TxIn[i]
		var err error
		switch k.name {
		case "p2pkh":
			in.SignatureScript, err = txscript.SignatureScript(spend, i, k.pkScript, txscript.SigHashAll, key, true)
		case "p2sh multisig":
			sig := script(txscript.RawTxInSignature(spend, i, multisig, txscript.SigHashAll, key))
			in.SignatureScript, err = txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(sig).AddData(multisig).Script()
		case "p2sh-p2wpkh":
			in.Witness, err = txscript.WitnessSignature(spend, hashes, i, value, wpkh, txscript.SigHashAll, key, true)
			in.SignatureScript = script(txscript.NewScriptBuilder().AddData(wpkh).Script())
		case "p2sh-p2wsh", "p2wsh":
			sig := script(txscript.RawTxInWitnessSignature(spend, hashes, i, value, multisig, txscript.SigHashAll, key))
			in.Witness = wire.TxWitness{nil, sig, multisig}
			if k.name == "p2sh-p2wsh" {
				in.SignatureScript = script(txscript.NewScriptBuilder().AddData(wshProgram).Script())
			}
		case "p2tr key path":
			in.Witness, err = txscript.TaprootWitnessSignature(spend, hashes, i, value, k.pkScript, txscript.SigHashDefault, key)
		case "p2tr script path":
			sig := script(txscript.RawTxInTapscriptSignature(spend, hashes, i, value, k.pkScript, leaf, txscript.SigHashDefault, key))
			in.Witness = wire.TxWitness{sig, leafScript, control}
		}
		if err != nil {
			t.Fatalf("sign %s: %v", k.name, err)
		}
	}
	last := len(kinds)
	w, err := txscript.WitnessSignature(spend, hashes, last, coins[1].Value, coins[1].PkScript, txscript.SigHashAll, key, true)
	if err != nil {
		t.Fatal(err)
	}
	spend.TxIn[last].Witness = w

	r := startFollower(t, nodeConfig(t, node, openStore(t, t.TempDir())), &recorder{})
	tip, _ := node.Tip(t)
	r.waitProcessed(t, tip.String())
	node.SendTx(t, spend)
	mined := node.Generate(t, 1)[0]
	r.waitProcessed(t, mined.String())
	got := r.rec.Find(func(ev chains.Event) bool { return ev.Type == chains.Connected && ev.Ref.Hash == mined.String() })
	if len(got) != 1 || len(got[0].Block.Txs) != 2 || got[0].Block.Txs[1].Hash != spend.TxHash().String() {
		t.Fatalf("block %s: %d Connected events, want one with the coinbase and the spend", mined, len(got))
	}
	tx := got[0].Block.Txs[1]
	for i, k := range kinds {
		in := tx.Inputs[i]
		want := ""
		if k.derived {
			want = referenceAddress(t, k.pkScript, params)
			if want == "" {
				t.Fatalf("%s: txscript names no address for %x", k.name, k.pkScript)
			}
		}
		if in.Address != want || in.Resolved || in.Value != 0 || in.Prev != (chains.Outpoint{Tx: fund.TxHash().String(), Index: uint32(i)}) {
			t.Errorf("%s: input %+v, want address %q, unresolved, spending %s:%d", k.name, in, want, fund.TxHash(), i)
		}
	}
	if in := tx.Inputs[last]; in.Address != node.Address.EncodeAddress() || in.Resolved {
		t.Errorf("p2wpkh: input %+v, want address %s, unresolved", in, node.Address)
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
}
