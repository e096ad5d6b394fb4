package thorchain_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/tracertest"
)

// routerABI is the Deposit and TransferOut entries of THORChain's router
// ABI (testdata/README.md).
func routerABI(t testing.TB) abi.ABI {
	return tracertest.ReadABI(t, filepath.Join("testdata", "router_events.abi.json"))
}

// loadLog reads a JSON-RPC log from testdata into chainhound's Log.
func loadLog(t testing.TB, name string) (chains.Log, string) {
	return tracertest.ReadLog(t, filepath.Join("testdata", name))
}

func unhex(t testing.TB, s string) []byte { return tracertest.Unhex(t, s) }

// word is a 32-byte big-endian word holding v.
func word(v uint64) [32]byte {
	var w [32]byte
	for i := 0; i < 8; i++ {
		w[31-i] = byte(v >> (8 * i))
	}
	return w
}

// addrWord is an address as an indexed topic.
func addrWord(t testing.TB, a string) [32]byte {
	var w [32]byte
	copy(w[12:], unhex(t, a))
	return w
}

func fmtAny(v any) string { return fmt.Sprint(v) }
