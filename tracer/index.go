package tracer

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// placeIndex is the account model's holdings index: (address, asset) →
// the first holding there. It is an open-addressing table with linear
// probing whose slots hold a 32-bit hash tag and the holding's index; the
// key itself is kept in the holding (holding.key), so a slot costs 8
// bytes. Beside the slots, one control byte per slot (0 empty, else 0x80
// and 7 more bits of the tag) answers most look-ups of addresses that
// hold nothing from an array an eighth of the slots' size, which stays in
// cache far better. The hash is seeded per process: addresses are chosen
// by others.
type placeIndex struct {
	slots []uint64 // 0 empty; else tag<<32 | holding index
	ctrl  []uint8
	n     int
	seed  [3]uint64
}

func ctrlOf(tag uint32) uint8 { return uint8(tag>>25) | 0x80 }

const minIndexSlots = 1 << 10

func newPlaceIndex() placeIndex {
	return placeIndex{slots: make([]uint64, minIndexSlots), ctrl: make([]uint8, minIndexSlots), seed: [3]uint64{rand.Uint64() | 1, rand.Uint64() | 1, rand.Uint64() | 1}}
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// tag hashes k to 32 bits; the slot it starts at is tag & mask.
func (x *placeIndex) tag(k *akey) uint32 {
	w0 := binary.LittleEndian.Uint64(k.a[0:8])
	w1 := binary.LittleEndian.Uint64(k.a[8:16])
	w2 := uint64(binary.LittleEndian.Uint32(k.a[16:20])) | uint64(k.asset)<<32
	h := mix(w0^x.seed[0], w1^x.seed[1]^0x9e3779b97f4a7c15) ^ mix(w2^x.seed[2], 0xbf58476d1ce4e5b9)
	h = mix(h, 0x94d049bb133111eb)
	return uint32(h ^ h>>32)
}

func (x *placeIndex) mask() uint32 { return uint32(len(x.slots) - 1) }

// find returns the slot holding k, or the empty slot where k would go.
func (x *placeIndex) find(a *arena, k *akey) (i uint32, found bool) {
	t := x.tag(k)
	c := ctrlOf(t)
	m := x.mask()
	for i = t & m; ; i = (i + 1) & m {
		switch x.ctrl[i] {
		case 0:
			return i, false
		case c:
			if s := x.slots[i]; uint32(s>>32) == t && a.holding(holdID(uint32(s))).key == *k {
				return i, true
			}
		}
	}
}

// get returns the first holding at k (0: none).
func (x *placeIndex) get(a *arena, k *akey) holdID {
	i, ok := x.find(a, k)
	if !ok {
		return 0
	}
	return holdID(uint32(x.slots[i]))
}

// set makes h (whose key is k) the first holding at k.
func (x *placeIndex) set(a *arena, k *akey, h holdID) {
	i, ok := x.find(a, k)
	t := x.tag(k)
	x.slots[i] = uint64(t)<<32 | uint64(uint32(h))
	x.ctrl[i] = ctrlOf(t)
	if ok {
		return
	}
	x.n++
	if x.n*4 > len(x.slots)*3 {
		x.grow()
	}
}

// grow doubles the table; the tags say where each entry goes.
func (x *placeIndex) grow() {
	old := x.slots
	x.slots = make([]uint64, 2*len(old))
	x.ctrl = make([]uint8, 2*len(old))
	m := x.mask()
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := uint32(s>>32) & m
		for x.slots[i] != 0 {
			i = (i + 1) & m
		}
		x.slots[i] = s
		x.ctrl[i] = ctrlOf(uint32(s >> 32))
	}
}

// del removes k, shifting back the entries after it that probed past it.
func (x *placeIndex) del(a *arena, k *akey) {
	i, ok := x.find(a, k)
	if !ok {
		return
	}
	x.n--
	m := x.mask()
	for j := i; ; {
		j = (j + 1) & m
		s := x.slots[j]
		if s == 0 {
			break
		}
		// s may move to i unless its home lies cyclically in (i, j].
		home := uint32(s>>32) & m
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			x.slots[i], x.ctrl[i] = s, x.ctrl[j]
			i = j
		}
	}
	x.slots[i], x.ctrl[i] = 0, 0
}

// heads returns the first holding of every place.
func (x *placeIndex) heads() []holdID {
	out := make([]holdID, 0, x.n)
	for _, s := range x.slots {
		if s != 0 {
			out = append(out, holdID(uint32(s)))
		}
	}
	return out
}
