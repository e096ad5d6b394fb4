package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/bridges/evmbridges"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/mixers/coinjoin"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/urfave/cli/v2"
)

func replayCommand() *cli.Command {
	return &cli.Command{
		Name:      "replay",
		Usage:     "run the tracer offline over a CSV of transfers and print the alerts it would raise as JSON lines",
		UsageText: "chainhound replay --chain C --transfers FILE (--seed-address A ... | --seed-tx H ...) [--policy P] [--dust N] [--max-hops N] [--min-share F] [--confidence-floor F]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "chain", Usage: "ethereum or bitcoin", Required: true},
			&cli.StringFlag{Name: "transfers", Usage: "CSV `FILE` with header block,time,tx,index,from,to,asset,amount", Required: true},
			&cli.StringSliceFlag{Name: "seed-address", Usage: "a compromised `ADDRESS`: its every outflow counts as stolen (repeatable)"},
			&cli.Uint64Flag{Name: "from-block", Usage: "the block from which --seed-address outflows count"},
			&cli.StringSliceFlag{Name: "seed-tx", Usage: "a theft transaction `HASH` (repeatable)"},
			// Unset, each takes the tracer section of --config (or its
			// defaults), as an incident opened on the daemon does.
			&cli.StringFlag{Name: "policy", Usage: "haircut, poison or fifo (default: the configuration's tracer.policy, else haircut)"},
			&cli.StringFlag{Name: "dust", Usage: "dust floor in the smallest unit (default: the configuration's tracer.dust for the chain, else none)"},
			&cli.IntFlag{Name: "max-hops", Usage: "hops after which tracking stops (default: the configuration's tracer.max_hops, else 12)"},
			&cli.Float64Flag{Name: "min-share", Usage: "drop holdings below this share of the theft, never at a service (0: off; default: the configuration's tracer.min_share)"},
			&cli.Float64Flag{Name: "confidence-floor", Usage: "a mixer withdrawal linked with a lower confidence is reported but its taint goes no further (default: the configuration's tracer.confidence_floor, else 0.25)"},
		},
		Action: replayAction,
	}
}

