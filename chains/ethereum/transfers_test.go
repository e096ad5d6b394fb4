package ethereum

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// fixture is the shape of testdata/mainnet_*.json: the answers of
// eth_getBlockByNumber(n, true) and eth_getBlockReceipts(n).
type fixture struct {
	Block    rpcBlock     `json:"block"`
	Receipts []rpcReceipt `json:"receipts"`
}

var fixtureBlocks = []uint64{17173049, 17173050}

func readFixture(tb testing.TB, n uint64) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "mainnet_"+big.NewInt(int64(n)).String()+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func decodeFixture(tb testing.TB, n uint64) *chains.Block {
	tb.Helper()
	var fx fixture
	if err := json.Unmarshal(readFixture(tb, n), &fx); err != nil {
		tb.Fatal(err)
	}
	d := decoder{mainnet: true}
	blk, err := d.block(&fx.Block, fx.Receipts, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return blk
}

// TestMainnetTokenTransfers checks every ERC-20/721 transfer of two real
// mainnet blocks against ethereum-etl's independently extracted list.
func TestMainnetTokenTransfers(t *testing.T) {
	type key struct {
		tx       string
		logIndex int
	}
	want := map[key]string{}
	f, err := os.Open("testdata/ethereum-etl_17173049_17173050_token_transfers.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber()
		var r struct {
			Token, From, To, Tx string
			Value               json.Number
			LogIndex            int `json:"log_index"`
		}
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		r.Token, r.From, r.To, r.Tx = m["token_address"].(string), m["from_address"].(string), m["to_address"].(string), m["transaction_hash"].(string)
		r.Value = m["value"].(json.Number)
		li, _ := m["log_index"].(json.Number).Int64()
		want[key{r.Tx, int(li)}] = strings.Join([]string{r.Token, r.From, r.To, r.Value.String()}, " ")
	}
	got := map[key]string{}
	var fees, natives int
	for _, n := range fixtureBlocks {
		blk := decodeFixture(t, n)
		for _, tx := range blk.Txs {
			prevSeq := -1
			for _, tr := range tx.Transfers {
				if tr.Seq != prevSeq+1 || tr.TxIndex != tx.Index {
					t.Fatalf("tx %s: transfer order (%d,%d) after seq %d", tx.Hash, tr.TxIndex, tr.Seq, prevSeq)
				}
				prevSeq = tr.Seq
				switch tr.Kind {
				case chains.Token, chains.NFT:
					got[key{tx.Hash, tr.LogIndex}] = strings.Join([]string{tr.Asset.Contract, tr.From, tr.To, tr.Amount.String()}, " ")
				case chains.Fee:
					fees++
				case chains.Native:
					natives++
				}
			}
			if last := tx.Transfers[len(tx.Transfers)-1]; last.Kind != chains.Fee || last.From != tx.From || last.To != chains.FeeSink {
				t.Errorf("tx %s: last transfer %v %s→%s, want the fee from the sender", tx.Hash, last.Kind, last.From, last.To)
			}
		}
	}
	if len(want) != 291 {
		t.Fatalf("read %d expected token transfers, want 291", len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("tx %s log %d: got %q, want %q", k.tx, k.logIndex, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("tx %s log %d: extra transfer %q", k.tx, k.logIndex, g)
		}
	}
	if fees != 298 {
		t.Errorf("fees: got %d, want one per transaction (298)", fees)
	}
	if natives == 0 {
		t.Error("no native transfers in two mainnet blocks")
	}
}

// TestMainnetFeeAndValue checks one transaction of block 17173049 by hand:
// tx 0 sends 1642894143 wei and pays 85143 gas × 80869370967 wei.
func TestMainnetFeeAndValue(t *testing.T) {
	blk := decodeFixture(t, 17173049)
	tx := blk.Txs[0]
	if tx.Hash != "0xeb107a40ba73a50c79a9f2026e902d758d1c5e5e211f7a7db1b294f88f118dd0" {
		t.Fatalf("tx 0 is %s", tx.Hash)
	}
	fee := new(big.Int).Mul(big.NewInt(85143), big.NewInt(80869370967))
	want := []struct {
		kind     chains.TransferKind
		from, to string
		amount   *big.Int
	}{
		{chains.Native, "0xae2fc483527b8ef99eb5d9b44875f005ba1fae13", "0x6b75d8af000000e20b7a7ddf000ba900b4009a80", big.NewInt(1642894143)},
	}
	if got := tx.Transfers[0]; got.Kind != want[0].kind || got.From != want[0].from || got.To != want[0].to || got.Amount.Cmp(want[0].amount) != 0 {
		t.Errorf("first transfer %+v, want %+v", got, want[0])
	}
	if got := tx.Transfers[len(tx.Transfers)-1]; got.Amount.Cmp(fee) != 0 {
		t.Errorf("fee %s, want %s", got.Amount, fee)
	}
	if blk.Ref.Parent != "0x918a700a8e7a9f3fe0b3ccb176c810ded08729331ceef8d6375af5d1eeeaa6c0" || blk.Ref.Time.Unix() != 1683029999 {
		t.Errorf("ref %+v", blk.Ref)
	}
}

func hb(v int64) *hexutil.Big { return (*hexutil.Big)(big.NewInt(v)) }
func hu(v uint64) *hexutil.Uint64 {
	u := hexutil.Uint64(v)
	return &u
}
func word(v int64) []byte { return common.LeftPadBytes(big.NewInt(v).Bytes(), 32) }

var (
	aliceA, bobA, carolA = common.HexToAddress("0xa1"), common.HexToAddress("0xb2"), common.HexToAddress("0xc3")
	tokenA               = common.HexToAddress("0x70")
)

func addrTopic(a common.Address) common.Hash { return common.BytesToHash(a[:]) }

// TestLogShapes decodes hand-built logs of every shape the decoder meets.
func TestLogShapes(t *testing.T) {
	tests := []struct {
		name    string
		mainnet bool
		log     rpcLog
		want    string // "kind from to amount contract" or "" for no transfer
	}{
		{"erc20", false, rpcLog{Address: tokenA, Topics: []common.Hash{topicTransfer, addrTopic(aliceA), addrTopic(bobA)}, Data: word(5)}, "token a1 b2 5 70"},
		{"erc721", false, rpcLog{Address: tokenA, Topics: []common.Hash{topicTransfer, addrTopic(aliceA), addrTopic(bobA), common.BigToHash(big.NewInt(77))}}, "nft a1 b2 77 70"},
		{"two topics", false, rpcLog{Address: tokenA, Topics: []common.Hash{topicTransfer, addrTopic(aliceA)}, Data: word(5)}, ""},
		{"erc20 short data", false, rpcLog{Address: tokenA, Topics: []common.Hash{topicTransfer, addrTopic(aliceA), addrTopic(bobA)}, Data: word(5)[:31]}, ""},
		{"erc721 with data", false, rpcLog{Address: tokenA, Topics: []common.Hash{topicTransfer, addrTopic(aliceA), addrTopic(bobA), addrTopic(carolA)}, Data: word(1)}, ""},
		{"five topics", false, rpcLog{Address: tokenA, Topics: []common.Hash{topicTransfer, {}, {}, {}, {}}}, ""},
		{"no topics", false, rpcLog{Address: tokenA}, ""},
		{"removed", false, rpcLog{Address: tokenA, Removed: true, Topics: []common.Hash{topicTransfer, addrTopic(aliceA), addrTopic(bobA)}, Data: word(5)}, ""},
		{"weth deposit", true, rpcLog{Address: MainnetWETH, Topics: []common.Hash{topicDeposit, addrTopic(aliceA)}, Data: word(9)}, "wrap c02aaa39b223fe8d0a0e5c4f27ead9083c756cc2 a1 9 c02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"},
		{"weth withdrawal", true, rpcLog{Address: MainnetWETH, Topics: []common.Hash{topicWithdrawal, addrTopic(aliceA)}, Data: word(9)}, "unwrap a1 c02aaa39b223fe8d0a0e5c4f27ead9083c756cc2 9 c02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"},
		{"deposit elsewhere", true, rpcLog{Address: tokenA, Topics: []common.Hash{topicDeposit, addrTopic(aliceA)}, Data: word(9)}, ""},
		{"weth deposit off mainnet", false, rpcLog{Address: MainnetWETH, Topics: []common.Hash{topicDeposit, addrTopic(aliceA)}, Data: word(9)}, ""},
	}
	short := func(s string) string { return strings.TrimLeft(strings.TrimPrefix(s, "0x"), "0") }
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decoder{mainnet: tc.mainnet}
			tr, ok := d.logTransfer(&tc.log, map[common.Address]chains.Asset{})
			got := ""
			if ok {
				got = strings.Join([]string{tr.Kind.String(), short(tr.From), short(tr.To), tr.Amount.String(), short(tr.Asset.Contract)}, " ")
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestKeptLogs: a decoder told to keep a topic0 keeps exactly the logs of
// that topic, whole and in block order, on the transaction that emitted
// them; without the topic nothing is kept. Checked on the receipts of a
// real mainnet block.
func TestKeptLogs(t *testing.T) {
	var fx fixture
	if err := json.Unmarshal(readFixture(t, 17173049), &fx); err != nil {
		t.Fatal(err)
	}
	want := 0
	for i, r := range fx.Receipts {
		if uint64(*r.Status) == 0 {
			continue
		}
		for _, l := range fx.Receipts[i].Logs {
			if len(l.Topics) > 0 && l.Topics[0] == topicTransfer {
				want++
			}
		}
	}
	keep := newDecoder(true, [][32]byte{topicTransfer})
	blk, err := keep.block(&fx.Block, fx.Receipts, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, last := 0, -1
	for i, tx := range blk.Txs {
		for _, l := range tx.Logs {
			got++
			src := fx.Receipts[i].Logs
			var orig *rpcLog
			for k := range src {
				if int(src[k].LogIndex) == l.Index {
					orig = &src[k]
				}
			}
			if orig == nil || l.Index <= last || l.Topics[0] != topicTransfer || l.Address != addr(orig.Address) || !bytes.Equal(l.Data, orig.Data) || len(l.Topics) != len(orig.Topics) {
				t.Fatalf("tx %s kept log %+v, not the receipt's (%+v) or out of order", tx.Hash, l, orig)
			}
			last = l.Index
		}
	}
	if want == 0 || got != want {
		t.Fatalf("kept %d Transfer logs, the receipts hold %d", got, want)
	}
	none := newDecoder(true, nil)
	plain, err := none.block(&fx.Block, fx.Receipts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range plain.Txs {
		if len(tx.Logs) != 0 {
			t.Fatalf("tx %s kept %d logs with no topic asked for", tx.Hash, len(tx.Logs))
		}
	}
}
