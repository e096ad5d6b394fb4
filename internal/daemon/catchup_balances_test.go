package daemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chainhound/chainhound/watchlists"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/gorilla/websocket"
)

// rpcCounter is a websocket relay between the daemon and the node that
// counts the JSON-RPC messages carrying eth_getBalance (a batch is one
// message: one round trip) and the eth_getBalance calls in them. It only
// relays: the node answers everything.
type rpcCounter struct {
	url          string
	trips, calls atomic.Int64
}

func countRPC(tb testing.TB, upstream string) *rpcCounter {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	c := &rpcCounter{url: "ws://" + ln.Addr().String()}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer in.Close()
		out, _, err := websocket.DefaultDialer.Dial(upstream, nil)
		if err != nil {
			return
		}
		defer out.Close()
		var wg sync.WaitGroup
		wg.Go(func() { // node → daemon
			defer in.Close()
			for {
				mt, msg, err := out.ReadMessage()
				if err != nil || in.WriteMessage(mt, msg) != nil {
					return
				}
			}
		})
		for { // daemon → node
			mt, msg, err := in.ReadMessage()
			if err != nil {
				break
			}
			c.count(msg)
			if out.WriteMessage(mt, msg) != nil {
				break
			}
		}
		out.Close()
		wg.Wait()
	})}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return c
}

func (c *rpcCounter) count(msg []byte) {
	var reqs []struct{ Method string }
	msg = bytes.TrimSpace(msg)
	if len(msg) > 0 && msg[0] == '[' {
		_ = json.Unmarshal(msg, &reqs)
	} else {
		reqs = make([]struct{ Method string }, 1)
		_ = json.Unmarshal(msg, &reqs[0])
	}
	n := 0
	for _, r := range reqs {
		if r.Method == "eth_getBalance" {
			n++
		}
	}
	if n > 0 {
		c.trips.Add(1)
		c.calls.Add(int64(n))
	}
}

// TestCatchUpReadsHeadBalancesInBatches (issue 16): a late incident over a
// compromised wallet that pays a new address in every block makes one new
// tainted holder a block, each with a clean balance read from the node's
// balance at the head; the catch-up reads them in batches ahead of the
// blocks, a few eth_getBalance round trips for all of them (one each
// before), and ends with every holder and its exact taint.
func TestCatchUpReadsHeadBalancesInBatches(t *testing.T) {
	const blocks = 48
	c := buildBenchChain(t, blocks, 2)
	rc := countRPC(t, c.ws)
	via := *c
	via.ws = rc.url
	d, stop := followed(t, &via)
	defer stop()

	wallet := strings.ToLower(crypto.PubkeyToAddress(c.keys[1].PublicKey).Hex())
	trips0, calls0 := rc.trips.Load(), rc.calls.Load()
	inc := openLate(t, d, &via, watchlists.Seed{Address: wallet, FromBlock: c.first})
	trips, calls := rc.trips.Load()-trips0, rc.calls.Load()-calls0
	t.Logf("%d new holders: %d eth_getBalance calls in %d round trips", blocks, calls, trips)
	if calls < blocks {
		t.Errorf("%d eth_getBalance calls for %d new holders: some clean balances were not read", calls, blocks)
	}
	if trips*4 > blocks {
		t.Errorf("%d eth_getBalance round trips for %d new holders, want at most %d (in batches)", trips, blocks, blocks/4)
	}
	// Each holder is new and holds what the wallet paid it, all tainted:
	// the node's balance now, to the wei.
	s, _ := d.Engine().Summary(inc)
	if len(s.Holders) != blocks {
		t.Fatalf("%d holders, want %d", len(s.Holders), blocks)
	}
	for _, h := range s.Holders {
		bal, err := c.sim.Client().BalanceAt(context.Background(), common.HexToAddress(h.Address), nil)
		if err != nil {
			t.Fatal(err)
		}
		if h.Tainted.Cmp(bal) != 0 || bal.Cmp(big.NewInt(1_000_000)) <= 0 {
			t.Errorf("holder %s: tainted %s, node balance %s", h.Address, h.Tainted, bal)
		}
	}
}
