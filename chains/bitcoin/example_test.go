package bitcoin_test

import (
	"encoding/hex"
	"fmt"
	"os"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/chainhound/chainhound/chains/bitcoin"
)

func ExampleScriptOutput() {
	for _, s := range []string{
		"0014751e76e8199196d454941c45d1b3a323f1433bd6",       // P2WPKH
		"6a0e3d3a4554482e4554483a30786162",                   // OP_RETURN memo
		"76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", // P2PKH
	} {
		script, _ := hex.DecodeString(s)
		class, addr, data := bitcoin.ScriptOutput(script, &chaincfg.MainNetParams)
		fmt.Printf("%s %s %q\n", class, addr, data)
	}
	// Output:
	// p2wpkh bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 ""
	// op_return op_return:3d3a4554482e4554483a30786162 "=:ETH.ETH:0xab"
	// p2pkh 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa ""
}

func ExampleDecodeBlock() {
	raw, err := os.ReadFile("testdata/block702861.raw")
	if err != nil {
		panic(err)
	}
	b, err := bitcoin.DecodeBlock(raw, 702861, nil, &chaincfg.MainNetParams)
	if err != nil {
		panic(err)
	}
	cb := b.Txs[0]
	fmt.Println(b.Ref.Hash, len(b.Txs))
	// Addresses are encoded when asked for.
	fmt.Println(cb.Inputs[0].Coinbase, cb.Outputs[0].Value, b.OutputAddress(&cb.Outputs[0]))
	// Output:
	// 000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae 2500
	// true 629948405 bc1qx9t2l3pyny2spqpqlye8svce70nppwtaxwdrp4
}
