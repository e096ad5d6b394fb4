package ethereum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"
)

// scriptedNode is a scripted JSON-RPC node, used only for what a real
// node will not do: answer garbage, emit a malformed log, lag behind the
// head it announces, vanish. Its chain has one transaction per block.
type scriptedNode struct {
	mu       sync.Mutex
	head     uint64
	garbage  uint64 // eth_getBlockByNumber of this block answers garbage
	badLogAt uint64 // this block's receipt has a Transfer log with 2 topics
	lagging  int    // the next lagging calls for the head block answer null
	served   map[uint64]int
}

func blockHash(n uint64) common.Hash { return crypto.Keccak256Hash([]byte(fmt.Sprintf("block-%d", n))) }
func txHash(n uint64) common.Hash    { return crypto.Keccak256Hash([]byte(fmt.Sprintf("tx-%d", n))) }

type scriptedEth struct{ s *scriptedNode }

func (e scriptedEth) ChainId() hexutil.Uint64 { return 1337 }

func (e scriptedEth) BlockNumber() hexutil.Uint64 {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	return hexutil.Uint64(e.s.head)
}

func (e scriptedEth) GetBlockByNumber(number string, full bool) (json.RawMessage, error) {
	n, err := hexutil.DecodeUint64(number)
	if err != nil {
		return nil, err
	}
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	if n > e.s.head {
		return json.RawMessage("null"), nil
	}
	if n == e.s.head && e.s.lagging > 0 {
		e.s.lagging--
		return json.RawMessage("null"), nil
	}
	if n == e.s.garbage {
		return json.RawMessage(`{"number":"0xzz","hash":"not a hash","transactions":7}`), nil
	}
	e.s.served[n]++
	var parent common.Hash
	if n > 0 {
		parent = blockHash(n - 1)
	}
	b := map[string]any{"number": hexutil.Uint64(n), "hash": blockHash(n), "parentHash": parent, "timestamp": hexutil.Uint64(1700000000 + n)}
	txs := []any{}
	if full && n > 0 {
		txs = append(txs, map[string]any{"hash": txHash(n), "from": common.HexToAddress("0xa1"), "to": common.HexToAddress("0xb2"),
			"value": hexutil.Uint64(n), "gasPrice": hexutil.Uint64(10), "transactionIndex": hexutil.Uint64(0), "blockHash": blockHash(n)})
	}
	b["transactions"] = txs
	return json.Marshal(b)
}

func (e scriptedEth) GetBlockReceipts(sel rpc.BlockNumberOrHash) (json.RawMessage, error) {
	h, ok := sel.Hash()
	if !ok {
		return nil, errors.New("scripted node wants a hash")
	}
	var n uint64
	for n = 1; n < 1000 && blockHash(n) != h; n++ {
	}
	e.s.mu.Lock()
	bad := n == e.s.badLogAt
	e.s.mu.Unlock()
	topics := []common.Hash{topicTransfer, addrTopic(common.HexToAddress("0xa1")), addrTopic(common.HexToAddress("0xb2"))}
	if bad {
		topics = topics[:2]
	}
	return json.Marshal([]any{map[string]any{
		"transactionHash": txHash(n), "transactionIndex": "0x0", "blockHash": h, "blockNumber": hexutil.Uint64(n),
		"from": common.HexToAddress("0xa1"), "status": "0x1", "gasUsed": "0x5208", "effectiveGasPrice": "0xa",
		"logs": []any{map[string]any{"address": common.HexToAddress("0x70"), "topics": topics, "data": hexutil.Bytes(word(3)), "logIndex": "0x0"}},
	}})
}

