package bitcoin

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/chainhound/chainhound/tracer"
)

// BenchmarkIndex: the transfer index's record of two real mainnet blocks
// (every input and output with its address and value): bytes per input
// or output, and the cost of encoding it, deriving every address. One op
// is one block.
func BenchmarkIndex(b *testing.B) {
	for _, tc := range mainnetBlocks {
		raw := readBlock(b, tc.file)
		b.Run(tc.name, func(b *testing.B) {
			var bytes, ios int
			for b.Loop() {
				b.StopTimer()
				blk, err := DecodeBlock(raw, tc.height, nil, &chaincfg.MainNetParams)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				kvs := tracer.IndexKVs(blk)
				bytes, ios = 0, 0
				for _, kv := range kvs {
					bytes += len(kv.Key) + len(kv.Value)
				}
				for _, tx := range blk.Txs {
					ios += len(tx.Inputs) + len(tx.Outputs)
				}
			}
			b.ReportMetric(float64(bytes)/float64(ios), "B/input-or-output")
			b.ReportMetric(float64(bytes)/float64(len(raw)), "record/raw-block")
		})
	}
}
