package demo

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// BtcdModule is the btcd release the demo is tested with; any btcd that
// knows --regtest will do.
const BtcdModule = "github.com/btcsuite/btcd@v0.26.2"

// BtcdInstallHint tells how to make the Bitcoin part of the demo run.
const BtcdInstallHint = "go install " + BtcdModule

// FindBtcd returns the btcd binary to run: explicit if set, else btcd on
// PATH, else the one the test suite builds into the test-node cache
// ($CHAINHOUND_TESTNODES_CACHE, else <user cache dir>/chainhound/testnodes,
// at btcd-v0.26.2/btcd). With none, it returns "" and where it looked.
func FindBtcd(explicit string) (string, string) {
	if explicit != "" {
		if isExecutable(explicit) {
			return explicit, ""
		}
		return "", explicit
	}
	if p, err := exec.LookPath("btcd"); err == nil {
		return p, ""
	}
	looked := []string{"btcd on PATH"}
	cache := os.Getenv("CHAINHOUND_TESTNODES_CACHE")
	if cache == "" {
		if base, err := os.UserCacheDir(); err == nil {
			cache = filepath.Join(base, "chainhound", "testnodes")
		}
	}
	if cache != "" {
		_, ver, _ := strings.Cut(BtcdModule, "@")
		p := filepath.Join(cache, "btcd-"+ver, "btcd")
		if isExecutable(p) {
			return p, ""
		}
		looked = append(looked, p)
	}
	return "", strings.Join(looked, ", ")
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// BitcoinNode is a btcd regtest node (segwit active from the first block)
// with a transaction index, run for the demo on free loopback ports with a
// temporary data directory, listening for no peers.
type BitcoinNode struct {
	RPC    string // http://host:port
	User   string
	Pass   string
	Params *chaincfg.Params
	client *rpcclient.Client
	cmd    *exec.Cmd
	exited chan struct{}
	dir    string
	log    *os.File
}

// StartBitcoin starts bin as btcd --regtest --txindex, mining to miner,
// and waits until its RPC answers.
func StartBitcoin(ctx context.Context, bin string, miner address.Address) (*BitcoinNode, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "chainhound-demo-btcd-")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "btcd.conf")
	if err := os.WriteFile(conf, nil, 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "btcd.out"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	n := &BitcoinNode{
		RPC: fmt.Sprintf("http://127.0.0.1:%d", port), User: "chainhound", Pass: "chainhound-demo",
		Params: btcParams(), exited: make(chan struct{}), dir: dir, log: logf,
	}
	host := strings.TrimPrefix(n.RPC, "http://")
	n.cmd = exec.Command(bin,
		"--configfile="+conf,
		"--regtest", "--txindex",
		"--datadir="+filepath.Join(dir, "data"),
		"--logdir="+filepath.Join(dir, "logs"),
		"--rpccert="+filepath.Join(dir, "rpc.cert"),
		"--rpckey="+filepath.Join(dir, "rpc.key"),
		"--rpcuser="+n.User, "--rpcpass="+n.Pass,
		"--rpclisten="+host, "--notls",
		"--nolisten", "--nodnsseed",
		"--miningaddr="+miner.EncodeAddress(),
		"--debuglevel=info",
	)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	dieWithParent(n.cmd)
	if err := n.cmd.Start(); err != nil {
		logf.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { n.cmd.Wait(); close(n.exited) }()
	n.client, err = rpcclient.New(&rpcclient.ConnConfig{
		Host: host, User: n.User, Pass: n.Pass, HTTPPostMode: true, DisableTLS: true,
	}, nil)
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("btcd rpc client %s: %w", host, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := n.client.GetBlockCount(); err == nil {
			return n, nil
		}
		select {
		case <-n.exited:
			out := n.tail()
			n.Close()
			return nil, fmt.Errorf("btcd %s exited at start: %s", bin, out)
		case <-ctx.Done():
			n.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			out := n.tail()
			n.Close()
			return nil, fmt.Errorf("btcd RPC on %s did not answer within 30s: %s", host, out)
		}
	}
}

// tail is the end of the node's output, for errors.
func (n *BitcoinNode) tail() string {
	data, _ := os.ReadFile(n.log.Name())
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}

// Close stops the node (SIGTERM, then SIGKILL after 10s) and removes its
// data directory.
func (n *BitcoinNode) Close() error {
	if n.client != nil {
		n.client.Shutdown()
	}
	if n.cmd.Process != nil {
		_ = n.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-n.exited:
		case <-time.After(10 * time.Second):
			_ = n.cmd.Process.Kill()
			<-n.exited
		}
	}
	n.log.Close()
	return os.RemoveAll(n.dir)
}

