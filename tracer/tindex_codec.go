package tracer

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/holiman/uint256"
)

// The transfer index's block record: everything of a block the engine
// reads, so that a catch-up can apply it without the node. Strings
// (addresses, contracts, symbols, script classes) are written once per
// record in a table and named by their position; hex strings are kept as
// their bytes (hexStr). The table comes after the body, so that the record
// is written in one pass into one buffer. Version 1:
//
//	u8 version
//	uvarint number, hexStr hash, hexStr parent, varint time (unix ns, 0: none)
//	uvarint txs, per tx:
//	  hexStr hash, uvarint index, u8 flags (1 failed, 2 gas price), from, to, [gas price]
//	  uvarint n transfers: u8 kind, uvarint seq, uvarint logIndex+1, from, to, asset, amount
//	  uvarint n logs: uvarint index, address, uvarint topics, 32·topics, bytes data
//	  uvarint n inputs: hexStr prev tx, uvarint vout, varint value, address, u8 flags (1 coinbase, 2 resolved)
//	  uvarint n outputs: uvarint index, varint value, address, class, bytes data
//	uvarint n, n × hexStr                            string table
//	uvarint n, n × (symbol, contract, u8 decimals)   asset table (string ids)
//	u32 big-endian: the string table's offset
//
// An amount is a u8 length (0xff: nil, 0xfe: negative) and its big-endian bytes.
const blockRecordVersion = 1

// hexStr forms: a tag byte, then the bytes.
const (
	hexRaw   = 0 // uvarint length, the string
	hex0x    = 1 // "0x" and even lower-case hex: uvarint length, the bytes
	hexPlain = 2 // even lower-case hex without prefix: uvarint length, the bytes
)

func lowerHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if hexVal[s[i]] == 0xff {
			return false
		}
	}
	return true
}

func (w *wbuf) hexStr(s string) {
	switch {
	case len(s) >= 4 && s[0] == '0' && s[1] == 'x' && lowerHex(s[2:]):
		*w = append(*w, hex0x)
		w.uvarint(uint64(len(s)/2 - 1))
		*w, _ = hex.AppendDecode(*w, []byte(s[2:]))
	case len(s) >= 2 && lowerHex(s):
		*w = append(*w, hexPlain)
		w.uvarint(uint64(len(s) / 2))
		*w, _ = hex.AppendDecode(*w, []byte(s))
	default:
		*w = append(*w, hexRaw)
		w.str(s)
	}
}

func (r *rbuf) u8() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 1 {
		r.err = errShort
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *rbuf) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.err = errShort
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// count reads a number of items, each at least a byte long.
func (r *rbuf) count() uint64 {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		r.err = errShort
		return 0
	}
	return n
}

func (r *rbuf) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rbuf) hexStr() string {
	switch tag := r.u8(); tag {
	case hexRaw:
		return r.str()
	case hex0x, hexPlain:
		b := r.bytes(r.uvarint())
		if r.err != nil {
			return ""
		}
		n := 2 * len(b)
		if tag == hex0x {
			n += 2
		}
		out := make([]byte, 0, n)
		if tag == hex0x {
			out = append(out, "0x"...)
		}
		return string(hex.AppendEncode(out, b))
	default:
		if r.err == nil {
			r.err = fmt.Errorf("bad string tag %d", tag)
		}
		return ""
	}
}

func (w *wbuf) bigAmt(v *big.Int) {
	if v == nil {
		*w = append(*w, 0xff)
		return
	}
	if v.Sign() < 0 {
		// Transfers carry no negative amounts; keep the sign anyway.
		*w = append(*w, 0xfe)
		w.bigAmt(new(big.Int).Neg(v))
		return
	}
	n := (v.BitLen() + 7) / 8
	*w = append(*w, byte(n))
	*w = append(*w, make([]byte, n)...)
	v.FillBytes((*w)[len(*w)-n:])
}

