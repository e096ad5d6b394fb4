package bitcoin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"

	//lint:ignore SA1019 the reference implementation ours is checked against
	"golang.org/x/crypto/ripemd160"
)

// TestRIPEMD160Of32 checks the unrolled RIPEMD-160 against
// golang.org/x/crypto/ripemd160 on edge and random 32-byte inputs, and
// HASH160 on a known key.
func TestRIPEMD160Of32(t *testing.T) {
	inputs := map[string][32]byte{"zeros": {}, "ones": [32]byte(bytes.Repeat([]byte{0xff}, 32))}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var in [32]byte
		for j := range in {
			in[j] = byte(rng.Uint32())
		}
		inputs["random "+string(rune('a'+i%26))+hex.EncodeToString(in[:4])] = in
	}
	for name, in := range inputs {
		ref := ripemd160.New()
		ref.Write(in[:])
		var got [20]byte
		ripemd160Of32(&got, &in)
		if want := ref.Sum(nil); !bytes.Equal(got[:], want) {
			t.Fatalf("%s: ripemd160Of32(%x) = %x, x/crypto says %x", name, in, got, want)
		}
	}
	// HASH160 of the generator point's compressed key (BIP 173's example).
	pub, _ := hex.DecodeString("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
	first := sha256.Sum256(pub)
	var h [20]byte
	ripemd160Of32(&h, &first)
	if got := hex.EncodeToString(h[:]); got != "751e76e8199196d454941c45d1b3a323f1433bd6" {
		t.Fatalf("HASH160 = %s", got)
	}
}

// BenchmarkRIPEMD160Of32 alternates the unrolled RIPEMD-160 and
// x/crypto's on 32-byte inputs in every iteration (100 of each), so the
// ratio holds on a shared machine.
func BenchmarkRIPEMD160Of32(b *testing.B) {
	var in [32]byte
	var out [20]byte
	ref := ripemd160.New()
	var unrolled, xcrypto time.Duration
	for b.Loop() {
		t0 := time.Now()
		for range 100 {
			ripemd160Of32(&out, &in)
			in[0] = out[0]
		}
		t1 := time.Now()
		for range 100 {
			ref.Reset()
			ref.Write(in[:])
			ref.Sum(out[:0])
			in[0] = out[0]
		}
		unrolled += t1.Sub(t0)
		xcrypto += time.Since(t1)
	}
	b.ReportMetric(float64(unrolled.Nanoseconds())/float64(b.N)/100, "unrolled-ns/hash")
	b.ReportMetric(float64(xcrypto.Nanoseconds())/float64(b.N)/100, "xcrypto-ns/hash")
	b.ReportMetric(float64(xcrypto)/float64(unrolled), "x-faster")
}