// Mine mines k blocks to the node's mining address and returns the new
// height.
func (n *BitcoinNode) Mine(k uint32) (int64, error) {
	if _, err := n.client.Generate(k); err != nil {
		return 0, fmt.Errorf("btcd generate %d: %w", k, err)
	}
	return n.client.GetBlockCount()
}

// BitcoinKey is a key the script signs with, and its P2WPKH address.
type BitcoinKey struct {
	Name   string
	Key    *btcec.PrivateKey
	Addr   address.Address
	Script []byte
}

// NewBitcoinKey makes a fresh key with its P2WPKH address on params.
func NewBitcoinKey(name string, params *chaincfg.Params) BitcoinKey {
	k, err := btcec.NewPrivateKey()
	if err != nil {
		panic(err)
	}
	a, err := address.NewAddressWitnessPubKeyHash(address.Hash160(k.PubKey().SerializeCompressed()), params)
	if err != nil {
		panic(err)
	}
	s, err := txscript.PayToAddrScript(a)
	if err != nil {
		panic(err)
	}
	return BitcoinKey{Name: name, Key: k, Addr: a, Script: s}
}

// Coin is an unspent output a BitcoinKey can sign for.
type Coin struct {
	OutPoint wire.OutPoint
	Value    int64 // satoshi
	Owner    BitcoinKey
}

// Out is a coin of tx's output i, owned by owner.
func Out(tx *wire.MsgTx, i uint32, owner BitcoinKey) Coin {
	return Coin{OutPoint: wire.OutPoint{Hash: tx.TxHash(), Index: i}, Value: tx.TxOut[i].Value, Owner: owner}
}

// CoinbaseCoin is the output of the coinbase at height paying to owner.
func (n *BitcoinNode) CoinbaseCoin(height int64, owner BitcoinKey) (Coin, error) {
	h, err := n.client.GetBlockHash(height)
	if err != nil {
		return Coin{}, fmt.Errorf("btcd getblockhash %d: %w", height, err)
	}
	blk, err := n.client.GetBlock(h)
	if err != nil {
		return Coin{}, fmt.Errorf("btcd getblock %s: %w", h, err)
	}
	cb := blk.Transactions[0]
	for i, o := range cb.TxOut {
		if string(o.PkScript) == string(owner.Script) {
			return Out(cb, uint32(i), owner), nil
		}
	}
	return Coin{}, fmt.Errorf("coinbase of block %d pays nothing to %s", height, owner.Addr)
}

// Pay signs a version-2 transaction spending ins (P2WPKH coins, each
// signed by its owner) to outs and submits it to the mempool.
func (n *BitcoinNode) Pay(ins []Coin, outs ...*wire.TxOut) (*wire.MsgTx, error) {
	tx := wire.NewMsgTx(2)
	prev := map[wire.OutPoint]*wire.TxOut{}
	var in, out int64
	for _, c := range ins {
		tx.AddTxIn(wire.NewTxIn(&c.OutPoint, nil, nil))
		prev[c.OutPoint] = wire.NewTxOut(c.Value, c.Owner.Script)
		in += c.Value
	}
	for _, o := range outs {
		tx.AddTxOut(o)
		out += o.Value
	}
	if out > in {
		return nil, fmt.Errorf("pay: outputs %d sat exceed inputs %d sat", out, in)
	}
	hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prev))
	for i, c := range ins {
		w, err := txscript.WitnessSignature(tx, hashes, i, c.Value, c.Owner.Script, txscript.SigHashAll, c.Owner.Key, true)
		if err != nil {
			return nil, fmt.Errorf("sign input %d (%s): %w", i, c.Owner.Name, err)
		}
		tx.TxIn[i].Witness = w
	}
	if _, err := n.client.SendRawTransaction(tx, false); err != nil {
		return nil, fmt.Errorf("btcd sendrawtransaction %s: %w", tx.TxHash(), err)
	}
	return tx, nil
}

// Height is the node's best height.
func (n *BitcoinNode) Height() (int64, error) { return n.client.GetBlockCount() }

// btcParams is the network the demo's node runs.
func btcParams() *chaincfg.Params { return &chaincfg.RegressionNetParams }

// formatSats prints satoshi as BTC with up to 8 decimals, exactly.
func formatSats(sat int64) string { return formatUnits(big.NewInt(sat), 8) }
