package evmbridges_test

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/evmbridges"
)

// knownTopics is Topics() in byte order: the fuzz target's sel picks one.
func knownTopics() [][32]byte {
	var ts [][32]byte
	for t := range evmbridges.Topics() {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return bytes.Compare(ts[i][:], ts[j][:]) < 0 })
	return ts
}

// fuzzLog builds a log from the fuzz arguments: topic0 is known topic
// sel (or, past the table, the first word of rest), further topics are
// the 32-byte words of rest (at most three, the last zero-padded).
func fuzzLog(known [][32]byte, sel uint8, rest, data []byte) chains.Log {
	l := chains.Log{Address: "0x98f3c9e6e3face36baad05fe09d375ef1464288b", Data: data}
	if int(sel) < len(known) {
		l.Topics = [][32]byte{known[sel]}
	}
	for i := 0; i < len(rest) && len(l.Topics) < 4; i += 32 {
		var w [32]byte
		copy(w[:], rest[i:])
		l.Topics = append(l.Topics, w)
	}
	return l
}

// FuzzDecode: Decode never panics. What it accepts go-ethereum's ABI
// decoder reads too, with the same key fields; and the values go-ethereum
// reads, packed again (canonical encoding), decode to the same Transfer.
func FuzzDecode(f *testing.F) {
	known := knownTopics()
	index := map[[32]byte]uint8{}
	for i, t := range known {
		index[t] = uint8(i)
	}
	add := func(l chains.Log) {
		var rest []byte
		for _, t := range l.Topics[1:] {
			rest = append(rest, t[:]...)
		}
		f.Add(index[l.Topics[0]], rest, l.Data)
	}
	for _, name := range realLogs {
		add(loadLog(f, name))
	}
	// Constructed seeds (constructed_test.go says why) reach the other
	// events' layouts.
	addr := common.HexToAddress("0x5067c042e35881843f2b31dfc2db1f4f272ef48c")
	var b32 [32]byte
	copy(b32[12:], addr[:])
	add(packLog(f, "V3FundsDeposited", spokePool, [][32]byte{word32(f, "a4b1"), word32(f, "2b6c7f"), b32},
		addr, addr, big.NewInt(1e9), big.NewInt(999e6), uint32(1), uint32(2), uint32(0), addr, common.Address{}, []byte("m")))
	add(packLog(f, "FundsDeposited", spokePool, [][32]byte{word32(f, "1f2abb7bf89b"), word32(f, "01"), b32},
		b32, b32, big.NewInt(5e6), big.NewInt(4e6), uint32(1), uint32(2), uint32(0), [32]byte{1, 2, 3}, [32]byte{}, []byte{}))
	add(packLog(f, "OFTSent", spokePool, [][32]byte{{7}, b32}, uint32(30110), big.NewInt(10), big.NewInt(9)))
	add(packLog(f, "BridgeToNonEVMChain", spokePool, [][32]byte{{7}, word32(f, "12309ce54001")}, []byte("bc1q80nz3hx4w6dpzwwmuddyyd0y3uwj0sjxrtmlgu")))
	add(packLog(f, "BridgeToNonEVMChainBytes32", spokePool, [][32]byte{{7}, word32(f, "0416edef1601be")}, [32]byte{9}))
	a := eventsABI(f)
	byID := map[[32]byte]abi.Event{}
	for _, e := range a.Events {
		byID[[32]byte(e.ID)] = e
	}
	f.Fuzz(func(t *testing.T, sel uint8, rest, data []byte) {
		l := fuzzLog(known, sel, rest, data)
		got, ok, err := evmbridges.Decode(l)
		if err != nil || !ok {
			if ok || got.Bridge != "" || got.Amount != nil {
				t.Fatalf("ok %v err %v with a non-zero transfer %+v", ok, err, got)
			}
			return
		}
		if got.Bridge == "" || (got.Amount != nil && got.Amount.Sign() < 0) {
			t.Fatalf("accepted %+v", got)
		}
		e, inABI := byID[l.Topics[0]]
		if !inABI {
			return // the older bytes32 BridgeToNonEVMChain shares its name
		}
		in := e.Inputs.NonIndexed()
		vals, gerr := in.Unpack(data)
		if gerr != nil {
			t.Fatalf("we decode %+v, go-ethereum fails: %v", got, gerr)
		}
		checkAgainstABI(t, e.Name, l, vals, got)
		canon, perr := in.Pack(vals...)
		if perr != nil {
			t.Fatalf("go-ethereum cannot re-pack %v: %v", vals, perr)
		}
		again, ok, err := evmbridges.Decode(chains.Log{Address: l.Address, Topics: l.Topics, Data: canon})
		if err != nil || !ok || !sameTransfer(again, got) {
			t.Fatalf("re-packed data decodes to %+v, %v, %v; first %+v", again, ok, err, got)
		}
	})
}

