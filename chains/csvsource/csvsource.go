package csvsource

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
	"github.com/chainhound/chainhound/watchlists"
)

// Error is a bad line of a file.
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s line %d: %s", e.Path, e.Line, e.Msg) }

// File is a CSV of transfers turned into blocks.
type File struct {
	Chain  chains.Chain
	Blocks []*chains.Block
	// inputValue holds the amounts of input rows whose outpoint the file
	// does not create (their address is unknown).
	inputValue map[chains.Outpoint]int64
}

var transferHeader = []string{"block", "time", "tx", "index", "from", "to", "asset", "amount"}

// Read parses the CSV of docs/interface.md ("chainhound replay") at path.
// A file that cannot be opened is an *fs.PathError; a bad row an *Error
// naming the file and line.
func Read(path string, chain chains.Chain) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	bad := func(line int, format string, args ...any) error {
		return &Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	head, err := r.Read()
	if err != nil {
		return nil, bad(1, "no header: %v", err)
	}
	// The header is docs/interface.md's, optionally followed by the columns
	// event and memo (in either order).
	width := len(transferHeader)
	evCol, memoCol := -1, -1
	for i := width; i < len(head); i++ {
		switch {
		case head[i] == "event" && evCol < 0:
			evCol = i
		case head[i] == "memo" && memoCol < 0:
			memoCol = i
		default:
			return nil, bad(1, "header column %q: want %q, then optionally \"event\" and \"memo\"", head[i], strings.Join(transferHeader, ","))
		}
	}
	if strings.Join(head[:min(len(head), width)], ",") != strings.Join(transferHeader, ",") {
		return nil, bad(1, "header %q, want %q (optionally with the columns \"event\" and \"memo\")", strings.Join(head, ","), strings.Join(transferHeader, ","))
	}
	width = len(head)
	// Events by block and transaction (a block's Txs grow while it is
	// read, so no pointer into them is kept).
	type txRef struct {
		b  *chains.Block
		ti int
	}
	events := map[txRef][]rowEvent{}
	var evOrder []txRef
	rp := &File{Chain: chain, inputValue: map[chains.Outpoint]int64{}}
	var cur *chains.Block
	txAt := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, bad(line, "%v", err)
		}
		if len(rec) != width {
			return nil, bad(line, "%d fields, want %d", len(rec), width)
		}
		n, err := strconv.ParseUint(rec[0], 10, 64)
		if err != nil {
			return nil, bad(line, "block %q is not a number", rec[0])
		}
		var bt time.Time
		if rec[1] != "" {
			if bt, err = parseTime(rec[1]); err != nil {
				return nil, bad(line, "time %q: want RFC 3339 or unix seconds", rec[1])
			}
		}
		hash := strings.ToLower(strings.TrimSpace(rec[2]))
		if !validTxHash(chain, hash) {
			return nil, bad(line, "tx %q is not a %s transaction hash", rec[2], chain)
		}
		idx, err := strconv.Atoi(rec[3])
		if err != nil || idx < 0 {
			return nil, bad(line, "index %q is not a non-negative integer", rec[3])
		}
		amt, ok := new(big.Int).SetString(rec[7], 10)
		if !ok || amt.Sign() < 0 {
			return nil, bad(line, "amount %q is not a non-negative integer", rec[7])
		}
		if cur == nil || n != cur.Ref.Number {
			if cur != nil && n < cur.Ref.Number {
				return nil, bad(line, "block %d after block %d: rows must be in block order", n, cur.Ref.Number)
			}
			// No Parent: an export skips heights without rows.
			cur = &chains.Block{Chain: chain, Ref: chains.BlockRef{Number: n, Hash: fmt.Sprintf("replay-%d", n), Time: bt}}
			rp.Blocks = append(rp.Blocks, cur)
			txAt = map[string]int{}
		}
		ti, ok := txAt[hash]
		if !ok {
			ti = len(cur.Txs)
			txAt[hash] = ti
			cur.Txs = append(cur.Txs, chains.Tx{Hash: hash, Index: ti})
		}
		tx := &cur.Txs[ti]
		if chain == chains.Ethereum {
			if err := ethRow(tx, rec, idx, amt); err != nil {
				return nil, bad(line, "%v", err)
			}
		} else if err := btcRow(rp, tx, rec, idx, amt); err != nil {
			return nil, bad(line, "%v", err)
		}
		memo := ""
		if memoCol >= 0 {
			memo = rec[memoCol]
		}
		if evCol >= 0 && rec[evCol] != "" {
			ev, err := parseRowEvent(chain, rec[evCol], memo)
			if err != nil {
				return nil, bad(line, "%v", err)
			}
			t := tx.Transfers[len(tx.Transfers)-1]
			k := txRef{cur, ti}
			if events[k] == nil {
				evOrder = append(evOrder, k)
			}
			events[k] = append(events[k], rowEvent{kind: ev, from: t.From, to: t.To, asset: t.Asset, amount: t.Amount, memo: memo, line: line})
		} else if memo != "" {
			return nil, bad(line, "a memo without an event: say which event carries it")
		}
	}
	for _, k := range evOrder {
		if err := applyRowEvents(&k.b.Txs[k.ti], events[k]); err != nil {
			err.Path = path
			return nil, err
		}
	}
	created := map[chains.Outpoint]chains.Output{}
	for _, b := range rp.Blocks {
		for i := range b.Txs {
			tx := &b.Txs[i]
			// Inputs spending an output of the file are resolved from it.
			for k := range tx.Inputs {
				if o, ok := created[tx.Inputs[k].Prev]; ok {
					tx.Inputs[k].Value, tx.Inputs[k].Address, tx.Inputs[k].Resolved = o.Value, o.Address, true
				}
			}
			for _, o := range tx.Outputs {
				created[chains.Outpoint{Tx: tx.Hash, Index: o.Index}] = o
			}
			sort.SliceStable(tx.Transfers, func(x, y int) bool { return tx.Transfers[x].Seq < tx.Transfers[y].Seq })
			sort.SliceStable(tx.Outputs, func(x, y int) bool { return tx.Outputs[x].Index < tx.Outputs[y].Index })
			if len(tx.Transfers) > 0 {
				tx.From = tx.Transfers[0].From
			}
		}
	}
	return rp, nil
}

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

