package sha256d

import (
	"syscall"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// TestReadsNothingPastTheMessage puts every message, and every merkle
// level, right before a page the process may not read: hashing them must
// not fault, in either path.
func TestReadsNothingPastTheMessage(t *testing.T) {
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	usable := mem[:page]
	for i := range usable {
		usable[i] = byte(i * 7)
	}
	modes(t, func(t *testing.T) {
		for n := 0; n <= 300; n++ {
			end := usable[page-n:]
			other := usable[page-n/2:]
			got := make([]chainhash.Hash, 2)
			Sum(got, [][]byte{end, other})
			if got[0] != double(end) || got[1] != double(other) {
				t.Fatalf("%d bytes at the page's end: wrong digest", n)
			}
		}
		for _, n := range []int{1, 2, 3, 7, 64, 127} {
			level := unsafeHashes(usable[page-32*n:])
			want := merkleReference(level)
			if got := MerkleRoot(append([]chainhash.Hash(nil), level...)); got != want {
				t.Fatalf("merkle of %d: got %s, want %s", n, got, want)
			}
			// In place, at the page's end.
			if got := MerkleRoot(level); got != want {
				t.Fatalf("merkle of %d in place: got %s, want %s", n, got, want)
			}
			for i := range usable { // MerkleRoot overwrote the level
				usable[i] = byte(i * 7)
			}
		}
	})
}