func checkAgainstABI(t *testing.T, event string, l chains.Log, vals []any, got evmbridges.Transfer) {
	t.Helper()
	lower := func(a common.Address) string { return strings.ToLower(a.Hex()) }
	bad := func() { t.Fatalf("%s: go-ethereum reads %v, we decode %+v", event, vals, got) }
	switch event {
	case "LiFiTransferStarted":
		v := reflect.ValueOf(vals[0])
		recv := lower(v.FieldByName("Receiver").Interface().(common.Address))
		if recv == evmbridges.LiFiNonEVMAddress {
			recv = ""
		}
		if v.FieldByName("Bridge").String() != got.Via || recv != got.DestAddress ||
			lower(v.FieldByName("SendingAssetId").Interface().(common.Address)) != got.Asset ||
			v.FieldByName("MinAmount").Interface().(*big.Int).Cmp(got.Amount) != 0 ||
			v.FieldByName("DestinationChainId").Interface().(*big.Int).Uint64() != got.DestChainID {
			bad()
		}
	case "BridgeToNonEVMChain", "BridgeToNonEVMChainBytes32":
		if new(big.Int).SetBytes(l.Topics[2][:]).Uint64() != got.DestChainID || got.DestAddress == "" {
			bad()
		}
	case "V3FundsDeposited":
		if lower(vals[1].(common.Address)) != got.Asset || vals[3].(*big.Int).Cmp(got.Amount) != 0 ||
			lower(vals[7].(common.Address)) != got.DestAddress {
			bad()
		}
	case "FundsDeposited":
		r := vals[7].([32]byte)
		if vals[3].(*big.Int).Cmp(got.Amount) != 0 ||
			(got.DestChain != "solana" && isZero(r[:12]) && got.DestAddress != "0x"+hex.EncodeToString(r[12:])) {
			bad()
		}
	case "LogMessagePublished":
		p := vals[2].([]byte)
		w, ok, err := evmbridges.DecodeWormholeTransfer(p)
		if err != nil || !ok || !sameTransfer(w, got) || new(big.Int).SetBytes(p[1:33]).Cmp(got.Amount) != 0 {
			bad()
		}
	case "Swap":
		if uint64(vals[0].(uint16)) != got.DestChainID || vals[3].(*big.Int).Cmp(got.Amount) != 0 {
			bad()
		}
	case "OFTSent":
		if uint64(vals[0].(uint32)) != got.DestChainID || vals[2].(*big.Int).Cmp(got.Amount) != 0 {
			bad()
		}
	default:
		t.Fatalf("no check for event %s", event)
	}
}

func sameTransfer(a, b evmbridges.Transfer) bool {
	if (a.Amount == nil) != (b.Amount == nil) || (a.Amount != nil && a.Amount.Cmp(b.Amount) != 0) {
		return false
	}
	a.Amount, b.Amount = nil, nil
	return a == b
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
