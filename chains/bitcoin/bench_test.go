package bitcoin

import (
	"bytes"
	"testing"

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
