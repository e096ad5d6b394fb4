package testnodes

import (
	"crypto/ecdsa"
	_ "embed"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Compiled artefacts of testdata/*.sol; testdata/README.md says how they
// were built.
var (
	//go:embed testdata/TestToken_sol_TestToken.abi
	tokenABIJSON string
	//go:embed testdata/TestToken_sol_TestToken.bin
	tokenBinHex string
	//go:embed testdata/Forwarder_sol_Forwarder.abi
	forwarderABIJSON string
	//go:embed testdata/Forwarder_sol_Forwarder.bin
	forwarderBinHex string
	//go:embed testdata/TornadoPool_sol_TornadoPool.abi
	tornadoABIJSON string
	//go:embed testdata/TornadoPool_sol_TornadoPool.bin
	tornadoBinHex string
	//go:embed testdata/THORChainRouter_sol_THORChainRouter.abi
	thorRouterABIJSON string
	//go:embed testdata/THORChainRouter_sol_THORChainRouter.bin
	thorRouterBinHex string
)

// TokenABI is the ABI of the test ERC-20 ("TST", 18 decimals).
var TokenABI = mustABI("TestToken", tokenABIJSON)

// ForwarderABI is the ABI of the Forwarder contract (split, fail).
var ForwarderABI = mustABI("Forwarder", forwarderABIJSON)

// TornadoPoolABI is the ABI of TornadoPool, the stand-in for a Tornado
// Cash ETH pool (deposit, withdraw; the real pool's events).
var TornadoPoolABI = mustABI("TornadoPool", tornadoABIJSON)

// THORChainRouterABI is the ABI of THORChainRouter, the stand-in for
// THORChain's Ethereum router (deposit, transferOut; the real events).
var THORChainRouterABI = mustABI("THORChainRouter", thorRouterABIJSON)

// TransferEventID is topic 0 of ERC-20 Transfer(address,address,uint256).
var TransferEventID = TokenABI.Events["Transfer"].ID

var (
	tokenBin      = common.FromHex(strings.TrimSpace(tokenBinHex))
	forwarderBin  = common.FromHex(strings.TrimSpace(forwarderBinHex))
	tornadoBin    = common.FromHex(strings.TrimSpace(tornadoBinHex))
	thorRouterBin = common.FromHex(strings.TrimSpace(thorRouterBinHex))
)

func mustABI(name, js string) abi.ABI {
	a, err := abi.JSON(strings.NewReader(js))
	if err != nil {
		panic(fmt.Sprintf("testnodes: embedded %s ABI: %v", name, err))
	}
	return a
}

// pack encodes a call of method on a, failing the test on error.
func pack(tb testing.TB, a abi.ABI, method string, args ...any) []byte {
	tb.Helper()
	data, err := a.Pack(method, args...)
	if err != nil {
		tb.Fatalf("testnodes: pack %s: %v", method, err)
	}
	return data
}

// deploy creates a contract from code plus encoded constructor args.
func (g *Geth) deploy(tb testing.TB, from *ecdsa.PrivateKey, what string, code, ctorArgs []byte) common.Address {
	tb.Helper()
	data := append(append([]byte{}, code...), ctorArgs...)
	r := g.Transact(tb, from, nil, nil, data, 0)
	mustSucceed(tb, r, "deploy %s", what)
	if r.ContractAddress == (common.Address{}) {
		tb.Fatalf("testnodes: deploy %s: receipt %s has no contract address", what, r.TxHash)
	}
	// Gas for the next call is estimated on the pending state, which geth
	// moves to the new head asynchronously: until it has the code, a call
	// estimates as a plain transfer and runs out of gas.
	ctx, cancel := g.ctx(tb)
	defer cancel()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		code, err := g.Client.PendingCodeAt(ctx, r.ContractAddress)
		if err == nil && len(code) > 0 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("testnodes: deploy %s: no code at %s in the pending state after 10s (%v)", what, r.ContractAddress, err)
		}
	}
	return r.ContractAddress
}

// DeployToken deploys the test ERC-20 ("TST", 18 decimals) with supply
// minted to from, and returns its address.
func (g *Geth) DeployToken(tb testing.TB, from *ecdsa.PrivateKey, supply *big.Int) common.Address {
	tb.Helper()
	return g.deploy(tb, from, "TestToken", tokenBin, pack(tb, TokenABI, "", supply))
}

// TokenTransfer calls token.transfer(to, amount) from from; the test fails
// unless it succeeded.
func (g *Geth) TokenTransfer(tb testing.TB, token common.Address, from *ecdsa.PrivateKey, to common.Address, amount *big.Int) *types.Receipt {
	tb.Helper()
	r := g.Transact(tb, from, &token, nil, pack(tb, TokenABI, "transfer", to, amount), 0)
	mustSucceed(tb, r, "token %s transfer %s to %s", token, amount, to)
	return r
}

// TokenApprove calls token.approve(spender, amount) from owner.
func (g *Geth) TokenApprove(tb testing.TB, token common.Address, owner *ecdsa.PrivateKey, spender common.Address, amount *big.Int) *types.Receipt {
	tb.Helper()
	r := g.Transact(tb, owner, &token, nil, pack(tb, TokenABI, "approve", spender, amount), 0)
	mustSucceed(tb, r, "token %s approve %s for %s", token, amount, spender)
	return r
}

// TokenTransferFrom calls token.transferFrom(from, to, amount) signed by
// spender, which needs an allowance from from.
func (g *Geth) TokenTransferFrom(tb testing.TB, token common.Address, spender *ecdsa.PrivateKey, from, to common.Address, amount *big.Int) *types.Receipt {
	tb.Helper()
	r := g.Transact(tb, spender, &token, nil, pack(tb, TokenABI, "transferFrom", from, to, amount), 0)
	mustSucceed(tb, r, "token %s transferFrom %s to %s of %s", token, from, to, amount)
	return r
}

// TokenBalance returns token.balanceOf(owner) at the head.
func (g *Geth) TokenBalance(tb testing.TB, token, owner common.Address) *big.Int {
	tb.Helper()
	ctx, cancel := g.ctx(tb)
	defer cancel()
	out, err := g.Client.CallContract(ctx, callMsg(token, pack(tb, TokenABI, "balanceOf", owner)), nil)
	if err != nil {
		tb.Fatalf("testnodes: token %s balanceOf %s: %v", token, owner, err)
	}
	vals, err := TokenABI.Unpack("balanceOf", out)
	if err != nil || len(vals) != 1 {
		tb.Fatalf("testnodes: token %s balanceOf %s: decode %x: %v", token, owner, out, err)
	}
	return vals[0].(*big.Int)
}

// DeployForwarder deploys the Forwarder contract and returns its address.
func (g *Geth) DeployForwarder(tb testing.TB, from *ecdsa.PrivateKey) common.Address {
	tb.Helper()
	return g.deploy(tb, from, "Forwarder", forwarderBin, nil)
}

// Split calls fwd.split(to) with value: the contract pays value/len(to) to
// each recipient by an internal CALL, the remainder to the last. The test
// fails unless it succeeded.
func (g *Geth) Split(tb testing.TB, fwd common.Address, from *ecdsa.PrivateKey, to []common.Address, value *big.Int) *types.Receipt {
	tb.Helper()
	r := g.Transact(tb, from, &fwd, value, pack(tb, ForwarderABI, "split", to), 0)
	mustSucceed(tb, r, "forwarder %s split %s wei to %d recipients", fwd, value, len(to))
	return r
}

// Fail calls fwd.fail() with value and a fixed gas limit, so the
// transaction is mined and reverts; the test fails unless its status is 0.
func (g *Geth) Fail(tb testing.TB, fwd common.Address, from *ecdsa.PrivateKey, value *big.Int) *types.Receipt {
	tb.Helper()
	r := g.Transact(tb, from, &fwd, value, pack(tb, ForwarderABI, "fail"), 100_000)
	if r.Status != types.ReceiptStatusFailed {
		tb.Fatalf("testnodes: forwarder %s fail(): tx %s has status %d, want 0", fwd, r.TxHash, r.Status)
	}
	return r
}

func callMsg(to common.Address, data []byte) ethereum.CallMsg {
	return ethereum.CallMsg{To: &to, Data: data}
}

// DeployTornadoPool deploys a TornadoPool of the given denomination (wei)
// and returns its address.
func (g *Geth) DeployTornadoPool(tb testing.TB, from *ecdsa.PrivateKey, denomination *big.Int) common.Address {
	tb.Helper()
	return g.deploy(tb, from, "TornadoPool", tornadoBin, pack(tb, TornadoPoolABI, "", denomination))
}

// TornadoDeposit deposits one note of the pool's denomination from from
// under commitment; the test fails unless it succeeded.
func (g *Geth) TornadoDeposit(tb testing.TB, pool common.Address, from *ecdsa.PrivateKey, commitment [32]byte, denomination *big.Int) *types.Receipt {
	tb.Helper()
	r := g.Transact(tb, from, &pool, denomination, pack(tb, TornadoPoolABI, "deposit", commitment), 0)
	mustSucceed(tb, r, "tornado pool %s deposit", pool)
	return r
}

// TornadoDepositAtGasPrice is TornadoDeposit paying exactly gasPrice per
// gas (a legacy transaction).
func (g *Geth) TornadoDepositAtGasPrice(tb testing.TB, pool common.Address, from *ecdsa.PrivateKey, commitment [32]byte, denomination, gasPrice *big.Int) *types.Receipt {
	tb.Helper()
	r := g.TransactAtGasPrice(tb, from, &pool, denomination, pack(tb, TornadoPoolABI, "deposit", commitment), gasPrice)
	mustSucceed(tb, r, "tornado pool %s deposit", pool)
	return r
}

// TornadoWithdrawAtGasPrice is TornadoWithdraw paying exactly gasPrice
// per gas (a legacy transaction).
func (g *Geth) TornadoWithdrawAtGasPrice(tb testing.TB, pool common.Address, sender *ecdsa.PrivateKey, recipient common.Address, nullifier [32]byte, relayer common.Address, fee, gasPrice *big.Int) *types.Receipt {
	tb.Helper()
	r := g.TransactAtGasPrice(tb, sender, &pool, nil, pack(tb, TornadoPoolABI, "withdraw", recipient, nullifier, relayer, fee), gasPrice)
	mustSucceed(tb, r, "tornado pool %s withdraw to %s", pool, recipient)
	return r
}

// TornadoWithdraw withdraws one note to recipient, signed by sender (the
// recipient itself, or a relayer paid fee); the pool pays by internal
// calls. The test fails unless it succeeded.
func (g *Geth) TornadoWithdraw(tb testing.TB, pool common.Address, sender *ecdsa.PrivateKey, recipient common.Address, nullifier [32]byte, relayer common.Address, fee *big.Int) *types.Receipt {
	tb.Helper()
	r := g.Transact(tb, sender, &pool, nil, pack(tb, TornadoPoolABI, "withdraw", recipient, nullifier, relayer, fee), 0)
	mustSucceed(tb, r, "tornado pool %s withdraw to %s", pool, recipient)
	return r
}

// DeployTHORChainRouter deploys the THORChainRouter stand-in.
func (g *Geth) DeployTHORChainRouter(tb testing.TB, from *ecdsa.PrivateKey) common.Address {
	tb.Helper()
	return g.deploy(tb, from, "THORChainRouter", thorRouterBin, nil)
}

// THORChainDeposit calls router.deposit(vault, ETH, value, memo) from from
// with value: the router forwards it to the vault and emits Deposit.
func (g *Geth) THORChainDeposit(tb testing.TB, router common.Address, from *ecdsa.PrivateKey, vault common.Address, value *big.Int, memo string) *types.Receipt {
	tb.Helper()
	r := g.Transact(tb, from, &router, value, pack(tb, THORChainRouterABI, "deposit", vault, common.Address{}, value, memo), 0)
	mustSucceed(tb, r, "thorchain router %s deposit", router)
	return r
}

// THORChainTransferOut calls router.transferOut(to, ETH, value, memo) from
// the vault with value: the router pays to and emits TransferOut.
func (g *Geth) THORChainTransferOut(tb testing.TB, router common.Address, vault *ecdsa.PrivateKey, to common.Address, value *big.Int, memo string) *types.Receipt {
	tb.Helper()
	r := g.Transact(tb, vault, &router, value, pack(tb, THORChainRouterABI, "transferOut", to, common.Address{}, value, memo), 0)
	mustSucceed(tb, r, "thorchain router %s transferOut", router)
	return r
}
