package ethereum

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkBlock measures, per real mainnet block, the bare cost of
// decoding the block + receipts JSON ("decode") beside the cost of
// decoding it and turning it into transfers ("transfers"). One op is one
// block, so ns/op is ns/block.
func BenchmarkBlock(b *testing.B) {
	for _, n := range fixtureBlocks {
		raw := readFixture(b, n)
		b.Run(fmt.Sprintf("%d/decode", n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				var fx fixture
				if err := json.Unmarshal(raw, &fx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%d/transfers", n), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			d := decoder{mainnet: true}
			for b.Loop() {
				var fx fixture
				if err := json.Unmarshal(raw, &fx); err != nil {
					b.Fatal(err)
				}
				if _, err := d.block(&fx.Block, fx.Receipts, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
