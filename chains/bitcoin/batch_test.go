package bitcoin

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// batchFixture is a scripted node (named as such: a real node cannot be
// made to drop an answer from a batch or refuse batches) that serves two
// transactions of block 702861 through getrawtransaction.
func batchFixture(t *testing.T) (*scriptedNode, *Follower, []chains.Outpoint) {
	s := newScriptedNode(t)
	var msg wire.MsgBlock
	if err := msg.Deserialize(strings.NewReader(string(s.raw))); err != nil {
		t.Fatal(err)
	}
	hexOf := map[string]string{}
	var ops []chains.Outpoint
	for _, tx := range msg.Transactions[1:3] {
		var buf strings.Builder
		if err := tx.Serialize(hexWriter{&buf}); err != nil {
			t.Fatal(err)
		}
		id := tx.TxHash().String()
		hexOf[id] = buf.String()
		ops = append(ops, chains.Outpoint{Tx: id, Index: 0})
	}
	s.set("getrawtransaction", func(params []json.RawMessage) (int, string) {
		var id string
		_ = json.Unmarshal(params[0], &id)
		if h, ok := hexOf[id]; ok {
			return result(h)
		}
		return rpcErr(-5, "No such mempool or blockchain transaction")
	})
	f, err := New(s.config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return s, f, ops
}

// TestPrevoutsInOneBatch: the transactions a call needs are fetched in one
// JSON-RPC batch, and a second call is served from the cache.
func TestPrevoutsInOneBatch(t *testing.T) {
	s, f, ops := batchFixture(t)
	ctx := context.Background()
	outs, err := f.Prevouts(ctx, append(ops, ops[0]))
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 3 || outs[0].Value <= 0 || outs[1].Value <= 0 || outs[2].Address != outs[0].Address || outs[2].Value != outs[0].Value || outs[0].Address == "" {
		t.Fatalf("Prevouts = %+v", outs)
	}
	if b, c := s.batches.Load(), s.calls.Load(); b != 1 || c != 1 {
		t.Fatalf("%d batches in %d requests; want the two transactions in one batch", b, c)
	}
	if _, err := f.Prevouts(ctx, ops); err != nil || s.calls.Load() != 1 {
		t.Fatalf("second call: %v after %d requests; want it from the cache", err, s.calls.Load())
	}
}

// TestPrevoutsBatchRefused: a node (or proxy) that refuses batches gets
// the calls one by one, from then on.
func TestPrevoutsBatchRefused(t *testing.T) {
	s, f, ops := batchFixture(t)
	s.setBatch(func([]map[string]any) (int, string) { return 400, "batches not supported here" })
	defer func() {
		if !f.node.noBatch.Load() {
			t.Error("batches still on after a refusal")
		}
	}()
	outs, err := f.Prevouts(context.Background(), ops)
	if err != nil || len(outs) != 2 || outs[0].Value <= 0 {
		t.Fatalf("Prevouts = %+v, %v", outs, err)
	}
	if b, c := s.batches.Load(), s.calls.Load(); b != 1 || c != 3 {
		t.Fatalf("%d batches in %d requests; want one refused batch, then two single calls", b, c)
	}
}

// TestPrevoutsBatchAnswers: the ways a batch can be answered besides
// well that a real node cannot be made to give — refused as a whole, an
// item left out — each give what they should: the fallback to single
// calls only for a refusal of batches, and otherwise a clear error naming
// what was wrong, with nothing carried into the next batch. The answers a
// real node gives (refused credentials, an unknown transaction) are in
// TestPrevoutsBatchAgainstNode.
func TestPrevoutsBatchAnswers(t *testing.T) {
	t.Run("one object for the whole array", func(t *testing.T) {
		s, f, ops := batchFixture(t)
		s.setBatch(func([]map[string]any) (int, string) {
			return 200, `{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}`
		})
		if outs, err := f.Prevouts(context.Background(), ops); err != nil || len(outs) != 2 || !f.node.noBatch.Load() {
			t.Fatalf("Prevouts = %d outputs, %v, batches off %v; want the fallback", len(outs), err, f.node.noBatch.Load())
		}
	})
	t.Run("missing answer", func(t *testing.T) {
		s, f, ops := batchFixture(t)
		s.setBatch(func(items []map[string]any) (int, string) {
			b, _ := json.Marshal(items[:1])
			return 200, string(b)
		})
		_, err := f.Prevouts(context.Background(), ops)
		if !errors.Is(err, errBadAnswer) || !strings.Contains(err.Error(), "no answer for call 1 ["+ops[1].Tx) {
			t.Fatalf("Prevouts error %v; want a malformed answer naming %s", err, ops[1].Tx)
		}
		s.setBatch(nil)
		if _, err := f.Prevouts(context.Background(), ops); err != nil {
			t.Fatal(err)
		}
		if sizes := s.sizes(); len(sizes) != 2 || sizes[1] != 2 {
			t.Fatalf("batch sizes %v; want the retry to carry exactly its two calls", sizes)
		}
	})
}

// TestPrevoutsBatchAgainstNode: a real btcd refusing the credentials of a
// batch, and answering a batch that names a transaction it does not know.
func TestPrevoutsBatchAgainstNode(t *testing.T) {
	node := testnodes.StartBtcd(t)
	block := node.Generate(t, 1)[0]
	msg, err := node.Client.GetBlock(&block)
	if err != nil {
		t.Fatal(err)
	}
	known := chains.Outpoint{Tx: msg.Transactions[0].TxHash().String()}
	unknown := chains.Outpoint{Tx: strings.Repeat("ab", 32)}
	follower := func(t *testing.T, password string) *Follower {
		cfg := nodeConfig(t, node, openStore(t, t.TempDir()))
		cfg.RPCPassword = password
		f, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.Close)
		return f
	}
	t.Run("credentials refused", func(t *testing.T) {
		f := follower(t, "not-the-password")
		_, err := f.Prevouts(context.Background(), []chains.Outpoint{known, unknown})
		if !errors.Is(err, errAuth) || f.node.noBatch.Load() {
			t.Fatalf("Prevouts error %v, batches off %v; want the authentication error and batches kept", err, f.node.noBatch.Load())
		}
	})
	t.Run("unknown transaction", func(t *testing.T) {
		f := follower(t, node.Pass)
		_, err := f.Prevouts(context.Background(), []chains.Outpoint{known, unknown})
		if err == nil || !strings.Contains(err.Error(), unknown.Tx+" not found") || !strings.Contains(err.Error(), "txindex") {
			t.Fatalf("Prevouts error %v; want not found with the txindex hint", err)
		}
	})
}
