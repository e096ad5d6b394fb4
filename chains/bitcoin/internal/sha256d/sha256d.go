// Package sha256d computes Bitcoin's double SHA-256 of many messages at
// once: transaction ids and merkle trees.
//
// On amd64 processors with the SHA extensions two messages are hashed
// side by side (blocks_amd64.s): one SHA-256 stream is bound by the
// latency of the round instruction, and a second, independent stream runs
// in its gaps, so a block's transactions cost 0.5–0.65 of what
// crypto/sha256 charges for them one by one. Elsewhere crypto/sha256 does the work. The
// results are the same; the tests compare both with crypto/sha256.
package sha256d

import (
	"crypto/sha256"
	"encoding/binary"
	"unsafe"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// Sum sets dst[i] to the double SHA-256 of msgs[i] (SHA-256 of the
// SHA-256), in the byte order the hash function produces (a txid as stored
// in a block, not as displayed).
func Sum(dst []chainhash.Hash, msgs [][]byte) {
	if len(dst) != len(msgs) {
		panic("sha256d: dst and msgs differ in length")
	}
	if !useSHANI {
		for i, m := range msgs {
			first := sha256.Sum256(m)
			dst[i] = sha256.Sum256(first[:])
		}
		return
	}
	var s scheduler
	s.run(dst, msgs)
}

// MerkleRoot returns the merkle root of a block whose transactions have
// the ids in level (Bitcoin's tree: an odd last node is paired with
// itself). It overwrites level.
func MerkleRoot(level []chainhash.Hash) chainhash.Hash {
	if len(level) == 0 {
		return chainhash.Hash{}
	}
	// Levels alternate between level and one buffer, so that no level is
	// written while it is read.
	spare := make([]chainhash.Hash, (len(level)+1)/2)
	for len(level) > 1 {
		next := spare[:(len(level)+1)/2]
		parents(next, level)
		spare, level = level, next
	}
	return level[0]
}

// parents sets each parent[k] to the double SHA-256 of level[2k] and
// level[2k+1] (level[2k] twice for an odd last node).
func parents(parent, level []chainhash.Hash) {
	var msg [64]byte
	pair := func(k int) []byte {
		if 2*k+1 < len(level) {
			return unsafe.Slice(&level[2*k][0], 64)
		}
		copy(msg[:32], level[2*k][:])
		copy(msg[32:], level[2*k][:])
		return msg[:]
	}
	if !useSHANI {
		for k := range parent {
			first := sha256.Sum256(pair(k))
			parent[k] = sha256.Sum256(first[:])
		}
		return
	}
	// Two parents at a time, in lock step: a message of 64 bytes and its
	// padding block, then the first digest and its padding.
	var a, b [128]byte
	a[64], b[64] = 0x80, 0x80
	binary.BigEndian.PutUint64(a[120:], 64*8)
	binary.BigEndian.PutUint64(b[120:], 64*8)
	var sa, sb [8]uint32
	for k := 0; k < len(parent); k += 2 {
		kb := min(k+1, len(parent)-1) // an odd last parent is hashed twice
		copy(a[:64], pair(k))
		copy(b[:64], pair(kb))
		sa, sb = iv, iv
		blocks2(&sa, &sb, &a[0], &b[0], 2)
		var da, db [64]byte
		putState((*[32]byte)(da[:32]), &sa)
		putState((*[32]byte)(db[:32]), &sb)
		da[32], db[32] = 0x80, 0x80
		binary.BigEndian.PutUint64(da[56:], 32*8)
		binary.BigEndian.PutUint64(db[56:], 32*8)
		sa, sb = iv, iv
		blocks2(&sa, &sb, &da[0], &db[0], 1)
		putState((*[32]byte)(&parent[k]), &sa)
		putState((*[32]byte)(&parent[kb]), &sb)
	}
}

// iv is SHA-256's initial hash value (FIPS 180-4, 5.3.3).
var iv = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

// lane is one of the two streams: the message it is hashing, where it is
// in it, and the padded last block or blocks.
type lane struct {
	st     [8]uint32
	msg    int    // index of the message, -1 when idle
	body   []byte // whole blocks of the message not hashed yet
	tail   []byte // padded blocks not hashed yet, in pad
	second bool   // hashing the first digest
	pad    [128]byte
}

// start sets l to hash message i.
func (l *lane) start(i int, m []byte) {
	l.st, l.msg, l.second = iv, i, false
	whole := len(m) &^ 63
	l.body = m[:whole]
	l.tail = l.padded(m[whole:], uint64(len(m)))
}

// padded copies rest (less than a block) into l.pad with SHA-256's
// padding for a message of n bytes, and returns the one or two blocks.
func (l *lane) padded(rest []byte, n uint64) []byte {
	size := 64
	if len(rest) >= 56 {
		size = 128
	}
	p := l.pad[:size]
	copy(p, rest)
	p[len(rest)] = 0x80
	clear(p[len(rest)+1 : size-8])
	binary.BigEndian.PutUint64(p[size-8:], n*8)
	return p
}

// next is the data the lane hashes next: whole blocks of the message,
// then its padded end.
func (l *lane) next() []byte {
	if len(l.body) > 0 {
		return l.body
	}
	return l.tail
}

// advance records that n blocks of next() were hashed, and reports
// whether the message is done (its result in l.st).
func (l *lane) advance(n int) bool {
	if len(l.body) > 0 {
		l.body = l.body[64*n:]
		return false
	}
	l.tail = l.tail[64*n:]
	if len(l.tail) > 0 {
		return false
	}
	if l.second {
		return true
	}
	var first [32]byte
	putState(&first, &l.st)
	l.st, l.second = iv, true
	l.tail = l.padded(first[:], 32)
	return false
}

func putState(out *[32]byte, st *[8]uint32) {
	for i, w := range st {
		binary.BigEndian.PutUint32(out[4*i:], w)
	}
}

// scheduler keeps both lanes busy: each call hashes as many blocks as the
// shorter of the two lanes' next pieces, and a lane that finishes takes
// the next message.
type scheduler struct {
	lanes [2]lane
	spare [8]uint32 // where an idle lane's state goes
}

func (s *scheduler) run(dst []chainhash.Hash, msgs [][]byte) {
	a, b := &s.lanes[0], &s.lanes[1]
	a.msg, b.msg = -1, -1
	next := 0
	for {
		for _, l := range []*lane{a, b} {
			if l.msg < 0 && next < len(msgs) {
				l.start(next, msgs[next])
				next++
			}
		}
		switch {
		case a.msg < 0 && b.msg < 0:
			return
		case b.msg < 0:
			pa := a.next()
			n := len(pa) / 64
			blocks2(&a.st, &s.spare, &pa[0], &pa[0], n)
			s.finish(a, n, dst)
		case a.msg < 0:
			pb := b.next()
			n := len(pb) / 64
			blocks2(&s.spare, &b.st, &pb[0], &pb[0], n)
			s.finish(b, n, dst)
		default:
			pa, pb := a.next(), b.next()
			n := min(len(pa), len(pb)) / 64
			blocks2(&a.st, &b.st, &pa[0], &pb[0], n)
			s.finish(a, n, dst)
			s.finish(b, n, dst)
		}
	}
}

func (s *scheduler) finish(l *lane, n int, dst []chainhash.Hash) {
	if l.advance(n) {
		putState((*[32]byte)(&dst[l.msg]), &l.st)
		l.msg = -1
	}
}
