package bitcoin

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains"
)

// scriptedNode is a scripted HTTP JSON-RPC server, used only for what a
// real node cannot be made to do: answer garbage, truncated blocks, the
// wrong chain, fail for a while. By default it answers like a mainnet
// node with txindex whose tip is the real block 702861 of testdata.
type scriptedNode struct {
	t        *testing.T
	srv      *httptest.Server
	raw      []byte
	hash     chainhash.Hash
	header   wire.BlockHeader
	mu       sync.Mutex
	override map[string]func(params []json.RawMessage) (status int, body string)
	calls    atomic.Int64
	batches  atomic.Int64
	// batchAnswer, when set, replaces the answer to a batch given the
	// per-item answers the node would send.
	batchAnswer func(items []map[string]any) (status int, body string)
	batchSizes  []int // calls in each batch received
}

func newScriptedNode(t *testing.T) *scriptedNode {
	s := &scriptedNode{t: t, raw: readBlock(t, "block702861.raw"), override: map[string]func([]json.RawMessage) (int, string){}}
	s.hash = chainhash.DoubleHashH(s.raw[:80])
	if err := s.header.Deserialize(strings.NewReader(string(s.raw[:80]))); err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// setBatch replaces the answers to batches (nil: answer item by item).
func (s *scriptedNode) setBatch(answer func(items []map[string]any) (int, string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batchAnswer = answer
}

// sizes returns the number of calls in each batch received so far.
func (s *scriptedNode) sizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.batchSizes...)
}

func (s *scriptedNode) set(method string, answer func([]json.RawMessage) (int, string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.override[method] = answer
}

func result(v any) (int, string) {
	b, _ := json.Marshal(v)
	return 200, fmt.Sprintf(`{"result":%s,"error":null,"id":1}`, b)
}

func rpcErr(code int, msg string) (int, string) {
	return 200, fmt.Sprintf(`{"result":null,"error":{"code":%d,"message":%q},"id":1}`, code, msg)
}

type scriptedRequest struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

func (s *scriptedNode) serve(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	if len(body) > 0 && body[0] == '[' {
		s.serveBatch(w, body)
		return
	}
	var req scriptedRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad request", 400)
		return
	}
	status, out := s.reply(req)
	w.WriteHeader(status)
	io.WriteString(w, out)
}

func (s *scriptedNode) reply(req scriptedRequest) (int, string) {
	s.mu.Lock()
	answer, ok := s.override[req.Method]
	s.mu.Unlock()
	if ok {
		return answer(req.Params)
	}
	return s.answer(req.Method)
}

// serveBatch answers a JSON-RPC batch item by item, each answer carrying
// its request's id; batchAnswer, when set, rewrites the answers first.
func (s *scriptedNode) serveBatch(w http.ResponseWriter, body []byte) {
	s.batches.Add(1)
	var reqs []scriptedRequest
	if err := json.Unmarshal(body, &reqs); err != nil {
		http.Error(w, "bad request", 400)
		return
	}
	s.mu.Lock()
	s.batchSizes = append(s.batchSizes, len(reqs))
	s.mu.Unlock()
	var answers []map[string]any
	for _, req := range reqs {
		status, out := s.reply(req)
		var a map[string]any
		if status != 200 || json.Unmarshal([]byte(out), &a) != nil {
			w.WriteHeader(status) // a failure of the whole exchange
			io.WriteString(w, out)
			return
		}
		a["id"] = req.ID
		answers = append(answers, a)
	}
	s.mu.Lock()
	rewrite := s.batchAnswer
	s.mu.Unlock()
	if rewrite != nil {
		status, out := rewrite(answers)
		w.WriteHeader(status)
		io.WriteString(w, out)
		return
	}
	b, _ := json.Marshal(answers)
	w.Write(b)
}

func (s *scriptedNode) answer(method string) (int, string) {
	h := s.hash.String()
	switch method {
	case "getblockchaininfo":
		return result(map[string]any{"chain": "main", "blocks": 702861, "bestblockhash": h})
	case "getindexinfo":
		return result(map[string]any{"txindex": map[string]any{"synced": true, "best_block_height": 702861}})
	case "getbestblockhash", "getblockhash":
		return result(h)
	case "getblockheader":
		return result(map[string]any{"hash": h, "height": 702861, "confirmations": 1,
			"previousblockhash": s.header.PrevBlock.String(), "time": s.header.Timestamp.Unix()})
	case "getblock":
		return result(hex.EncodeToString(s.raw))
	case "getrawmempool":
		return result([]string{})
	case "getblockcount":
		return result(702861)
	}
	return rpcErr(-32601, "Method not found")
}