func replayAction(c *cli.Context) error {
	chain, err := chains.ParseChain(c.String("chain"))
	if err != nil {
		return usagef("--chain: %v", err)
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	ec := daemon.EngineConfig(cfg.Tracer) // the daemon's engine, flags set aside
	policyName := string(ec.Policy)
	if c.IsSet("policy") {
		policyName = c.String("policy")
	}
	policy, err := watchlists.ParsePolicy(policyName)
	if err != nil {
		return usagef("--policy: %v", err)
	}
	maxHops := ec.MaxHops
	if c.IsSet("max-hops") {
		maxHops = c.Int("max-hops")
	}
	inc := watchlists.Incident{ID: "replay", Title: "replay of " + filepath.Base(c.String("transfers")), Chain: chain, Policy: policy, Status: watchlists.Open, MaxHops: maxHops}
	if inc.MaxHops <= 0 || inc.MaxHops > watchlists.MaxHopsLimit {
		return usagef("--max-hops: %d out of range 1..%d (as an incident's)", inc.MaxHops, watchlists.MaxHopsLimit)
	}
	minShare, floor := ec.MinShare, *ec.ConfidenceFloor
	if c.IsSet("min-share") {
		minShare = c.Float64("min-share")
	}
	if c.IsSet("confidence-floor") {
		floor = c.Float64("confidence-floor")
	}
	if !(minShare >= 0 && minShare < 1) {
		return usagef("--min-share: %v not in [0, 1)", minShare)
	}
	if !(floor >= 0 && floor <= 1) {
		return usagef("--confidence-floor: %v not in [0, 1]", floor)
	}
	inc.ConfidenceFloor = &floor
	if d := c.String("dust"); d != "" {
		v, ok := new(big.Int).SetString(d, 10)
		if !ok || v.Sign() < 0 {
			return usagef("--dust: %q is not a non-negative integer", d)
		}
		inc.Dust = v
	}
	for _, a := range c.StringSlice("seed-address") {
		n, err := watchlists.Normalize(chain, "", a)
		if err != nil {
			n2, err2 := normalizeAnyNetwork(chain, a)
			if err2 != nil {
				return usagef("--seed-address: %v", err)
			}
			n = n2
		}
		inc.Seeds = append(inc.Seeds, watchlists.Seed{Address: n, FromBlock: c.Uint64("from-block")})
	}
	for _, h := range c.StringSlice("seed-tx") {
		h = strings.ToLower(strings.TrimSpace(h))
		if !validTxHash(chain, h) {
			return usagef("--seed-tx: %q is not a %s transaction hash", h, chain)
		}
		inc.Seeds = append(inc.Seeds, watchlists.Seed{Tx: h})
	}
	if len(inc.Seeds) == 0 {
		return usagef("replay: give --seed-address or --seed-tx")
	}
	path := c.String("transfers")
	rp, err := readTransfers(path, chain)
	if err != nil {
		return err
	}
	if err := rp.checkSeeds(path, inc.Seeds); err != nil {
		return err
	}
	reg, err := replayLabels(c.Context, cfg.DataDir)
	if err != nil {
		return err
	}
	labels := &learnedLabels{Registry: reg, learned: map[string]watchlists.Entry{}}
	out := &replaySink{w: c.App.Writer}
	deps := tracer.Deps{Labels: labels, Sink: out}
	if chain == chains.Ethereum {
		deps.Balances = rp.balances()
		deps.Learner = labels // as the daemon learns deposit addresses from sweeps
		deps.Recognisers = []tracer.Recogniser{tornado.New(labels, deps.Balances, nil), thorchain.New(labels, nil), evmbridges.New(labels, nil)}
	} else {
		deps.Prevouts = rp.prevouts()
		deps.Recognisers = []tracer.Recogniser{thorchain.New(labels, nil)}
		// An export is of mainnet: each CoinJoin rule from its height.
		deps.CoinJoins = func(tx *chains.Tx, ins []coinjoin.Input, h uint64) (coinjoin.Join, bool) {
			return coinjoin.Detect(tx, ins, h, true)
		}
	}
	ec.Policy, ec.MinShare, ec.ConfidenceFloor = policy, minShare, &floor
	ec.Drain.AutoIncident = false // replay follows its one incident
	e, err := tracer.New(ec, deps)
	if err != nil {
		return err
	}
	defer e.Close()
	ctx := c.Context
	if err := e.OpenIncident(ctx, inc); err != nil {
		return usagef("replay: %v", err)
	}
	for _, b := range rp.blocks {
		if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: chain, Block: b, Ref: b.Ref}); err != nil {
			return fmt.Errorf("replay block %d: %w", b.Ref.Number, err)
		}
	}
	return out.err
}

// checkSeeds refuses seeds the file never shows: a theft transaction not
// in it, a compromised address that pays nothing from its from-block —
// the replay would print nothing and look like a clean result.
func (rp *replayData) checkSeeds(path string, seeds []watchlists.Seed) error {
	for _, s := range seeds {
		found := false
		for _, b := range rp.blocks {
			for i := range b.Txs {
				tx := &b.Txs[i]
				if s.Tx != "" && strings.EqualFold(tx.Hash, s.Tx) {
					found = true
				}
				if s.Address != "" && b.Ref.Number >= s.FromBlock && rp.pays(b, tx, s.Address) {
					found = true
				}
			}
		}
		switch {
		case found:
		case s.Tx != "":
			return usagef("--seed-tx %s: not in %s", s.Tx, path)
		default:
			return usagef("--seed-address %s: not in %s from block %d", s.Address, path, s.FromBlock)
		}
	}
	return nil
}