func (r *rbuf) bigAmt() *big.Int {
	n := r.u8()
	switch {
	case r.err != nil:
		return nil
	case n == 0xff:
		return nil
	case n == 0xfe:
		v := r.bigAmt()
		if v != nil {
			v.Neg(v)
		}
		return v
	}
	return new(big.Int).SetBytes(r.bytes(uint64(n)))
}

// strTable numbers a record's strings.
type strTable struct {
	ids  map[string]uint32
	strs []string
}

func (t *strTable) id(s string) uint64 {
	if id, ok := t.ids[s]; ok {
		return uint64(id)
	}
	id := uint32(len(t.strs))
	t.ids[s] = id
	t.strs = append(t.strs, s)
	return uint64(id)
}

// encodeBlockRecord encodes b's record. It derives b's deferred Bitcoin
// addresses (the record keeps addresses, not scripts).
func encodeBlockRecord(b *chains.Block) []byte {
	rec, _ := encodeBlock(b, false)
	return rec
}

// encodeBlock encodes b's record and, with flows, sums its transfers per
// address and asset as the engine counts them (blockFlows): a failed
// transaction moves only its fee, NFTs and self-transfers move nothing;
// the fee sink is left out. Addresses come in first-seen order.
func encodeBlock(b *chains.Block, withFlows bool) ([]byte, []addrFlows) {
	n := 0
	for i := range b.Txs {
		n += 2 + len(b.Txs[i].Transfers) + len(b.Txs[i].Inputs) + len(b.Txs[i].Outputs)
	}
	st := strTable{ids: make(map[string]uint32, n), strs: make([]string, 0, n)}
	// Flows by string id (0: none yet, else index+1 in order).
	var byID []int32
	var order []addrFlows
	if withFlows {
		byID = make([]int32, 0, n)
		order = make([]addrFlows, 0, n/2)
	}
	var v uint256.Int
	flow := func(id uint64, addr, asset string, out bool) {
		if addr == chains.FeeSink || addr == "" {
			return
		}
		for uint64(len(byID)) <= id {
			byID = append(byID, 0)
		}
		if byID[id] == 0 {
			order = append(order, addrFlows{addr: addr})
			byID[id] = int32(len(order))
		}
		x := order[byID[id]-1].of(asset)
		if out {
			x.out.Add(&x.out, &v)
		} else {
			x.in.Add(&x.in, &v)
		}
	}
	type assetKey struct {
		sym, contract uint64
		dec           uint8
	}
	assetIDs := map[assetKey]uint64{}
	var assets []assetKey
	asset := func(a chains.Asset) uint64 {
		k := assetKey{st.id(a.Symbol), st.id(a.Contract), a.Decimals}
		if id, ok := assetIDs[k]; ok {
			return id
		}
		id := uint64(len(assets))
		assetIDs[k] = id
		assets = append(assets, k)
		return id
	}
	// The header, the body (which fills the tables), the tables, and the
	// tables' offset.
	body := make(wbuf, 0, 40*n+64)
	body = append(body, blockRecordVersion)
	body.uvarint(b.Ref.Number)
	body.hexStr(b.Ref.Hash)
	body.hexStr(b.Ref.Parent)
	var t int64
	if !b.Ref.Time.IsZero() {
		t = b.Ref.Time.UnixNano()
	}
	body = binary.AppendVarint(body, t)
	body.uvarint(uint64(len(b.Txs)))
	for i := range b.Txs {
		tx := &b.Txs[i]
		body.hexStr(tx.Hash)
		body.uvarint(uint64(tx.Index))
		var flags byte
		if tx.Failed {
			flags |= 1
		}
		if tx.GasPrice != nil {
			flags |= 2
		}
		body = append(body, flags)
		body.uvarint(st.id(tx.From))
		body.uvarint(st.id(tx.To))
		if tx.GasPrice != nil {
			body.bigAmt(tx.GasPrice)
		}
		body.uvarint(uint64(len(tx.Transfers)))
		for k := range tx.Transfers {
			t := &tx.Transfers[k]
			body = append(body, byte(t.Kind))
			body.uvarint(uint64(t.Seq))
			body.uvarint(uint64(t.LogIndex + 1))
			from, to := st.id(t.From), st.id(t.To)
			body.uvarint(from)
			body.uvarint(to)
			body.uvarint(asset(t.Asset))
			body.bigAmt(t.Amount)
			if !withFlows || (tx.Failed && t.Kind != chains.Fee) || t.Kind == chains.NFT || t.Amount == nil || t.Amount.Sign() <= 0 || t.From == t.To {
				continue
			}
			if v.SetFromBig(t.Amount) {
				continue // above 256 bits: the engine skips it too
			}
			flow(to, t.To, t.Asset.Key(), false)
			flow(from, t.From, t.Asset.Key(), true)
		}
		body.uvarint(uint64(len(tx.Logs)))
		for k := range tx.Logs {
			l := &tx.Logs[k]
			body.uvarint(uint64(l.Index))
			body.uvarint(st.id(l.Address))
			body.uvarint(uint64(len(l.Topics)))
			for _, t := range l.Topics {
				body = append(body, t[:]...)
			}
			body.str(string(l.Data))
		}
		body.uvarint(uint64(len(tx.Inputs)))
		for k := range tx.Inputs {
			in := &tx.Inputs[k]
			body.hexStr(in.Prev.Tx)
			body.uvarint(uint64(in.Prev.Index))
			body = binary.AppendVarint(body, in.Value)
			body.uvarint(st.id(b.InputAddress(in)))
			var f byte
			if in.Coinbase {
				f |= 1
			}
			if in.Resolved {
				f |= 2
			}
			body = append(body, f)
		}
		body.uvarint(uint64(len(tx.Outputs)))
		for k := range tx.Outputs {
			o := &tx.Outputs[k]
			body.uvarint(uint64(o.Index))
			body = binary.AppendVarint(body, o.Value)
			body.uvarint(st.id(b.OutputAddress(o)))
			body.uvarint(st.id(string(o.Class)))
			body.str(string(o.Data))
		}
	}
	w := body
	off := len(w)
	w.uvarint(uint64(len(st.strs)))
	for _, s := range st.strs {
		w.hexStr(s)
	}
	w.uvarint(uint64(len(assets)))
	for _, a := range assets {
		w.uvarint(a.sym)
		w.uvarint(a.contract)
		w = append(w, a.dec)
	}
	return binary.BigEndian.AppendUint32(w, uint32(off)), order
}