// Balances answers BalanceAt from the file itself: the flows of an
// address up to and including the block asked (an export holds no earlier
// history, so the clean part is what the file shows).
func (rp *File) Balances() chains.BalanceReader { return &csvBalances{rp: rp} }

// csvBalances indexes the file's flows once, per address and asset, as
// running sums by block, so that each BalanceAt is a binary search.
type csvBalances struct {
	rp    *File
	once  sync.Once
	flows map[balanceKey][]balancePoint
}

type balanceKey struct{ addr, asset string }

// balancePoint is the sum of an address's flows up to and including block.
type balancePoint struct {
	block uint64
	sum   *big.Int
}

func (c *csvBalances) index() {
	c.flows = map[balanceKey][]balancePoint{}
	add := func(addr, asset string, block uint64, delta *big.Int, sub bool) {
		k := balanceKey{addr, asset}
		pts := c.flows[k]
		if len(pts) == 0 || pts[len(pts)-1].block != block {
			sum := new(big.Int)
			if len(pts) > 0 {
				sum.Set(pts[len(pts)-1].sum)
			}
			pts = append(pts, balancePoint{block: block, sum: sum})
		}
		if last := pts[len(pts)-1].sum; sub {
			last.Sub(last, delta)
		} else {
			last.Add(last, delta)
		}
		c.flows[k] = pts
	}
	for _, b := range c.rp.Blocks {
		for _, tx := range b.Txs {
			for _, t := range tx.Transfers {
				asset := t.Asset.Key()
				add(t.To, asset, b.Ref.Number, t.Amount, false)
				add(t.From, asset, b.Ref.Number, t.Amount, true)
			}
		}
	}
}

