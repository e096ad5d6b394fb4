package csvsource

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
)

// A row's event names the mixer or bridge event its transaction emitted,
// so that the recognisers see offline what the follower gives them live.
type rowEvent struct {
	kind     string
	from, to string
	asset    chains.Asset
	amount   *big.Int
	memo     string
	line     int
}

// rowEvents are the events a CSV row may name.
var rowEvents = []string{"tornado.deposit", "tornado.withdrawal", "thorchain.deposit", "thorchain.transfer_out"}

func parseRowEvent(chain chains.Chain, s, memo string) (string, error) {
	if !slices.Contains(rowEvents, s) {
		return "", fmt.Errorf("event %q: want one of %s", s, strings.Join(rowEvents, ", "))
	}
	if chain != chains.Ethereum {
		// On Bitcoin a THORChain memo is an OP_RETURN output row.
		return "", fmt.Errorf("event %q is an Ethereum event (a Bitcoin memo is an op_return:<hex> output row)", s)
	}
	if strings.HasPrefix(s, "thorchain.") {
		if memo == "" {
			return "", fmt.Errorf("event %q needs the memo column", s)
		}
		if _, err := thorchain.ParseMemo(memo); err != nil {
			return "", fmt.Errorf("memo: %v", err)
		}
	}
	return s, nil
}

// applyRowEvents gives tx the logs its rows' events stand for. A
// tornado.deposit row is a transfer into the pool (the row's to); a
// tornado.withdrawal row is the payout from the pool (the row's from) to
// the recipient, and the transaction's other transfer from the pool, if
// any, is the relayer's fee. A thorchain.deposit row is the payment into
// the router (to) with its memo; a thorchain.transfer_out row is the
// router's payment (from) to the recipient with its OUT:/REFUND: memo.
func applyRowEvents(tx *chains.Tx, evs []rowEvent) *Error {
	for _, ev := range evs {
		switch ev.kind {
		case "tornado.deposit":
			tx.Logs = append(tx.Logs, tornado.DepositLog(ev.to))
		case "tornado.withdrawal":
			relayer, fee := "", new(big.Int)
			for _, t := range tx.Transfers {
				if t.From != ev.from || t.To == ev.to {
					continue
				}
				if relayer != "" && t.To != relayer {
					return &Error{Line: ev.line, Msg: fmt.Sprintf("tornado.withdrawal: the pool pays %s and %s besides the recipient: at most one relayer", relayer, t.To)}
				}
				relayer = t.To
				fee.Add(fee, t.Amount)
			}
			tx.Logs = append(tx.Logs, tornado.WithdrawalLog(ev.from, ev.to, relayer, fee))
		case "thorchain.deposit":
			tx.Logs = append(tx.Logs, thorchain.DepositLog(ev.to, zeroAddress, routerAsset(ev.asset), ev.amount, ev.memo))
		case "thorchain.transfer_out":
			tx.Logs = append(tx.Logs, thorchain.TransferOutLog(ev.from, zeroAddress, ev.to, routerAsset(ev.asset), ev.amount, ev.memo))
		}
	}
	return nil
}

const zeroAddress = "0x0000000000000000000000000000000000000000"

// routerAsset is an asset as THORChain's router names it: the zero
// address for ETH, else the token contract.
func routerAsset(a chains.Asset) string {
	if a.Contract == "" {
		return thorchain.NativeAsset
	}
	return a.Contract
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(sec, 0).UTC(), nil
}

func ethAddr(field, s string) (string, error) {
	a := strings.ToLower(strings.TrimSpace(s))
	if len(a) != 42 || !strings.HasPrefix(a, "0x") || !validTxHash(chains.Ethereum, "0x"+strings.Repeat("0", 24)+a[2:]) {
		return "", fmt.Errorf("%s %q is not an Ethereum address", field, s)
	}
	return a, nil
}

func ethRow(tx *chains.Tx, rec []string, idx int, amt *big.Int) error {
	from, err := ethAddr("from", rec[4])
	if err != nil {
		return err
	}
	to, err := ethAddr("to", rec[5])
	if err != nil {
		return err
	}
	asset := chains.ETH
	kind := chains.Native
	switch {
	case rec[6] == "ETH":
	case strings.HasPrefix(strings.ToLower(rec[6]), "0x"):
		c, err := ethAddr("asset", rec[6])
		if err != nil {
			return err
		}
		asset, kind = chains.Asset{Symbol: "ERC-20", Contract: c}, chains.Token
	default:
		return fmt.Errorf("asset %q: want ETH or a token contract address", rec[6])
	}
	tx.Transfers = append(tx.Transfers, chains.Transfer{Kind: kind, TxIndex: tx.Index, Seq: idx, LogIndex: -1, From: from, To: to, Asset: asset, Amount: amt})
	return nil
}

func btcRow(rp *File, tx *chains.Tx, rec []string, idx int, amt *big.Int) error {
	if rec[6] != "BTC" {
		return fmt.Errorf("asset %q: want BTC", rec[6])
	}
	if !amt.IsInt64() {
		return fmt.Errorf("amount %s is beyond 64 bits", amt)
	}
	from, to := strings.TrimSpace(rec[4]), strings.TrimSpace(rec[5])
	switch {
	case from != "" && to == "":
		i := strings.LastIndexByte(from, ':')
		if i <= 0 {
			return fmt.Errorf("from %q: an input row names the spent outpoint txid:vout", from)
		}
		vout, err := strconv.ParseUint(from[i+1:], 10, 32)
		if err != nil || !validTxHash(chains.Bitcoin, strings.ToLower(from[:i])) {
			return fmt.Errorf("from %q: an input row names the spent outpoint txid:vout", from)
		}
		op := chains.Outpoint{Tx: strings.ToLower(from[:i]), Index: uint32(vout)}
		tx.Inputs = append(tx.Inputs, chains.Input{Prev: op})
		if amt.Sign() > 0 {
			rp.inputValue[op] = amt.Int64()
		}
	case from == "" && to != "":
		o := chains.Output{Index: uint32(idx), Value: amt.Int64(), Address: to, Class: chains.NonStandard}
		if strings.HasPrefix(to, "op_return:") {
			o.Class = chains.NullData
		} else if n, err := NormalizeAnyNetwork(chains.Bitcoin, to); err == nil {
			o.Address = n
		}
		for _, x := range tx.Outputs {
			if x.Index == o.Index {
				return fmt.Errorf("output %d of %s given twice", o.Index, tx.Hash)
			}
		}
		tx.Outputs = append(tx.Outputs, o)
	default:
		return fmt.Errorf("a Bitcoin row is an input (from = txid:vout, to empty) or an output (from empty, to = address)")
	}
	return nil
}