// splitRecord returns a record's header and body, and its tables.
func splitRecord(v []byte) (body, tables []byte, err error) {
	if len(v) < 5 {
		return nil, nil, errShort
	}
	off := binary.BigEndian.Uint32(v[len(v)-4:])
	if uint64(off) > uint64(len(v)-4) {
		return nil, nil, fmt.Errorf("tables at %d of %d bytes", off, len(v))
	}
	return v[:off], v[off : len(v)-4], nil
}

// decodeRecordRef reads only a record's block reference.
func decodeRecordRef(v []byte) (chains.BlockRef, error) {
	body, _, err := splitRecord(v)
	if err != nil {
		return chains.BlockRef{}, err
	}
	r := rbuf{b: body}
	ref := recordRef(&r)
	return ref, r.err
}

func recordRef(r *rbuf) chains.BlockRef {
	if ver := r.u8(); r.err == nil && ver != blockRecordVersion {
		r.err = fmt.Errorf("block record version %d, want %d", ver, blockRecordVersion)
	}
	var ref chains.BlockRef
	ref.Number = r.uvarint()
	ref.Hash = r.hexStr()
	ref.Parent = r.hexStr()
	if t := r.varint(); t != 0 {
		ref.Time = time.Unix(0, t).UTC()
	}
	return ref
}

