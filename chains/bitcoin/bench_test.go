package bitcoin

import (
	"bytes"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// BenchmarkDecode is the bare cost: wire.MsgBlock.Deserialize of the block.
func BenchmarkDecode(b *testing.B) {
	for _, tc := range mainnetBlocks {
		raw := readBlock(b, tc.file)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				var msg wire.MsgBlock
				if err := msg.Deserialize(bytes.NewReader(raw)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkExtract is what the follower does per block: decode, check the
// hash and merkle root, compute txids and extract every input and output
// with its address into a chains.Block.
func BenchmarkExtract(b *testing.B) {
	for _, tc := range mainnetBlocks {
		raw := readBlock(b, tc.file)
		want := chainhash.DoubleHashH(raw[:80])
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeBlock(raw, tc.height, &want, &chaincfg.MainNetParams); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkExtractVsDecode alternates the bare decode, the extraction
// without input addresses and the full extraction on the same block in
// every iteration and reports their ratios, which stay meaningful on a
// machine shared with other work: x-decode is the full extraction over
// the bare decode, x-noaddr the full extraction over the one that leaves
// input addresses empty (what deriving them from the spending scripts
// costs).
func BenchmarkExtractVsDecode(b *testing.B) {
	for _, tc := range mainnetBlocks {
		raw := readBlock(b, tc.file)
		want := chainhash.DoubleHashH(raw[:80])
		params := &chaincfg.MainNetParams
		b.Run(tc.name, func(b *testing.B) {
			var bare, noaddr, full time.Duration
			for b.Loop() {
				t0 := time.Now()
				var msg wire.MsgBlock
				if err := msg.Deserialize(bytes.NewReader(raw)); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := decodeBlock(raw, tc.height, &want, params, nil); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				if _, err := DecodeBlock(raw, tc.height, &want, params); err != nil {
					b.Fatal(err)
				}
				bare += t1.Sub(t0)
				noaddr += t2.Sub(t1)
				full += time.Since(t2)
			}
			b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "decode-ns/op")
			b.ReportMetric(float64(noaddr.Nanoseconds())/float64(b.N), "noaddr-ns/op")
			b.ReportMetric(float64(full.Nanoseconds())/float64(b.N), "extract-ns/op")
			b.ReportMetric(float64(full)/float64(bare), "x-decode")
			b.ReportMetric(float64(full)/float64(noaddr), "x-noaddr")
		})
	}
}

// BenchmarkInputAddresses is the part of the extraction that derives each
// input's address from its scriptSig and witness (classification, HASH160
// or SHA-256, address encoding), over every input of the block.
func BenchmarkInputAddresses(b *testing.B) {
	for _, tc := range mainnetBlocks {
		raw := readBlock(b, tc.file)
		var msg wire.MsgBlock
		if err := msg.Deserialize(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
		var ins []*wire.TxIn
		for _, tx := range msg.Transactions[1:] {
			ins = append(ins, tx.TxIn...)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var derived int
			for b.Loop() {
				sp := newSpender(&chaincfg.MainNetParams)
				derived = 0
				for _, in := range ins {
					if sp.address(in.SignatureScript, in.Witness) != "" {
						derived++
					}
				}
			}
			b.ReportMetric(float64(len(ins)), "inputs")
			b.ReportMetric(float64(derived), "derived")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ins)), "ns/input")
		})
	}
}
