package demo

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
)

// Chain is an embedded Ethereum chain (go-ethereum's simulated backend)
// served over websocket on loopback, so the daemon follows it through the
// same code path as a real node.
type Chain struct {
	WS      string
	backend *simulated.Backend
	chainID *big.Int
	nonces  map[common.Address]uint64
}

// Account is a key the script signs with.
type Account struct {
	Name string
	Key  *ecdsa.PrivateKey
	Addr common.Address
}

// NewAccount makes a fresh key.
func NewAccount(name string) Account {
	k, err := crypto.GenerateKey()
	if err != nil {
		panic(err)
	}
	return Account{Name: name, Key: k, Addr: crypto.PubkeyToAddress(k.PublicKey)}
}

// StartChain starts the chain with alloc funded at genesis.
func StartChain(alloc map[common.Address]*big.Int) (*Chain, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	ga := types.GenesisAlloc{}
	for a, v := range alloc {
		ga[a] = types.Account{Balance: v}
	}
	b := simulated.NewBackend(ga, func(nc *node.Config, ec *ethconfig.Config) {
		nc.WSHost = "127.0.0.1"
		nc.WSPort = port
		nc.WSModules = []string{"eth", "net", "web3"}
		nc.WSOrigins = []string{"*"}
	})
	c := &Chain{WS: fmt.Sprintf("ws://127.0.0.1:%d", port), backend: b, chainID: big.NewInt(1337), nonces: map[common.Address]uint64{}}
	return c, nil
}

// Close stops the chain.
func (c *Chain) Close() error { return c.backend.Close() }

// Send signs and submits a plain ETH transfer (not yet mined).
func (c *Chain) Send(ctx context.Context, from Account, to common.Address, wei *big.Int) (common.Hash, error) {
	cl := c.backend.Client()
	nonce, ok := c.nonces[from.Addr]
	if !ok {
		n, err := cl.PendingNonceAt(ctx, from.Addr)
		if err != nil {
			return common.Hash{}, err
		}
		nonce = n
	}
	tip := big.NewInt(1_000_000_000)
	head, err := cl.HeaderByNumber(ctx, nil)
	if err != nil {
		return common.Hash{}, err
	}
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
	tx := types.NewTx(&types.DynamicFeeTx{
		ChainID: c.chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap,
		Gas: 21000, To: &to, Value: wei,
	})
	signed, err := types.SignTx(tx, types.LatestSignerForChainID(c.chainID), from.Key)
	if err != nil {
		return common.Hash{}, err
	}
	// The pool moves to a new block asynchronously after Commit: for a
	// moment it can still see the sender's balance before that block.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := cl.SendTransaction(ctx, signed)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "insufficient funds") || time.Now().After(deadline) {
			return common.Hash{}, fmt.Errorf("send %s → %s: %w", from.Name, to.Hex(), err)
		}
	}
	c.nonces[from.Addr] = nonce + 1
	return signed.Hash(), nil
}

// Mine seals the pending transactions into a block and returns its number.
func (c *Chain) Mine(ctx context.Context) (uint64, error) {
	c.backend.Commit()
	return c.backend.Client().BlockNumber(ctx)
}

// Balance reads an account's balance at the head.
func (c *Chain) Balance(ctx context.Context, a common.Address) (*big.Int, error) {
	return c.backend.Client().BalanceAt(ctx, a, nil)
}

// FeeFor is the most a 21000-gas transfer can cost now, to leave room for it.
func (c *Chain) FeeFor(ctx context.Context) (*big.Int, error) {
	head, err := c.backend.Client().HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, err
	}
	fee := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), big.NewInt(1_000_000_000))
	return fee.Mul(fee, big.NewInt(21000)), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
