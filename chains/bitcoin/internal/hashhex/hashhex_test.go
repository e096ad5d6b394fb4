package hashhex

import (
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// TestPutAgreesWithChainhash checks both the SSSE3 routine (where the
// machine has it) and the table against chainhash.Hash.String: every byte
// value in every position, and random hashes.
func TestPutAgreesWithChainhash(t *testing.T) {
	var hashes []chainhash.Hash
	for pos := range 32 {
		for v := range 256 {
			var h chainhash.Hash
			h[pos] = byte(v)
			h[31-pos] ^= byte(v * 7)
			hashes = append(hashes, h)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		var h chainhash.Hash
		for i := range h {
			h[i] = byte(r.Uint32())
		}
		hashes = append(hashes, h)
	}
	for _, tc := range []struct {
		name string
		put  func(*[64]byte, *[32]byte)
	}{{"Put", Put}, {"generic", putGeneric}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, h := range hashes {
				var dst [64]byte
				tc.put(&dst, (*[32]byte)(&h))
				if got, want := string(dst[:]), h.String(); got != want {
					t.Fatalf("%x: got %s, want %s", h[:], got, want)
				}
			}
		})
	}
	if !useSSSE3 {
		t.Log("no SSSE3 here: Put is the table")
	}
}

func BenchmarkPut(b *testing.B) {
	h := chainhash.DoubleHashH([]byte("chainhound"))
	var dst [64]byte
	b.Run("Put", func(b *testing.B) {
		for b.Loop() {
			Put(&dst, (*[32]byte)(&h))
		}
	})
	b.Run("generic", func(b *testing.B) {
		for b.Loop() {
			putGeneric(&dst, (*[32]byte)(&h))
		}
	})
}
