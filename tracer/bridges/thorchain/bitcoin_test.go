package thorchain_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
)

// Real THORChain payout scripts: Bitcoin mainnet block 702,861, output 2
// of txs 35991d6e…e089 and 10bed6fd…eee4 (testdata/README.md).
var realPayoutScripts = map[string]string{
	"6a444f55543a42443239324244443630373037463936374430303838343137343935453542444333384239464142414235434531383039323936424333394533323544413233": "OUT:BD292BDD60707F967D0088417495E5BDC38B9FABAB5CE1809296BC39E325DA23",
	"6a444f55543a42374345434445353643453435313134433343334134363730354141413633313341463931373936353442413741303244383031303445393146444538384645": "OUT:B7CECDE56CE45114C3C3A46705AAA6313AF9179654BA7A02D80104E91FDE88FE",
}

func TestDecodeBitcoinMemoReal(t *testing.T) {
	for script, want := range realPayoutScripts {
		got, ok := thorchain.DecodeBitcoinMemo(unhex(t, script))
		if !ok || got != want {
			t.Errorf("DecodeBitcoinMemo(%s…) = %q, %v; want %q", script[:12], got, ok, want)
		}
	}
}

// Scanning the whole real block finds exactly those two THORChain memos
// among its OP_RETURN outputs (omni, witness commitments and others are
// not THORChain memos). The block is the Bitcoin follower's test fixture
// (chains/bitcoin/testdata/README.md names its source).
func TestDecodeBitcoinMemoRealBlock(t *testing.T) {
	raw, err := os.ReadFile("../../../chains/bitcoin/testdata/block702861.raw")
	if err != nil {
		t.Fatal(err)
	}
	var b wire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, tx := range b.Transactions {
		for _, o := range tx.TxOut {
			memo, ok := thorchain.DecodeBitcoinMemo(o.PkScript)
			if !ok {
				continue
			}
			if m, err := thorchain.ParseMemo(memo); err == nil {
				found = append(found, tx.TxHash().String()+" "+m.String())
			}
		}
	}
	want := []string{
		"35991d6e10424a637cb93f661b66df895a692ce91ae9aca2896ceba8af5be089 OUT:BD292BDD60707F967D0088417495E5BDC38B9FABAB5CE1809296BC39E325DA23",
		"10bed6fdffe95104d7ee6ea1d3bb257a410ae3d36e00faa38beb868be5e4eee4 OUT:B7CECDE56CE45114C3C3A46705AAA6313AF9179654BA7A02D80104E91FDE88FE",
	}
	if strings.Join(found, "\n") != strings.Join(want, "\n") {
		t.Errorf("THORChain memos in block 702,861:\n%s\nwant:\n%s", strings.Join(found, "\n"), strings.Join(want, "\n"))
	}
}

func TestDecodeBitcoinMemoShapes(t *testing.T) {
	memo := "=:ETH.ETH:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0"
	long := strings.Repeat("x", 100)
	cases := []struct {
		name   string
		script []byte
		want   string
		ok     bool
	}{
		{"direct push", append([]byte{0x6a, byte(len(memo))}, memo...), memo, true},
		{"PUSHDATA1", append([]byte{0x6a, 0x4c, byte(len(memo))}, memo...), memo, true},
		{"PUSHDATA2", append([]byte{0x6a, 0x4d, byte(len(long)), 0}, long...), long, true},
		{"PUSHDATA4", append([]byte{0x6a, 0x4e, byte(len(memo)), 0, 0, 0}, memo...), memo, true},
		{"empty", nil, "", false},
		{"OP_RETURN alone", []byte{0x6a}, "", false},
		{"OP_RETURN OP_0", []byte{0x6a, 0x00}, "", false},
		{"OP_RETURN OP_1", []byte{0x6a, 0x51}, "", false},
		{"not OP_RETURN", append([]byte{0x00, byte(len(memo))}, memo...), "", false},
		{"push runs past script", append([]byte{0x6a, byte(len(memo) + 1)}, memo...), "", false},
		{"bytes after push", append(append([]byte{0x6a, byte(len(memo))}, memo...), 0x01), "", false},
		{"PUSHDATA1 cut", []byte{0x6a, 0x4c}, "", false},
		{"PUSHDATA2 cut", []byte{0x6a, 0x4d, 0x01}, "", false},
		{"PUSHDATA4 cut", []byte{0x6a, 0x4e, 0x01, 0x00}, "", false},
		{"PUSHDATA4 huge", []byte{0x6a, 0x4e, 0xff, 0xff, 0xff, 0xff, 'x'}, "", false},
		{"over 250 bytes", append([]byte{0x6a, 0x4d, 251, 0}, strings.Repeat("y", 251)...), "", false},
	}
	for _, c := range cases {
		got, ok := thorchain.DecodeBitcoinMemo(c.script)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: got %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