func (c *csvBalances) BalanceAt(_ context.Context, addr string, asset chains.Asset, n uint64) (*big.Int, error) {
	c.once.Do(c.index)
	pts := c.flows[balanceKey{addr, asset.Key()}]
	i := sort.Search(len(pts), func(i int) bool { return pts[i].block > n }) - 1
	v := new(big.Int)
	if i >= 0 && pts[i].sum.Sign() > 0 {
		v.Set(pts[i].sum)
	}
	return v, nil
}

// Prevouts resolves spent outpoints from the outputs the file creates, or
// the amounts its input rows carry.
func (rp *File) Prevouts() chains.PrevoutResolver {
	outs := map[chains.Outpoint]chains.Output{}
	for _, b := range rp.Blocks {
		for _, tx := range b.Txs {
			for _, o := range tx.Outputs {
				outs[chains.Outpoint{Tx: tx.Hash, Index: o.Index}] = o
			}
		}
	}
	return csvPrevouts{outs: outs, values: rp.inputValue}
}

type csvPrevouts struct {
	outs   map[chains.Outpoint]chains.Output
	values map[chains.Outpoint]int64
}

func (p csvPrevouts) Prevouts(_ context.Context, ops []chains.Outpoint) ([]chains.Output, error) {
	res := make([]chains.Output, len(ops))
	for i, op := range ops {
		if o, ok := p.outs[op]; ok {
			res[i] = o
		} else {
			res[i] = chains.Output{Index: op.Index, Value: p.values[op]}
		}
	}
	return res, nil
}

// HasTx reports whether the file holds transaction hash (any case).
func (rp *File) HasTx(hash string) bool {
	for _, b := range rp.Blocks {
		for i := range b.Txs {
			if strings.EqualFold(b.Txs[i].Hash, hash) {
				return true
			}
		}
	}
	return false
}

// Pays reports whether addr pays something in a block from from on: a
// transfer from it, an input of it, or (Bitcoin) an output paying it,
// which it will spend.
func (rp *File) Pays(addr string, from uint64) bool {
	for _, b := range rp.Blocks {
		if b.Ref.Number < from {
			continue
		}
		for i := range b.Txs {
			if rp.pays(b, &b.Txs[i], addr) {
				return true
			}
		}
	}
	return false
}

// pays reports whether addr takes part in tx as a payer: a transfer from
// it, an input of it, or (Bitcoin) an output paying it that it spends.
func (rp *File) pays(b *chains.Block, tx *chains.Tx, addr string) bool {
	for _, t := range tx.Transfers {
		if strings.EqualFold(t.From, addr) {
			return true
		}
	}
	for i := range tx.Inputs {
		if strings.EqualFold(b.InputAddress(&tx.Inputs[i]), addr) {
			return true
		}
	}
	// On Bitcoin what is paid to it is what it will spend (the file may
	// not name the spending inputs' addresses).
	for i := range tx.Outputs {
		if strings.EqualFold(b.OutputAddress(&tx.Outputs[i]), addr) {
			return true
		}
	}
	return false
}

// NormalizeAnyNetwork is a normalised on any Bitcoin network (an export
// names no network), as Read normalises the file's output addresses.
func NormalizeAnyNetwork(chain chains.Chain, a string) (string, error) {
	for _, n := range watchlists.BitcoinNetworks {
		if s, err := watchlists.Normalize(chain, n, a); err == nil {
			return s, nil
		}
	}
	return "", errors.New("no network")
}

// validTxHash reports whether h is a transaction hash of chain.
func validTxHash(chain chains.Chain, h string) bool {
	_, err := watchlists.NormalizeTxHash(chain, h)
	return err == nil
}
