package evmbridges_test

import (
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/chainhound/chainhound/chains"
)

// eventsABI is the ABI of the events this package decodes, written from
// the protocols' sources (testdata/README.md).
func eventsABI(t testing.TB) abi.ABI {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "events.abi.json"))
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
func loadLog(t testing.TB, name string) chains.Log {
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
	return l
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

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
