package bitcoin

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/chainhound/chainhound/tracer"
)

// BenchmarkIndex: the transfer index's record of two real mainnet blocks
// (every input and output with its address and value) and its address
// entries (one per address the outputs pay, for screening): bytes per
// input or output, and the cost of encoding them, deriving every
// address. One op is one block.
func BenchmarkIndex(b *testing.B) {
	for _, tc := range mainnetBlocks {
		raw := readBlock(b, tc.file)
		b.Run(tc.name, func(b *testing.B) {
			var bytes, entries, ios int
			for b.Loop() {
				b.StopTimer()
				blk, err := DecodeBlock(raw, tc.height, nil, &chaincfg.MainNetParams)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				kvs := tracer.IndexKVs(blk)
				bytes, entries, ios = 0, 0, 0
				for i, kv := range kvs {
					if i == 0 {
						bytes += len(kv.Key) + len(kv.Value)
					} else {
						entries += len(kv.Key) + len(kv.Value)
					}
				}
				for _, tx := range blk.Txs {
					ios += len(tx.Inputs) + len(tx.Outputs)
				}
			}
			b.ReportMetric(float64(bytes)/float64(ios), "B/input-or-output")
			b.ReportMetric(float64(bytes)/float64(len(raw)), "record/raw-block")
			b.ReportMetric(float64(entries)/float64(ios), "entries-B/input-or-output")
			b.ReportMetric(float64(entries)/float64(len(raw)), "entries/raw-block")
		})
	}
}
