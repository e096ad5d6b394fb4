package evmbridges

import (
	"fmt"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/internal/abiword"
)

// Across SpokePool deposit topics (across-protocol/contracts,
// contracts/interfaces/V3SpokePoolInterface.sol; the test recomputes
// them).
var (
	// V3FundsDepositedTopic is V3FundsDeposited(address inputToken,
	// address outputToken, uint256 inputAmount, uint256 outputAmount,
	// uint256 indexed destinationChainId, uint32 indexed depositId,
	// uint32 quoteTimestamp, uint32 fillDeadline, uint32
	// exclusivityDeadline, address indexed depositor, address recipient,
	// address exclusiveRelayer, bytes message).
	V3FundsDepositedTopic = mustTopic("a123dc29aebf7d0c3322c8eeb5b999e859f39937950ed31056532713d0de396f")
	// FundsDepositedTopic is the current FundsDeposited(bytes32
	// inputToken, bytes32 outputToken, uint256 inputAmount, uint256
	// outputAmount, uint256 indexed destinationChainId, uint256 indexed
	// depositId, uint32 quoteTimestamp, uint32 fillDeadline, uint32
	// exclusivityDeadline, bytes32 indexed depositor, bytes32 recipient,
	// bytes32 exclusiveRelayer, bytes message): addresses as bytes32 so
	// that a recipient may be a Solana key.
	FundsDepositedTopic = mustTopic("32ed1a409ef04c7b0227189c3a103dc5ac10e775a15b785dcc510201f7c25ad3")
)

// DecodeAcrossDeposit decodes a V3FundsDeposited or FundsDeposited log:
// four topics (event, destinationChainId, depositId, depositor) and ten
// head words then the message. Asset and Amount are the output token and
// amount, what the recipient is paid on the destination chain (an output
// token of ZeroAddress means "the input token's equivalent there").
func DecodeAcrossDeposit(l chains.Log) (Transfer, error) {
	name, v3 := "FundsDeposited", false
	if len(l.Topics) > 0 && l.Topics[0] == V3FundsDepositedTopic {
		name, v3 = "V3FundsDeposited", true
	}
	want := FundsDepositedTopic
	if v3 {
		want = V3FundsDepositedTopic
	}
	if err := checkTopics(l, want, 4, name); err != nil {
		return Transfer{}, err
	}
	t, err := decodeAcross(l, v3)
	if err != nil {
		return Transfer{}, fmt.Errorf("%s log: %w", name, err)
	}
	return t, nil
}

func decodeAcross(l chains.Log, v3 bool) (Transfer, error) {
	chainID, err := abiword.WordUint(l.Topics[1], 64, "destinationChainId")
	if err != nil {
		return Transfer{}, err
	}
	if v3 {
		if _, err := abiword.WordUint(l.Topics[2], 32, "depositId"); err != nil {
			return Transfer{}, err
		}
		if _, err := abiword.WordAddress(l.Topics[3], "depositor"); err != nil {
			return Transfer{}, err
		}
	}
	chain := acrossChain(chainID)
	d := abiword.Data(l.Data)
	// addr reads an address word: an address in V3FundsDeposited, a
	// bytes32 in FundsDeposited.
	addr := func(i int, name string) (string, error) {
		if v3 {
			return d.Address(i, name)
		}
		w, err := d.Word(i, name)
		return word32Address(w, chain, chain != "solana"), err
	}
	if _, err := addr(0, "inputToken"); err != nil {
		return Transfer{}, err
	}
	asset, err := addr(1, "outputToken")
	if err != nil {
		return Transfer{}, err
	}
	if _, err := d.Uint(2, "inputAmount"); err != nil {
		return Transfer{}, err
	}
	amount, err := d.Uint(3, "outputAmount")
	if err != nil {
		return Transfer{}, err
	}
	for i, n := range []string{"quoteTimestamp", "fillDeadline", "exclusivityDeadline"} {
		if _, err := d.UintN(4+i, 32, n); err != nil {
			return Transfer{}, err
		}
	}
	recipient, err := addr(7, "recipient")
	if err != nil {
		return Transfer{}, err
	}
	if _, err := addr(8, "exclusiveRelayer"); err != nil {
		return Transfer{}, err
	}
	if _, err := d.Bytes(9, 10, "message", true); err != nil {
		return Transfer{}, err
	}
	return Transfer{
		Bridge: Across, DestChain: chain, DestChainID: chainID,
		DestAddress: recipient, Asset: asset, Amount: amount,
	}, nil
}