// pays reports whether addr takes part in tx as a payer: a transfer from
// it, an input of it, or (Bitcoin) an output paying it that it spends.
func (rp *replayData) pays(b *chains.Block, tx *chains.Tx, addr string) bool {
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

func normalizeAnyNetwork(chain chains.Chain, a string) (string, error) {
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

// replayLabels loads the shipped labels and, if the data directory holds a store,
// its watchlists. A data directory held by a running daemon is skipped
// with a warning: replay then uses the shipped labels alone.
func replayLabels(ctx context.Context, dir string) (*watchlists.Registry, error) {
	return offlineLabels(ctx, dir, nil, func() {
		slog.Warn("replay: data directory in use by a daemon; using the shipped labels only", "data_dir", dir)
	})
}

// learnedLabels is replay's label set: the data directory's and the
// shipped labels, plus the exchange deposit addresses the run learns from
// sweeps, as the daemon would (kept for the run, never written to the data
// directory).
type learnedLabels struct {
	*watchlists.Registry
	learned map[string]watchlists.Entry // chain|address
}

func (l *learnedLabels) Lookup(c chains.Chain, addr string) []watchlists.Entry {
	es := l.Registry.Lookup(c, addr)
	if e, ok := l.learned[string(c)+"|"+addr]; ok {
		es = append(slices.Clip(es), e)
	}
	return es
}

func (l *learnedLabels) Learn(_ context.Context, x tracer.Learned) error {
	l.learned[string(x.Chain)+"|"+x.Address] = x.Entry()
	return nil
}

// replaySink is the replay's Sink: each finding becomes one alert, one
// JSON line, numbered from 1.
type replaySink struct {
	w   io.Writer
	seq uint64
	err error
}

func (p *replaySink) Raise(_ context.Context, fs []tracer.Finding) error {
	enc := json.NewEncoder(p.w)
	sev := alerts.DefaultSeverityTable()
	for i := range fs {
		if !alerts.ValidType(string(fs[i].Type)) {
			continue // taint.left and the like: logged by the daemon, not alerts
		}
		p.seq++
		a := alerts.AlertOf(&fs[i], &sev)
		a.Seq = p.seq
		if err := enc.Encode(a); err != nil {
			p.err = fmt.Errorf("write alert: %w", err)
			return p.err
		}
	}
	return nil
}

func (p *replaySink) Retract(context.Context, []tracer.Finding) error { return nil }

// replayData is a CSV of transfers turned into blocks.
type replayData struct {
	chain  chains.Chain
	blocks []*chains.Block
	// inputValue holds the amounts of input rows whose outpoint the file
	// does not create (their address is unknown).
	inputValue map[chains.Outpoint]int64
}

var transferHeader = []string{"block", "time", "tx", "index", "from", "to", "asset", "amount"}

// readTransfers parses the CSV of docs/interface.md. A bad row is a usage error
// naming the file and line.
func readTransfers(path string, chain chains.Chain) (*replayData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("--transfers: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	bad := func(line int, format string, args ...any) error {
		return usagef("%s line %d: %s", path, line, fmt.Sprintf(format, args...))
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
	rp := &replayData{chain: chain, inputValue: map[chains.Outpoint]int64{}}
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
			rp.blocks = append(rp.blocks, cur)
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
			return nil, usagef("%s %v", path, err)
		}
	}
	created := map[chains.Outpoint]chains.Output{}
	for _, b := range rp.blocks {
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
func applyRowEvents(tx *chains.Tx, evs []rowEvent) error {
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
					return fmt.Errorf("line %d: tornado.withdrawal: the pool pays %s and %s besides the recipient: at most one relayer", ev.line, relayer, t.To)
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

func btcRow(rp *replayData, tx *chains.Tx, rec []string, idx int, amt *big.Int) error {
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
		} else if n, err := normalizeAnyNetwork(chains.Bitcoin, to); err == nil {
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

// balances answers BalanceAt from the file itself: the flows of an
// address up to and including the block asked (an export holds no earlier
// history, so the clean part is what the file shows).
func (rp *replayData) balances() chains.BalanceReader { return &csvBalances{rp: rp} }

// csvBalances indexes the file's flows once, per address and asset, as
// running sums by block, so that each BalanceAt is a binary search.
type csvBalances struct {
	rp    *replayData
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
	for _, b := range c.rp.blocks {
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

// prevouts resolves spent outpoints from the outputs the file creates, or
// the amounts its input rows carry.
func (rp *replayData) prevouts() chains.PrevoutResolver {
	outs := map[chains.Outpoint]chains.Output{}
	for _, b := range rp.blocks {
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
