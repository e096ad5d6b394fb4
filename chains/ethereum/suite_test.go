package ethereum

import (
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/chainstest"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestFollowerSuite runs the follower conformance suite on the simulated
// backend (real reorgs by Fork), over ws and over http.
func TestFollowerSuite(t *testing.T) {
	for _, transport := range []string{"ws", "http"} {
		t.Run(transport, func(t *testing.T) { chainstest.Run(t, suiteHarness{transport: transport}) })
	}
}

// suiteHarness is the Ethereum side of chainstest.Run.
type suiteHarness struct{ transport string }

func (suiteHarness) Chain() chains.Chain { return chains.Ethereum }

func (h suiteHarness) NewNode(t *testing.T) chainstest.Node {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ether := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	sim := startSim(t, types.GenesisAlloc{crypto.PubkeyToAddress(key.PublicKey): {Balance: ether}})
	return &suiteNode{
		h: h, sim: sim, key: key,
		http: testnodes.StartProxy(t, strings.TrimPrefix(sim.HTTP, "http://")),
		ws:   testnodes.StartProxy(t, strings.TrimPrefix(sim.WS, "ws://")),
	}
}

func (suiteHarness) CheckStop(t *testing.T, scenario string, err error) {
	if scenario == chainstest.ScenarioWrongNetwork && (!errors.Is(err, ErrWrongChain) || !strings.Contains(err.Error(), "chain id 1337")) {
		t.Errorf("Run: %v, want ErrWrongChain naming chain id 1337", err)
	}
}

// Reconfirmed: restore confirms again from the block that was at depth
// confirmations when the checkpoint was the head.
func (suiteHarness) Reconfirmed(checkpoint, confirmations uint64) uint64 {
	return checkpoint + 1 - min(confirmations, checkpoint+1)
}

func (suiteHarness) ConfirmsGenesis() bool { return false }

func (suiteHarness) Skip(scenario string) string { return "" }

// suiteNode is a simulated backend behind two proxies (http, ws), which
// stand in for stopping it: its chain lives in memory.
type suiteNode struct {
	h        suiteHarness
	sim      *simNode
	key      *ecdsa.PrivateKey
	http, ws *testnodes.Proxy
	fork     common.Hash // where Switch branches off
}

func (n *suiteNode) Mine(t *testing.T, k int) {
	for range k {
		n.sim.Commit()
	}
}

func (n *suiteNode) Head(t *testing.T) chains.BlockRef {
	num, hash := n.sim.headHash(t)
	return chains.BlockRef{Number: num, Hash: hash}
}

func (n *suiteNode) HashAt(t *testing.T, num uint64) string { return n.sim.hashAt(t, num) }

func (n *suiteNode) Fork(t *testing.T) { n.fork = common.HexToHash(n.Head(t).Hash) }

func (n *suiteNode) Switch(t *testing.T, k int) {
	if err := n.sim.Fork(n.fork); err != nil {
		t.Fatal(err)
	}
	n.Mine(t, k)
}

var payee = common.HexToAddress("0x00000000000000000000000000000000000c0ffe")

func (n *suiteNode) Pay(t *testing.T) chainstest.Payment {
	tx := n.sim.send(t, n.key, payee, big.NewInt(5))
	return chainstest.Payment{
		Hash: strings.ToLower(tx.Hash().Hex()),
		Check: func(t *testing.T, ev chains.Event, st chains.Status) {
			x := ev.Tx.Transfers
			if len(x) != 1 || x[0].Amount.Int64() != 5 || x[0].To != lower(payee) || ev.Block != nil {
				t.Errorf("pending event %+v with transfers %+v", ev, x)
			}
		},
	}
}

func (n *suiteNode) Stop(t *testing.T) {
	n.http.Stop()
	n.ws.Stop()
}

func (n *suiteNode) Start(t *testing.T) {
	n.http.Start(t)
	n.ws.Start(t)
}

func (n *suiteNode) Unknown() string { return "0x" + strings.Repeat("ab", 32) }

func (n *suiteNode) Follow(t *testing.T, c chainstest.Config) chainstest.Follower {
	url := "ws://" + n.ws.Addr
	if n.h.transport == "http" && !c.Mempool { // the mempool is watched over ws only
		url = "http://" + n.http.Addr
	}
	network := "dev"
	if c.WrongNetwork {
		network = "mainnet"
	}
	f, err := New(Config{
		Network: network, RPC: url, StartBlock: strconv.FormatUint(c.StartBlock, 10),
		Confirmations: c.Confirmations, BackfillConcurrency: c.BackfillConcurrency, Mempool: c.Mempool,
		Checkpoints: c.Checkpoints, PollInterval: 50 * time.Millisecond, Logger: testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}
