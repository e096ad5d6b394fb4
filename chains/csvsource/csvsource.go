package csvsource

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
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
