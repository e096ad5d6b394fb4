package evmbridges_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/tracertest"
)

// eventsABI is the ABI of the events this package decodes, written from
// the protocols' sources (testdata/README.md).
func eventsABI(t testing.TB) abi.ABI {
	return tracertest.ReadABI(t, filepath.Join("testdata", "events.abi.json"))
}

// loadLog reads a JSON-RPC log from testdata into chainhound's Log.
func loadLog(t testing.TB, name string) chains.Log {
	l, _ := tracertest.ReadLog(t, filepath.Join("testdata", name))
	return l
}

func unhex(t testing.TB, s string) []byte { return tracertest.Unhex(t, s) }

// word32 is a 32-byte word holding the big-endian bytes of hex s,
// right-aligned (an address or a number as a topic).
func word32(t testing.TB, s string) [32]byte {
	t.Helper()
	b := unhex(t, s)
	var w [32]byte
	copy(w[32-len(b):], b)
	return w
}

// bridgeLabel is the shipped label of a mainnet bridge contract:
// its label and protocol, or empty strings when it is not labelled.
func bridgeLabel(t testing.TB, address string) (label, protocol string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "watchlists", "labels", "bridge.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] { // chain,address,label,source,note,protocol
		if r[0] == "ethereum" && r[1] == address {
			return r[2], r[5]
		}
	}
	return "", ""
}
