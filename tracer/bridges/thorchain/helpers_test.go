package thorchain_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/chainhound/chainhound/chains"
)

// routerABI is the Deposit and TransferOut entries of THORChain's router
// ABI (testdata/README.md).
func routerABI(t testing.TB) abi.ABI {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "router_events.abi.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := abi.JSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// jsonLog is a log as eth_getTransactionReceipt writes it.
type jsonLog struct {
	Address string   `json:"address"`
	Topics  []string `json:"topics"`
	Data    string   `json:"data"`
	TxHash  string   `json:"transactionHash"`
}

// loadLog reads a JSON-RPC log from testdata into chainhound's Log.
func loadLog(t testing.TB, name string) (chains.Log, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var j jsonLog
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatal(err)
	}
	l := chains.Log{Address: j.Address, Data: unhex(t, j.Data)}
	for _, s := range j.Topics {
		l.Topics = append(l.Topics, [32]byte(unhex(t, s)))
	}
	return l, j.TxHash
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

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