func (s *scriptedNode) config(t *testing.T) Config {
	return Config{
		Network: "mainnet", RPC: s.srv.URL, RPCUser: "u", RPCPassword: "p",
		PollInterval: 20 * time.Millisecond, Checkpoints: openStore(t, t.TempDir()),
		Logger: testLogger(t),
	}
}

// TestFollowerRejectsMalformedAnswers: every broken answer stops Run with
// an error that names what was wrong, and no block reaches the handler.
func TestFollowerRejectsMalformedAnswers(t *testing.T) {
	other := readBlock(t, "block413567.raw")
	tests := []struct {
		name   string
		script func(s *scriptedNode)
		want   []string
	}{
		{"garbage JSON", func(s *scriptedNode) {
			s.set("getblockchaininfo", func([]json.RawMessage) (int, string) { return 200, `{"result": {"chain": "ma` })
		}, []string{"getblockchaininfo", "malformed answer"}},
		{"HTML instead of JSON-RPC", func(s *scriptedNode) {
			s.set("getbestblockhash", func([]json.RawMessage) (int, string) { return 404, `<html>not here</html>` })
		}, []string{"getbestblockhash", "malformed answer", "404"}},
		{"result of the wrong type", func(s *scriptedNode) {
			s.set("getbestblockhash", func([]json.RawMessage) (int, string) { return result(12345) })
		}, []string{"getbestblockhash", "malformed answer"}},
		{"not a block hash", func(s *scriptedNode) {
			s.set("getblockhash", func([]json.RawMessage) (int, string) { return result("xyz") })
		}, []string{"getblockhash 702861", "not a block hash"}},
		{"truncated block", func(s *scriptedNode) {
			s.set("getblock", func([]json.RawMessage) (int, string) { return result(hex.EncodeToString(s.raw[:len(s.raw)/2])) })
		}, []string{"decode block 702861", "malformed answer"}},
		{"block not in hex", func(s *scriptedNode) {
			s.set("getblock", func([]json.RawMessage) (int, string) { return result("0000zz") })
		}, []string{"getblock", "not hex"}},
		{"another block than asked for", func(s *scriptedNode) {
			s.set("getblock", func([]json.RawMessage) (int, string) { return result(hex.EncodeToString(other)) })
		}, []string{"asked for " + "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae"}},
		{"RPC error for a block", func(s *scriptedNode) {
			s.set("getblock", func([]json.RawMessage) (int, string) { return rpcErr(-1, "disk on fire") })
		}, []string{"getblock", "disk on fire"}},
		{"wrong chain", func(s *scriptedNode) {
			s.set("getblockchaininfo", func([]json.RawMessage) (int, string) {
				return result(map[string]any{"chain": "test", "blocks": 10})
			})
		}, []string{`on chain "test"`, `network is "mainnet"`}},
		{"bitcoind without txindex", func(s *scriptedNode) {
			s.set("getindexinfo", func([]json.RawMessage) (int, string) { return result(map[string]any{}) })
		}, []string{"no transaction index", "-txindex=1"}},
		{"btcd without txindex", func(s *scriptedNode) {
			s.set("getindexinfo", func([]json.RawMessage) (int, string) { return rpcErr(-32601, "Method not found") })
			s.set("getrawtransaction", func([]json.RawMessage) (int, string) {
				return rpcErr(-5, "No information available about transaction")
			})
		}, []string{"cannot look up transactions", "--txindex"}},
		{"credentials refused", func(s *scriptedNode) {
			s.set("getblockchaininfo", func([]json.RawMessage) (int, string) { return 401, "" })
		}, []string{"authentication refused", "rpc_user"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScriptedNode(t)
			tc.script(s)
			rec := &recorder{}
			r := startFollower(t, s.config(t), rec)
			var err error
			select {
			case err = <-r.done:
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not stop")
			}
			r.f.Close()
			if err == nil {
				t.Fatal("Run returned nil")
			}
			t.Logf("Run: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if evs := rec.Events(); len(evs) != 0 {
				t.Fatalf("handler received %d events from a broken node", len(evs))
			}
		})
	}
}

