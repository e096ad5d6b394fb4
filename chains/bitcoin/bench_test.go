package bitcoin

import (
	"bytes"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains/bitcoin/internal/sha256d"
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
// into a chains.Block (addresses deferred to whoever asks).
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

// BenchmarkExtractVsDecode alternates, in every iteration on the same
// block, the bare decode and the follower's extraction, and reports their
// ratio (the goal: x-decode ≤ 1.3) in wall time and in the
// process's CPU time (x-decode-cpu, which a busy machine disturbs less).
func BenchmarkExtractVsDecode(b *testing.B) {
	for _, tc := range mainnetBlocks {
		raw := readBlock(b, tc.file)
		want := chainhash.DoubleHashH(raw[:80])
		params := &chaincfg.MainNetParams
		b.Run(tc.name, func(b *testing.B) {
			var bare, extract, bareCPU, extractCPU time.Duration
			for b.Loop() {
				t0, c0 := time.Now(), cpuTime()
				var msg wire.MsgBlock
				if err := msg.Deserialize(bytes.NewReader(raw)); err != nil {
					b.Fatal(err)
				}
				t1, c1 := time.Now(), cpuTime()
				if _, err := DecodeBlock(raw, tc.height, &want, params); err != nil {
					b.Fatal(err)
				}
				bare += t1.Sub(t0)
				extract += time.Since(t1)
				bareCPU += c1 - c0
				extractCPU += cpuTime() - c1
			}
			b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "decode-ns/op")
			b.ReportMetric(float64(extract.Nanoseconds())/float64(b.N), "extract-ns/op")
			b.ReportMetric(float64(extract)/float64(bare), "x-decode")
			b.ReportMetric(float64(extractCPU)/float64(bareCPU), "x-decode-cpu")
		})
	}
}

// BenchmarkDeriveAddresses is what a consumer that wants every address of
// a block pays on top of the extraction: all outputs encoded and every
// input's spending data read (hashed and encoded where it reveals an
// address).
func BenchmarkDeriveAddresses(b *testing.B) {
	for _, tc := range mainnetBlocks {
		raw := readBlock(b, tc.file)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				blk, err := DecodeBlock(raw, tc.height, nil, &chaincfg.MainNetParams)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				blk.DeriveAddresses()
			}
		})
	}
}

// BenchmarkInputAddresses is the cost of deriving each input's address
// from its scriptSig and witness (classification, HASH160 or SHA-256,
// address encoding), over every input of the block.
func BenchmarkInputAddresses(b *testing.B) {
	for _, tc := range mainnetBlocks {
		raw := readBlock(b, tc.file)
		blk, err := DecodeBlock(raw, tc.height, nil, &chaincfg.MainNetParams)
		if err != nil {
			b.Fatal(err)
		}
		var n int
		for _, tx := range blk.Txs[1:] {
			n += len(tx.Inputs)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var derived int
			for b.Loop() {
				a := newAddresser(&chaincfg.MainNetParams)
				derived = 0
				for _, tx := range blk.Txs[1:] {
					for i := range tx.Inputs {
						if a.InputAddress(&tx.Inputs[i]) != "" {
							derived++
						}
					}
				}
			}
			b.ReportMetric(float64(n), "inputs")
			b.ReportMetric(float64(derived), "derived")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/input")
		})
	}
}

// BenchmarkExtractParts splits the extraction into its steps on each
// block: scan (check the serialization and locate every part), txids
// (double SHA-256 of each transaction without its witness), merkle (the
// root over the txids) and fill (the chains.Block: slabs of inputs and
// outputs, spent txids in hex, scripts classified). The two hashing steps
// are the cost of knowing the block is the one the header commits to.
func BenchmarkExtractParts(b *testing.B) {
	for _, tc := range mainnetBlocks {
		raw := readBlock(b, tc.file)
		spans, nin, nout, err := scanBlock(raw, nil)
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]chainhash.Hash, len(spans))
		b.Run(tc.name+"/scan", func(b *testing.B) {
			for b.Loop() {
				if _, _, _, err := scanBlock(raw, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/txids", func(b *testing.B) {
			for b.Loop() {
				copy(ids, new(scratch).txids(raw, spans))
			}
		})
		b.Run(tc.name+"/merkle", func(b *testing.B) {
			level := make([]chainhash.Hash, len(ids))
			for b.Loop() {
				copy(level, ids)
				sha256d.MerkleRoot(level)
			}
		})
		b.Run(tc.name+"/fill", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				fillTxs(raw, spans, ids, nin, nout)
			}
		})
	}
}
