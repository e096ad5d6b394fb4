package sha256d

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// modes runs f with the two-way routine (where this machine has it) and
// with the crypto/sha256 fallback.
func modes(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := useSHANI
	t.Cleanup(func() { useSHANI = saved })
	if saved {
		t.Run("two-way", f)
	} else {
		t.Log("no SHA extensions here: only the fallback runs")
	}
	useSHANI = false
	t.Run("fallback", f)
	useSHANI = saved
}

func double(m []byte) chainhash.Hash {
	first := sha256.Sum256(m)
	return sha256.Sum256(first[:])
}

// TestSumAgreesWithCryptoSHA256 hashes every length around the padding
// boundaries and random batches in which long and short messages meet in
// the two lanes at every offset.
func TestSumAgreesWithCryptoSHA256(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 1<<16)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	var batches [][][]byte
	// Every length from 0 to 300 alone, in pairs and in threes.
	for n := 0; n <= 300; n++ {
		batches = append(batches, [][]byte{data[:n]})
		batches = append(batches, [][]byte{data[n : 2*n], data[1 : n+1]})
		batches = append(batches, [][]byte{data[:n], data[3 : 3+300-n], data[7 : 7+n/2]})
	}
	// Random batches, with the occasional large message.
	for range 200 {
		var b [][]byte
		for range r.IntN(40) {
			n := r.IntN(600)
			if r.IntN(20) == 0 {
				n = r.IntN(len(data) - 1)
			}
			off := r.IntN(len(data) - n)
			b = append(b, data[off:off+n])
		}
		batches = append(batches, b)
	}
	modes(t, func(t *testing.T) {
		for bi, b := range batches {
			got := make([]chainhash.Hash, len(b))
			Sum(got, b)
			for i, m := range b {
				if want := double(m); got[i] != want {
					t.Fatalf("batch %d, message %d (%d bytes): got %x, want %x", bi, i, len(m), got[i], want)
				}
			}
		}
	})
}

// merkleReference is Bitcoin's merkle root the plain way.
func merkleReference(ids []chainhash.Hash) chainhash.Hash {
	level := append([]chainhash.Hash(nil), ids...)
	for len(level) > 1 {
		var next []chainhash.Hash
		for i := 0; i < len(level); i += 2 {
			j := min(i+1, len(level)-1)
			next = append(next, double(append(level[i][:], level[j][:]...)))
		}
		level = next
	}
	return level[0]
}

func TestMerkleRoot(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	modes(t, func(t *testing.T) {
		for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 100, 1023, 1024, 1025, 2777} {
			ids := make([]chainhash.Hash, n)
			for i := range ids {
				for j := range ids[i] {
					ids[i][j] = byte(r.Uint32())
				}
			}
			want := merkleReference(ids)
			if got := MerkleRoot(append([]chainhash.Hash(nil), ids...)); got != want {
				t.Errorf("%d ids: got %s, want %s", n, got, want)
			}
		}
	})
}

func BenchmarkSum(b *testing.B) {
	data := make([]byte, 1<<20)
	for _, size := range []int{64, 250, 600, 4096} {
		var msgs [][]byte
		for off := 0; off+size <= len(data); off += size {
			msgs = append(msgs, data[off:off+size])
		}
		dst := make([]chainhash.Hash, len(msgs))
		b.Run(fmtSize(size)+"/crypto-sha256", func(b *testing.B) {
			b.SetBytes(int64(len(msgs) * size))
			for b.Loop() {
				for i, m := range msgs {
					dst[i] = double(m)
				}
			}
		})
		if useSHANI {
			b.Run(fmtSize(size)+"/two-way", func(b *testing.B) {
				b.SetBytes(int64(len(msgs) * size))
				for b.Loop() {
					Sum(dst, msgs)
				}
			})
		}
	}
}

func fmtSize(n int) string {
	return string(rune('0'+n/1000%10)) + string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10)) + "B"
}

// TestGenerated checks that blocks_amd64.s is what gen.go writes.
func TestGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator with the go command")
	}
	out := filepath.Join(t.TempDir(), "blocks_amd64.s")
	cmd := exec.Command("go", "run", "gen.go", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen.go: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("blocks_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("blocks_amd64.s differs from what gen.go writes: run go generate")
	}
}

// FuzzSum compares Sum with crypto/sha256 on batches cut from the input.
func FuzzSum(f *testing.F) {
	f.Add([]byte("chainhound"), uint8(3))
	f.Add(make([]byte, 300), uint8(55))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		var msgs [][]byte
		for len(data) > 0 {
			n := min(len(data), int(cut)+1)
			msgs = append(msgs, data[:n])
			data = data[n:]
			cut = cut*13 + 7
		}
		got := make([]chainhash.Hash, len(msgs))
		Sum(got, msgs)
		for i, m := range msgs {
			if want := double(m); got[i] != want {
				t.Fatalf("message %d (%d bytes): got %x, want %x", i, len(m), got[i], want)
			}
		}
		if len(got) > 0 {
			want := merkleReference(got)
			if root := MerkleRoot(got); root != want {
				t.Fatalf("merkle root of %d: got %s, want %s", len(msgs), root, want)
			}
		}
	})
}

// unsafeHashes views b (a multiple of 32 bytes) as hashes.
func unsafeHashes(b []byte) []chainhash.Hash {
	return unsafe.Slice((*chainhash.Hash)(unsafe.Pointer(&b[0])), len(b)/32)
}