// serve serves the scripted node over HTTP on addr ("127.0.0.1:0" for any
// port) and returns the URL and a stop function.
func (s *scriptedNode) serve(t *testing.T, addr string) (string, func()) {
	t.Helper()
	srv := rpc.NewServer()
	if err := srv.RegisterName("eth", scriptedEth{s}); err != nil {
		t.Fatal(err)
	}
	var l net.Listener
	var err error
	for range 50 { // the port of a stopped server may take a moment to free
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(l)
	var once sync.Once
	stop := func() { once.Do(func() { hs.Close(); srv.Stop() }) }
	t.Cleanup(stop)
	return "http://" + l.Addr().String(), stop
}

func newScripted(head uint64) *scriptedNode {
	return &scriptedNode{head: head, served: map[uint64]int{}}
}

func (s *scriptedNode) set(fn func(s *scriptedNode)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

func scriptedConfig(t *testing.T, url string) Config {
	return Config{Network: "dev", RPC: url, StartBlock: "1", Traces: TracesOff, PollInterval: 20 * time.Millisecond, Checkpoints: openStore(t, t.TempDir())}
}

func TestScriptedGarbage(t *testing.T) {
	s := newScripted(5)
	s.garbage = 3
	url, _ := s.serve(t, "127.0.0.1:0")
	r := &recorder{}
	cfg := scriptedConfig(t, url)
	run := startFollower(t, cfg, r)
	var err error
	select {
	case err = <-run.done:
		run.done <- err
	case <-time.After(20 * time.Second):
		t.Fatal("follower kept going on garbage")
	}
	if err == nil || !strings.Contains(err.Error(), "block 3") || !badData(err) {
		t.Fatalf("Run returned %v, want a bad-response error naming block 3", err)
	}
	if tip := r.Tip(); tip.Number != 2 {
		t.Errorf("consumer tip %d, want 2 (nothing past the garbage)", tip.Number)
	}
	ck, _, _ := cfg.Checkpoints.Checkpoint(context.Background(), chains.Ethereum)
	if ck.Number != 2 {
		t.Errorf("checkpoint %d, want 2", ck.Number)
	}
}

func TestScriptedWrongTopicCount(t *testing.T) {
	s := newScripted(3)
	s.badLogAt = 2
	url, _ := s.serve(t, "127.0.0.1:0")
	r := &recorder{}
	startFollower(t, scriptedConfig(t, url), r)
	testnodes.WaitFor(t, 10*time.Second, "block 3", func() bool { return r.Tip().Number == 3 })
	for _, ev := range r.Events() {
		if ev.Type != chains.Connected {
			continue
		}
		var kinds []string
		for _, x := range ev.Block.Txs[0].Transfers {
			kinds = append(kinds, x.Kind.String())
		}
		want := "native token fee"
		if ev.Ref.Number == 2 {
			want = "native fee" // the 2-topic Transfer log is not a transfer
		}
		if got := strings.Join(kinds, " "); got != want {
			t.Errorf("block %d: transfers %q, want %q", ev.Ref.Number, got, want)
		}
	}
}

func TestScriptedLaggingNode(t *testing.T) {
	s := newScripted(2)
	url, _ := s.serve(t, "127.0.0.1:0")
	r := &recorder{}
	startFollower(t, scriptedConfig(t, url), r)
	testnodes.WaitFor(t, 10*time.Second, "block 2", func() bool { return r.Tip().Number == 2 })
	s.set(func(s *scriptedNode) { s.head, s.lagging = 4, 3 }) // announces 4, serves it only on the 4th ask
	testnodes.WaitFor(t, 10*time.Second, "block 4", func() bool { return r.Tip().Number == 4 })
	got, _ := r.Since(0)
	if want := "+1 +2 +3 +4"; strings.Join(got, " ") != want {
		t.Errorf("events %v, want %s", got, want)
	}
	r.Check(t)
}

func TestConfigErrors(t *testing.T) {
	store := openStore(t, t.TempDir())
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"network", Config{Network: "goerli", RPC: "ws://x:1", Checkpoints: store}, "network"},
		{"scheme", Config{Network: "dev", RPC: "ftp://x:1", Checkpoints: store}, "scheme"},
		{"start block", Config{Network: "dev", RPC: "ws://x:1", StartBlock: "soon", Checkpoints: store}, "start_block"},
		{"traces", Config{Network: "dev", RPC: "ws://x:1", Traces: "maybe", Checkpoints: store}, "traces"},
		{"mempool over http", Config{Network: "dev", RPC: "http://x:1", Mempool: true, Checkpoints: store}, "mempool"},
		{"no store", Config{Network: "dev", RPC: "ws://x:1"}, "checkpoint store"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error naming %s", err, tc.want)
			}
		})
	}
}
