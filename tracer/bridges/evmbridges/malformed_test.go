package evmbridges_test

import (
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/evmbridges"
)

// realLogs are the real logs in testdata, each a claim of a known event.
var realLogs = []string{"lifi_mainnet_22526256.json", "wormhole_mainnet_15435810.json", "stargate_v1_avalanche_30806758.json"}

// Every truncation of a real log's data is an error (never a panic, never
// a transfer): each event's data has no optional tail.
func TestTruncatedDataIsAnError(t *testing.T) {
	for _, name := range realLogs {
		l := loadLog(t, name)
		for n := 0; n < len(l.Data); n++ {
			short := chains.Log{Address: l.Address, Topics: l.Topics, Data: l.Data[:n]}
			if got, ok, err := evmbridges.Decode(short); err == nil || ok {
				t.Errorf("%s cut to %d bytes: %+v, %v, %v", name, n, got, ok, err)
				break
			}
		}
	}
}

func TestMalformedLogs(t *testing.T) {
	lifi := loadLog(t, "lifi_mainnet_22526256.json")
	wh := loadLog(t, "wormhole_mainnet_15435810.json")
	sg := loadLog(t, "stargate_v1_avalanche_30806758.json")
	with := func(l chains.Log, f func(*chains.Log)) chains.Log {
		c := chains.Log{Address: l.Address, Topics: append([][32]byte(nil), l.Topics...), Data: append([]byte(nil), l.Data...)}
		f(&c)
		return c
	}
	setWord := func(d []byte, off int, b byte) { d[off] = b }
	cases := []struct {
		name string
		log  chains.Log
		want string
	}{
		{"lifi extra topic", with(lifi, func(l *chains.Log) { l.Topics = append(l.Topics, [32]byte{}) }), "2 topics, want 1"},
		{"lifi tuple offset", with(lifi, func(l *chains.Log) { setWord(l.Data, 31, 0x21) }), "bridgeData offset"},
		{"lifi bridge offset past data", with(lifi, func(l *chains.Log) { setWord(l.Data, 32+63, 0xff); setWord(l.Data, 32+62, 0xff) }), "bridge offset"},
		{"lifi bridge length past data", with(lifi, func(l *chains.Log) { setWord(l.Data, 32+0x140+30, 0x10) }), "bridge length"},
		{"lifi receiver high bytes", with(lifi, func(l *chains.Log) { setWord(l.Data, 32+5*32, 1) }), "receiver is not an address"},
		{"lifi chain id over uint64", with(lifi, func(l *chains.Log) { setWord(l.Data, 32+7*32+23, 1) }), "destinationChainId"},
		{"lifi bool not 0/1", with(lifi, func(l *chains.Log) { setWord(l.Data, 32+8*32+31, 2) }), "hasSourceSwaps"},
		{"wormhole no sender", with(wh, func(l *chains.Log) { l.Topics = l.Topics[:1] }), "1 topics, want 2"},
		{"wormhole sender high bytes", with(wh, func(l *chains.Log) { l.Topics[1][0] = 1 }), "sender is not an address"},
		{"wormhole sequence over uint64", with(wh, func(l *chains.Log) { setWord(l.Data, 23, 1) }), "sequence"},
		{"wormhole consistency over uint8", with(wh, func(l *chains.Log) { setWord(l.Data, 3*32+30, 1) }), "consistencyLevel"},
		{"wormhole payload offset unaligned", with(wh, func(l *chains.Log) { setWord(l.Data, 2*32+31, 0x81) }), "payload offset"},
		{"wormhole payload length huge", with(wh, func(l *chains.Log) { setWord(l.Data, 4*32+0, 0x7f) }), "payload length"},
		{"stargate extra word", with(sg, func(l *chains.Log) { l.Data = append(l.Data, make([]byte, 32)...) }), "want 256"},
		{"stargate chain over uint16", with(sg, func(l *chains.Log) { setWord(l.Data, 29, 1) }), "chainId"},
		{"stargate from high bytes", with(sg, func(l *chains.Log) { setWord(l.Data, 2*32, 1) }), "from is not an address"},
	}
	for _, c := range cases {
		got, ok, err := evmbridges.Decode(c.log)
		if err == nil || ok || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %+v, %v, %v; want an error containing %q", c.name, got, ok, err, c.want)
		}
	}
}

// A log with no topics or an unknown topic0 is not a bridge event, and
// the per-event decoders refuse another event's log.
func TestOtherLogs(t *testing.T) {
	wh := loadLog(t, "wormhole_mainnet_15435810.json")
	transfer := chains.Log{Topics: [][32]byte{word32(t, "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")}, Data: make([]byte, 32)}
	for _, l := range []chains.Log{{}, transfer} {
		if got, ok, err := evmbridges.Decode(l); ok || err != nil {
			t.Errorf("Decode(%v) = %+v, %v, %v", l.Topics, got, ok, err)
		}
	}
	if _, err := evmbridges.DecodeLiFiTransferStarted(wh); err == nil {
		t.Error("DecodeLiFiTransferStarted accepts a LogMessagePublished")
	}
	if _, err := evmbridges.DecodeAcrossDeposit(wh); err == nil {
		t.Error("DecodeAcrossDeposit accepts a LogMessagePublished")
	}
	if _, err := evmbridges.DecodeOFTSent(wh); err == nil {
		t.Error("DecodeOFTSent accepts a LogMessagePublished")
	}
	if _, err := evmbridges.DecodeBridgeToNonEVMChain(wh); err == nil {
		t.Error("DecodeBridgeToNonEVMChain accepts a LogMessagePublished")
	}
}
