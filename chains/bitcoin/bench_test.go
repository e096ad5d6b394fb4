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

// BenchmarkExtractVsDecode alternates the bare decode and the extraction
// on the same block in every iteration and reports their ratio, which
// stays meaningful on a machine shared with other work.
func BenchmarkExtractVsDecode(b *testing.B) {
	for _, tc := range mainnetBlocks {
		raw := readBlock(b, tc.file)
		want := chainhash.DoubleHashH(raw[:80])
		b.Run(tc.name, func(b *testing.B) {
			var bare, full time.Duration
			for b.Loop() {
				t0 := time.Now()
				var msg wire.MsgBlock
				if err := msg.Deserialize(bytes.NewReader(raw)); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := DecodeBlock(raw, tc.height, &want, &chaincfg.MainNetParams); err != nil {
					b.Fatal(err)
				}
				bare += t1.Sub(t0)
				full += time.Since(t1)
			}
			b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "decode-ns/op")
			b.ReportMetric(float64(full.Nanoseconds())/float64(b.N), "extract-ns/op")
			b.ReportMetric(float64(full)/float64(bare), "x-decode")
		})
	}
}
