package tracer

import (
	"encoding/binary"
	"encoding/hex"
	"sync"
)

// Compact in-memory names. An Ethereum address ("0x" and 40 lower-case hex
// digits) is kept as its 20 bytes and a txid (64 lower-case hex digits) as
// its 32 bytes, so the holdings index and the
// provenance hops keep no strings. Anything else (test names, Bitcoin
// addresses, mixed-case input) is interned once in names and stands as a
// reserved 16-byte prefix followed by its 4-byte id; a real address or
// txid starting with that prefix would take 2¹²⁸ work to find.

var internPrefix = [16]byte{0xc4, 0xa1, 0x9e, 0x0b, 0x5d, 0x37, 0xf2, 0x68, 0x1e, 0xd9, 0x40, 0x7c, 0xb3, 0x25, 0x8a, 0xf6}

// nameTable interns the strings that have no binary form. It only grows:
// it holds the non-hex names taint ever reached.
type nameTable struct {
	mu   sync.RWMutex
	ids  map[string]uint32
	strs []string
}

var names = nameTable{ids: map[string]uint32{}}

// id returns s's id, adding it when add is set (ok false: absent).
func (t *nameTable) id(s string, add bool) (uint32, bool) {
	t.mu.RLock()
	id, ok := t.ids[s]
	t.mu.RUnlock()
	if ok || !add {
		return id, ok
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.ids[s]; ok {
		return id, true
	}
	id = uint32(len(t.strs))
	t.strs = append(t.strs, s)
	t.ids[s] = id
	return id, true
}

func (t *nameTable) str(id uint32) string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.strs[id]
}

// addr20 is an address in 20 bytes.
type addr20 [20]byte

// hexVal maps a lower-case hex digit to its value and anything else to 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	return t
}()

// decodeLowerHex fills dst from exactly 2·len(dst) lower-case hex digits.
func decodeLowerHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	var bad byte
	for i := range dst {
		hi, lo := hexVal[s[2*i]], hexVal[s[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo&15
	}
	return bad&0xf0 == 0
}

// toAddr20 returns s's compact form; ok is false when s has none yet and
// add is not set (then nothing is held at s).
func toAddr20(s string, add bool) (a addr20, ok bool) {
	if len(s) == 42 && s[0] == '0' && s[1] == 'x' && decodeLowerHex(a[:], s[2:]) && [16]byte(a[:16]) != internPrefix {
		return a, true
	}
	id, ok := names.id(s, add)
	if !ok {
		return a, false
	}
	copy(a[:], internPrefix[:])
	binary.BigEndian.PutUint32(a[16:], id)
	return a, true
}

func (a addr20) String() string {
	if [16]byte(a[:16]) == internPrefix {
		return names.str(binary.BigEndian.Uint32(a[16:]))
	}
	return string(hex.AppendEncode(append(make([]byte, 0, 42), "0x"...), a[:]))
}

// is reports whether a is the address s (without interning s).
func (a addr20) is(s string) bool {
	b, ok := toAddr20(s, false)
	return ok && b == a
}

// txid32 is a transaction id (64 lower-case hex digits) in 32 bytes.
type txid32 [32]byte

func toTxid32(s string, add bool) (t txid32, ok bool) {
	if decodeLowerHex(t[:], s) && [16]byte(t[:16]) != internPrefix {
		return t, true
	}
	id, ok := names.id(s, add)
	if !ok {
		return t, false
	}
	copy(t[:], internPrefix[:])
	binary.BigEndian.PutUint32(t[28:], id)
	return t, true
}

func (t txid32) String() string {
	if [16]byte(t[:16]) == internPrefix {
		return names.str(binary.BigEndian.Uint32(t[28:]))
	}
	return string(hex.AppendEncode(make([]byte, 0, 64), t[:]))
}

// akey and okey are the holdings index's keys: (address, asset id) on the
// account model, (txid, vout) on the UTXO model.
type akey struct {
	a     addr20
	asset uint32
}

type okey struct {
	tx txid32
	n  uint32
}