// decodeBlockRecord rebuilds the block of a record.
func decodeBlockRecord(c chains.Chain, v []byte) (*chains.Block, error) {
	body, tables, err := splitRecord(v)
	if err != nil {
		return nil, fmt.Errorf("%s block record: %w", c, err)
	}
	r := rbuf{b: tables}
	strs := make([]string, r.count())
	for i := range strs {
		strs[i] = r.hexStr()
	}
	str := func() string {
		id := r.uvarint()
		if r.err != nil {
			return ""
		}
		if id >= uint64(len(strs)) {
			r.err = fmt.Errorf("string id %d of %d", id, len(strs))
			return ""
		}
		return strs[id]
	}
	assets := make([]chains.Asset, r.count())
	for i := range assets {
		assets[i].Symbol = str()
		assets[i].Contract = str()
		assets[i].Decimals = r.u8()
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes after the tables", len(r.b))
	}
	if r.err != nil {
		return nil, fmt.Errorf("%s block record: %w", c, r.err)
	}
	r = rbuf{b: body}
	b := &chains.Block{Chain: c, Ref: recordRef(&r)}
	b.Txs = make([]chains.Tx, r.count())
	for i := range b.Txs {
		tx := &b.Txs[i]
		tx.Hash = r.hexStr()
		tx.Index = int(r.uvarint())
		flags := r.u8()
		tx.Failed = flags&1 != 0
		tx.From, tx.To = str(), str()
		if flags&2 != 0 {
			tx.GasPrice = r.bigAmt()
		}
		if n := r.count(); n > 0 {
			tx.Transfers = make([]chains.Transfer, n)
			for k := range tx.Transfers {
				t := &tx.Transfers[k]
				t.Kind = chains.TransferKind(r.u8())
				t.TxIndex = tx.Index
				t.Seq = int(r.uvarint())
				t.LogIndex = int(r.uvarint()) - 1
				t.From, t.To = str(), str()
				id := r.uvarint()
				if r.err == nil && id >= uint64(len(assets)) {
					r.err = fmt.Errorf("asset id %d of %d", id, len(assets))
				}
				if r.err == nil {
					t.Asset = assets[id]
				}
				t.Amount = r.bigAmt()
			}
		}
		if n := r.count(); n > 0 {
			tx.Logs = make([]chains.Log, n)
			for k := range tx.Logs {
				l := &tx.Logs[k]
				l.Index = int(r.uvarint())
				l.Address = str()
				nt := r.uvarint()
				if r.err == nil && nt > uint64(len(r.b))/32 {
					r.err = errShort
				}
				if r.err == nil && nt > 0 {
					l.Topics = make([][32]byte, nt)
					for t := range l.Topics {
						copy(l.Topics[t][:], r.bytes(32))
					}
				}
				if d := r.bytes(r.uvarint()); len(d) > 0 {
					l.Data = append([]byte(nil), d...)
				}
			}
		}
		if n := r.count(); n > 0 {
			tx.Inputs = make([]chains.Input, n)
			for k := range tx.Inputs {
				in := &tx.Inputs[k]
				in.Prev.Tx = r.hexStr()
				in.Prev.Index = uint32(r.uvarint())
				in.Value = r.varint()
				in.Address = str()
				f := r.u8()
				in.Coinbase, in.Resolved = f&1 != 0, f&2 != 0
			}
		}
		if n := r.count(); n > 0 {
			tx.Outputs = make([]chains.Output, n)
			for k := range tx.Outputs {
				o := &tx.Outputs[k]
				o.Index = uint32(r.uvarint())
				o.Value = r.varint()
				o.Address = str()
				o.Class = chains.ScriptClass(str())
				if d := r.bytes(r.uvarint()); len(d) > 0 {
					o.Data = append([]byte(nil), d...)
				}
			}
		}
		if r.err != nil {
			break
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("%s block record: %w", c, r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%s block record: %d bytes after the last transaction", c, len(r.b))
	}
	return b, nil
}