// TestFollowerRetriesUnreachableNode: a node failing with 503s is retried
// with backoff (Status says disconnected), and once it answers the block
// is delivered exactly once.
func TestFollowerRetriesUnreachableNode(t *testing.T) {
	s := newScriptedNode(t)
	var fail atomic.Bool
	fail.Store(true)
	s.set("getbestblockhash", func([]json.RawMessage) (int, string) {
		if fail.Load() {
			return 503, "Service Unavailable"
		}
		return result(s.hash.String())
	})
	rec := &recorder{}
	r := startFollower(t, s.config(t), rec)
	r.waitFor(t, "disconnected status", func() bool { return !r.f.Status().Connected && s.calls.Load() > 6 })
	if len(rec.Events()) != 0 {
		t.Fatal("events while the node failed")
	}
	fail.Store(false)
	r.waitProcessed(t, s.hash.String())
	r.waitFor(t, "connected status", func() bool { return r.f.Status().Connected })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	var connected int
	for _, ev := range rec.Events() {
		if ev.Type == chains.Connected {
			connected++
			if ev.Ref.Number != 702861 || len(ev.Block.Txs) != 2500 {
				t.Fatalf("delivered %v with %d txs", ev.Ref, len(ev.Block.Txs))
			}
		}
	}
	if connected != 1 {
		t.Fatalf("block delivered %d times, want once", connected)
	}
}

// TestFollowerWaitsForWarmup: bitcoind answers -28 while it loads its
// indexes at start; the follower waits it out instead of giving up.
func TestFollowerWaitsForWarmup(t *testing.T) {
	s := newScriptedNode(t)
	var warming atomic.Int64
	s.set("getblockchaininfo", func([]json.RawMessage) (int, string) {
		if warming.Add(1) <= 5 { // more than the three tries an RPC error gets
			return rpcErr(-28, "Loading block index...")
		}
		return result(map[string]any{"chain": "main", "blocks": 702861})
	})
	rec := &recorder{}
	r := startFollower(t, s.config(t), rec)
	r.waitProcessed(t, s.hash.String())
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if warming.Load() < 6 {
		t.Fatalf("getblockchaininfo asked %d times", warming.Load())
	}
}

// TestFollowerMempoolEviction (scripted: btcd cannot be made to evict): a
// pending transaction is reported once however many polls list it; once
// evicted it is forgotten, so if it comes back it is reported again.
func TestFollowerMempoolEviction(t *testing.T) {
	s := newScriptedNode(t)
	var msg wire.MsgBlock
	if err := msg.Deserialize(strings.NewReader(string(s.raw))); err != nil {
		t.Fatal(err)
	}
	// A transaction of no block (a node never lists a mined one): one of
	// the scripted block's with another lock time.
	tx := msg.Transactions[1].Copy()
	tx.LockTime++
	var buf strings.Builder
	if err := tx.Serialize(hexWriter{&buf}); err != nil {
		t.Fatal(err)
	}
	txid := tx.TxHash().String()
	var listed atomic.Bool
	var polls atomic.Int64
	s.set("getrawmempool", func([]json.RawMessage) (int, string) {
		polls.Add(1)
		if listed.Load() {
			return result([]string{txid})
		}
		return result([]string{})
	})
	s.set("getrawtransaction", func([]json.RawMessage) (int, string) { return result(buf.String()) })
	cfg := s.config(t)
	cfg.Mempool = true
	rec := &recorder{}
	r := startFollower(t, cfg, rec)
	pending := func() int {
		return len(rec.Find(func(ev chains.Event) bool { return ev.Type == chains.Pending && ev.Tx.Hash == txid }))
	}
	waitPolls := func(n int64) {
		target := polls.Load() + n
		r.waitFor(t, "mempool polls", func() bool { return polls.Load() >= target })
	}
	listed.Store(true)
	r.waitFor(t, "pending", func() bool { return pending() == 1 })
	waitPolls(3)
	if n := pending(); n != 1 {
		t.Fatalf("listed in several polls: reported %d times, want once", n)
	}
	listed.Store(false) // evicted
	waitPolls(2)
	listed.Store(true) // and back
	r.waitFor(t, "pending again", func() bool { return pending() == 2 })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	ev := rec.Find(func(ev chains.Event) bool { return ev.Type == chains.Pending })[0]
	if len(ev.Tx.Outputs) != len(tx.TxOut) || ev.Tx.Outputs[0].Value != tx.TxOut[0].Value || ev.Tx.Index != -1 {
		t.Fatalf("pending tx %+v", ev.Tx)
	}
}

// hexWriter writes hex of what it is given.
type hexWriter struct{ w io.StringWriter }

func (h hexWriter) Write(p []byte) (int, error) {
	_, err := h.w.WriteString(hex.EncodeToString(p))
	return len(p), err
}
