package bitcoin

import (
	"crypto/sha256"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/chainstest"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// TestFollowerSuite runs the follower conformance suite on real btcd
// regtest nodes: a second node mining a rival branch makes the reorgs.
func TestFollowerSuite(t *testing.T) { chainstest.Run(t, suiteHarness{}) }

// suiteHarness is the Bitcoin side of chainstest.Run.
type suiteHarness struct{}

func (suiteHarness) Chain() chains.Chain { return chains.Bitcoin }

func (suiteHarness) NewNode(t *testing.T) chainstest.Node {
	a := testnodes.StartBtcd(t)
	return &suiteNode{t: t, a: a, rpc: testnodes.StartProxy(t, a.RPCHost)}
}

// CheckStop: the words of the Bitcoin follower's errors.
func (suiteHarness) CheckStop(t *testing.T, scenario string, err error) {
	var want []string
	switch scenario {
	case chainstest.ScenarioRestartMidUnwind:
		want = []string{"disconnected"}
	case chainstest.ScenarioUnknownCheckpoint:
		want = []string{"unknown to the node"}
	case chainstest.ScenarioWrongNetwork:
		want = []string{`on chain "regtest"`, `network is "mainnet"`}
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Run: %v, want it to say %q", err, w)
		}
	}
}

// Reconfirmed: the block at depth confirmations when the checkpoint was
// the head was confirmed before the checkpoint was saved; resume starts
// above it.
func (suiteHarness) Reconfirmed(checkpoint, confirmations uint64) uint64 {
	if checkpoint+2 > confirmations {
		return checkpoint + 2 - confirmations
	}
	return 0
}

func (suiteHarness) ConfirmsGenesis() bool { return true }

func (suiteHarness) Skip(string) string { return "" }

// suiteNode is the node a, which followers read through the proxy rpc;
// b, started on the first Fork, mines the rival branch while the two are
// apart. Stop and Start stop the proxy, not a: btcd --regtest deletes
// its chain when it starts.
type suiteNode struct {
	t       *testing.T // the test that started the node
	a, b    *testnodes.Btcd
	rpc     *testnodes.Proxy
	joined  bool      // a and b are peers
	last    *Follower // the last Follow returned
	scripts testnodes.BtcdScripts
}

func (n *suiteNode) Mine(t *testing.T, k int) { n.a.Generate(t, uint32(k)) }

func (n *suiteNode) Head(t *testing.T) chains.BlockRef {
	h, height := n.a.Tip(t)
	return chains.BlockRef{Number: uint64(height), Hash: h.String()}
}

func (n *suiteNode) HashAt(t *testing.T, num uint64) string {
	h, err := n.a.Client.GetBlockHash(int64(num))
	if err != nil {
		t.Fatalf("getblockhash %d: %v", num, err)
	}
	return h.String()
}

func (n *suiteNode) Fork(t *testing.T) {
	if n.b == nil {
		seed := sha256.Sum256([]byte("chainhound other miner"))
		other, _ := btcec.PrivKeyFromBytes(seed[:])
		n.b = testnodes.StartBtcd(n.t, testnodes.WithBtcdKey(other))
	}
	if !n.joined {
		n.b.Connect(t, n.a) // b takes a's chain
	}
	n.b.Disconnect(t, n.a)
	n.joined = false
}

func (n *suiteNode) Switch(t *testing.T, k int) {
	rival := n.b.Generate(t, uint32(k))
	n.a.Connect(t, n.b)
	n.joined = true
	if tip, _ := n.a.Tip(t); tip != rival[len(rival)-1] {
		t.Fatalf("node a tip %s, want b's %s", tip, rival[len(rival)-1])
	}
}

// Pay sends one coin to a P2WSH output, with change.
func (n *suiteNode) Pay(t *testing.T) chainstest.Payment {
	if n.scripts == nil {
		n.scripts = n.a.Scripts(t)
	}
	coins := n.a.MatureCoins(t, 1)
	to := n.scripts["p2wsh"]
	tx := n.a.BuildTx(t, coins, []*wire.TxOut{wire.NewTxOut(1_234_567, to.Script)})
	txid := n.a.SendTx(t, tx).String()
	return chainstest.Payment{
		Hash: txid,
		Check: func(t *testing.T, p chains.Event, st chains.Status) {
			if p.Tx.Index != -1 || len(p.Tx.Outputs) != 2 || p.Tx.Outputs[0].Value != 1_234_567 ||
				p.Tx.Outputs[0].Address != to.Address || p.Ref.Number != 0 || p.Block != nil || p.Head != st.Head {
				t.Fatalf("Pending event %+v tx %+v (status %+v)", p, p.Tx, st)
			}
			if want := (chains.Outpoint{Tx: coins[0].OutPoint.Hash.String(), Index: coins[0].OutPoint.Index}); p.Tx.Inputs[0].Prev != want {
				t.Fatalf("Pending tx spends %v, want %v", p.Tx.Inputs[0].Prev, want)
			}
		},
		Stopped: func(t *testing.T) {
			if _, ok := n.last.pending[txid]; ok { // Run has returned: its state is ours to read
				t.Fatalf("mined tx still remembered as pending")
			}
		},
	}
}

func (n *suiteNode) Stop(t *testing.T) { n.rpc.Stop() }

func (n *suiteNode) Start(t *testing.T) { n.rpc.Start(t) }

func (n *suiteNode) Unknown() string { return strings.Repeat("ab", 32) }

func (n *suiteNode) Follow(t *testing.T, c chainstest.Config) chainstest.Follower {
	cfg := nodeConfig(t, n.a, c.Checkpoints)
	cfg.RPC = "http://" + n.rpc.Addr
	cfg.StartBlock = strconv.FormatUint(c.StartBlock, 10)
	if c.Confirmations != 0 {
		cfg.Confirmations = c.Confirmations
	}
	cfg.BackfillConcurrency = c.BackfillConcurrency
	cfg.Mempool = c.Mempool
	if c.WrongNetwork {
		cfg.Network = "mainnet"
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.retryBase = 20 * time.Millisecond
	n.last = f
	return f
}
