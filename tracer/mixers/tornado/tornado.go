// Package tornado follows taint through Tornado Cash pools (docs/mixers.md,
// "Tornado Cash"): a tainted deposit into a pool is remembered among the
// pool's unmatched deposits, and each withdrawal carries the share of the
// pool's unmatched deposits that are tainted — raised toward certainty
// when a linking heuristic ties the withdrawal to one deposit.
//
// A pool is any trusted mixer entry with protocol "tornado" that emits the
// pool's events; the router, also such an entry, is where a deposit made
// through it parks its taint. Nothing here is keyed on mainnet addresses:
// the shipped labels name the mainnet pools, an operator names a test
// chain's.
//
// What a pool knows lives in the tracer's recogniser State (undone on a
// reorg, persisted with the block): its denomination and unmatched count,
// the tainted deposits still unmatched, and per gas price and per
// depositor the counts of unmatched deposits the heuristics need.
package tornado

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/big"
	"slices"
	"strings"
	"sync"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/ethereum/go-ethereum/crypto"
)

// Protocol is the watchlist protocol of Tornado Cash pools and routers.
const Protocol = "tornado"

// The pool's events (tornado-core Tornado.sol), by topic0.
var (
	DepositTopic    = [32]byte(crypto.Keccak256Hash([]byte("Deposit(bytes32,uint32,uint256)")))
	WithdrawalTopic = [32]byte(crypto.Keccak256Hash([]byte("Withdrawal(address,bytes32,address,uint256)")))
)

// Topics are the event logs the Ethereum follower must keep for the
// recogniser (ethereum.Config.KeepLogs).
func Topics() [][32]byte { return [][32]byte{DepositTopic, WithdrawalTopic} }

// Heuristics as alerts name them (docs/interface.md, `heuristics`).
const (
	AddressMatch      = "address_match"
	UniqueGasPrice    = "unique_gas_price"
	LinkedAddress     = "linked_address"
	MultiDenomination = "multi_denomination"
)

// Confidence of a withdrawal linked by a heuristic to one deposit: an
// address match is deterministic in Tutela's sense (a depositor
// withdrawing to itself), a unique gas price and a linked address
// slightly less so (docs/interface.md: a deterministic link gives at least 0.9;
// two addresses that dealt three times may still be two owners), a
// multi-denomination pattern (counts that could coincide) less again.
const (
	addressMatchConfidence      = 0.95
	uniqueGasPriceConfidence    = 0.9
	linkedAddressConfidence     = 0.9
	multiDenominationConfidence = 0.8
)

// Recogniser is the Tornado Cash recogniser. It is stateless itself: the
// engine hands it each chain's State.
type Recogniser struct {
	labels   tracer.Labels
	balances chains.BalanceReader
	log      *slog.Logger

	// decoded keeps, per pool, the tainted deposits last read or written
	// with the bytes they came from: while State hands back those same
	// bytes (no reorg or restart in between), they are not decoded again.
	mu      sync.Mutex
	decoded map[string]decodedDeposits

	// history: a Bootstrap loads each pool's history (WithHistory); until
	// it has, withdrawals are provisional. wake tells it of a new pool.
	history bool
	wake    chan<- struct{}
}

// WithHistory tells the recogniser that a Bootstrap loads each pool's
// history: until it has, its withdrawals' findings are provisional.
func (r *Recogniser) WithHistory() *Recogniser {
	r.history = true
	return r
}

// NotifyHistory has the recogniser signal ch (without waiting) each time
// it sees a pool for the first time: a Bootstrap's Wake.
func (r *Recogniser) NotifyHistory(ch chan<- struct{}) *Recogniser {
	r.wake = ch
	return r
}

type decodedDeposits struct {
	raw []byte
	ts  []taintedDeposit
}

// loadTainted returns pool's tainted deposits, shared with the cache: the
// caller must not change the slice (it saves a new one instead; the
// deposits themselves never change once made).
func (r *Recogniser) loadTainted(st tracer.State, pool string) ([]taintedDeposit, error) {
	v, ok := st.Get(taintedKey(pool))
	if !ok {
		return nil, nil
	}
	r.mu.Lock()
	c, hit := r.decoded[pool]
	r.mu.Unlock()
	if hit && len(v) > 0 && len(c.raw) == len(v) && &c.raw[0] == &v[0] {
		return c.ts, nil
	}
	ts, err := loadTainted(st, pool)
	if err != nil {
		return nil, err
	}
	r.remember(pool, v, ts)
	return ts, nil
}

func (r *Recogniser) saveTainted(st tracer.State, pool string, ts []taintedDeposit) {
	if len(ts) == 0 {
		st.Delete(taintedKey(pool))
		r.remember(pool, nil, nil)
		return
	}
	v := encodeTainted(ts)
	st.Put(taintedKey(pool), v)
	r.remember(pool, v, ts)
}

func (r *Recogniser) remember(pool string, raw []byte, ts []taintedDeposit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if raw == nil {
		delete(r.decoded, pool)
		return
	}
	if r.decoded == nil {
		r.decoded = map[string]decodedDeposits{}
	}
	r.decoded[pool] = decodedDeposits{raw: raw, ts: ts}
}

// New returns the recogniser. labels tell pools and routers (trusted
// mixer entries with protocol tornado); balances, when set, size a pool's
// anonymity set the first time it is seen (its balance ÷ denomination at
// the block before), so that a daemon started today does not take the
// few deposits it has seen for the whole pool.
func New(labels tracer.Labels, balances chains.BalanceReader, log *slog.Logger) *Recogniser {
	if log == nil {
		log = slog.Default()
	}
	return &Recogniser{labels: labels, balances: balances, log: log.With("component", "tornado")}
}

// Name implements tracer.Recogniser.
func (r *Recogniser) Name() string { return Protocol }

// isTornado reports whether addr carries a trusted tornado mixer entry.
func (r *Recogniser) isTornado(addr string) bool {
	if r.labels == nil {
		return false
	}
	for _, e := range r.labels.Lookup(chains.Ethereum, addr) {
		if e.Trusted() && e.Kind == watchlists.Mixer && e.Protocol == Protocol {
			return true
		}
	}
	return false
}

// Recognise implements tracer.Recogniser: it records the transaction's
// deposits into pools and answers its withdrawals with moves.
func (r *Recogniser) Recognise(ctx context.Context, st tracer.State, b *chains.Block, tx *chains.Tx, deps []tracer.Deposit) ([]tracer.Move, error) {
	if b.Chain != chains.Ethereum || tx.Failed {
		return nil, nil
	}
	if st.Lane() == "" {
		r.interact(st, tx)
	}
	if len(tx.Logs) == 0 {
		return nil, nil
	}
	var moves []tracer.Move
	deposits := map[string]int{} // pool → deposit logs in tx
	var order []string
	for _, l := range tx.Logs {
		if len(l.Topics) == 0 || !r.isTornado(l.Address) {
			continue
		}
		switch l.Topics[0] {
		case DepositTopic:
			if deposits[l.Address] == 0 {
				order = append(order, l.Address)
			}
			deposits[l.Address]++
		case WithdrawalTopic:
			w, err := parseWithdrawal(l)
			if err != nil {
				r.log.Warn("withdrawal log not understood", "tx", tx.Hash, "pool", l.Address, "err", err)
				continue
			}
			p, err := r.pool(ctx, st, b, tx, l.Address, 0)
			if err != nil {
				return nil, err
			}
			if p == nil {
				r.log.Warn("withdrawal from a pool of unknown denomination", "tx", tx.Hash, "pool", l.Address)
				continue
			}
			moves = append(moves, r.withdraw(ctx, st, b, tx, l.Address, p, w)...)
		}
	}
	for _, pool := range order {
		if err := r.deposit(ctx, st, b, tx, pool, deposits[pool], deps); err != nil {
			return nil, err
		}
	}
	return moves, nil
}

// withdrawal is a pool's Withdrawal event.
type withdrawal struct {
	to, relayer string
	fee         *big.Int
}

func parseWithdrawal(l chains.Log) (withdrawal, error) {
	if len(l.Topics) != 2 || len(l.Data) != 96 {
		return withdrawal{}, fmt.Errorf("want 2 topics and 96 bytes of data, have %d and %d", len(l.Topics), len(l.Data))
	}
	return withdrawal{
		to:      addrOf(l.Data[12:32]),
		relayer: addrOf(l.Topics[1][12:]),
		fee:     new(big.Int).SetBytes(l.Data[64:96]),
	}, nil
}

// addrOf is the address in b as the follower writes addresses: lowercase
// hex with 0x.
func addrOf(b []byte) string { return "0x" + hex.EncodeToString(b) }

// pool returns the pool's state, creating it the first time the pool is
// seen: its asset and denomination from what the transaction moves into
// it (n deposits) or out of it (a withdrawal, n = 0), its unmatched count
// from its balance at the block before. Nil: the denomination cannot be
// told (a withdrawal followed without internal transfers).
func (r *Recogniser) pool(ctx context.Context, st tracer.State, b *chains.Block, tx *chains.Tx, addr string, n int) (*poolState, error) {
	if p, err := loadPool(st, addr); p != nil || err != nil {
		if p != nil && st.Lane() == "" {
			if p.Partial {
				r.size(ctx, b, addr, p)
			}
			r.markHistory(st, b, addr)
		}
		return p, err
	}
	asset, total := flowOf(tx, addr, n > 0)
	if total.Sign() <= 0 {
		return nil, nil
	}
	denom := total
	if n > 1 {
		denom = new(big.Int).Quo(total, big.NewInt(int64(n)))
	}
	p := &poolState{Asset: asset, Denom: denom, Partial: true}
	if st.Lane() == "" {
		r.size(ctx, b, addr, p)
		r.markHistory(st, b, addr)
	}
	return p, nil
}

// size sets a partly seen pool's unmatched count from its balance at the
// block before b, when the node still has that state: until then the
// count is what the recogniser saw (a catch-up on a full node, a node
// error), which can only be too small, and a withdrawal's share too big.
func (r *Recogniser) size(ctx context.Context, b *chains.Block, addr string, p *poolState) {
	if r.balances == nil || b.Ref.Number == 0 {
		return
	}
	bal, err := r.balances.BalanceAt(ctx, addr, p.Asset, b.Ref.Number-1)
	if err != nil {
		r.log.Warn("pool size unknown: its count is what was seen", "pool", addr, "block", b.Ref.Number, "err", err)
		return
	}
	p.Unmatched = new(big.Int).Quo(bal, p.Denom).Uint64()
	p.Partial = false
}

// flowOf sums what tx moves into (in) or out of pool, in the asset of the
// first such transfer.
func flowOf(tx *chains.Tx, pool string, in bool) (chains.Asset, *big.Int) {
	var asset chains.Asset
	total := new(big.Int)
	seen := false
	for _, t := range tx.Transfers {
		if t.Kind == chains.Fee || (in && t.To != pool) || (!in && t.From != pool) {
			continue
		}
		if !seen {
			asset, seen = t.Asset, true
		}
		if t.Asset == asset {
			total.Add(total, t.Amount)
		}
	}
	return asset, total
}

// deposit records n deposits into pool made by tx: counted among the
// unmatched (live blocks only: a replay sees a block the live stream
// counted already), and those paid with taint added to their incident's
// group and remembered for the heuristics.
func (r *Recogniser) deposit(ctx context.Context, st tracer.State, b *chains.Block, tx *chains.Tx, pool string, n int, deps []tracer.Deposit) error {
	p, err := r.pool(ctx, st, b, tx, pool, n)
	if err != nil || p == nil {
		return err
	}
	if st.Lane() == "" {
		p.Unmatched += uint64(n)
		addCount(st, gasKey(pool, tx.GasPrice), n)
		addCount(st, depositorKey(pool, tx.From), n)
	}

	// The taint this transaction parked at the pool, or at a router on
	// its way to it, per incident.
	type parked struct{ inc, at string }
	taint := map[parked]*big.Int{}
	var keys []parked
	for _, d := range deps {
		if d.Asset != p.Asset || (d.Service != pool && !r.isTornado(d.Service)) {
			continue
		}
		k := parked{d.Incident, d.Service}
		if taint[k] == nil {
			taint[k] = new(big.Int)
			keys = append(keys, k)
		}
		taint[k].Add(taint[k], d.Tainted)
	}
	if len(keys) == 0 {
		savePool(st, pool, p)
		return nil
	}
	ts, err := r.loadTainted(st, pool)
	if err != nil {
		return err
	}
	for _, k := range keys {
		g := p.group(k.inc, k.at)
		g.Taint.Add(g.Taint, taint[k])
		g.Weight += float64(n)
		// n deposits share the transaction's taint; the last takes the
		// remainder, so nothing is lost to division.
		each, rest := new(big.Int).QuoRem(taint[k], big.NewInt(int64(n)), new(big.Int))
		for i := range n {
			t := new(big.Int).Set(each)
			if i == n-1 {
				t.Add(t, rest)
			}
			ts = append(ts, taintedDeposit{Incident: k.inc, Parked: k.at, Depositor: tx.From,
				GasPrice: gasString(tx.GasPrice), Block: b.Ref.Number, Time: b.Ref.Time.Unix(), Taint: t, Decay: p.Decay})
		}
	}
	track(st, tx.From)
	if pools := loadStrings(st, poolsKey); !slices.Contains(pools, pool) {
		saveStrings(st, poolsKey, append(pools, pool))
	}
	savePool(st, pool, p)
	r.saveTainted(st, pool, ts)
	return nil
}

// withdraw answers a withdrawal from pool with the moves of the taint it
// carries: one to the recipient (with the finding) and one to the relayer
// for its fee, per incident and place the taint is parked.
//
// In a catch-up (a lane) the live pass saw this withdrawal before the
// lane's incident was declared: only that incident's taint and deposits
// are touched, the pool's size is read as of the block (its balance then),
// and only an address match among the incident's own deposits links.
func (r *Recogniser) withdraw(ctx context.Context, st tracer.State, b *chains.Block, tx *chains.Tx, pool string, p *poolState, w withdrawal) []tracer.Move {
	lane := st.Lane()
	payout := sumTo(tx, pool, w.to, p.Asset)
	if payout.Sign() == 0 {
		payout = new(big.Int).Sub(p.Denom, w.fee) // followed without internal transfers
	}
	fee := new(big.Int).Set(w.fee)
	if fee.Sign() > 0 && w.relayer != "" {
		if paid := sumTo(tx, pool, w.relayer, p.Asset); paid.Sign() > 0 {
			fee = paid
		}
	}
	gross := new(big.Int).Add(payout, fee)
	if gross.Sign() <= 0 {
		return nil
	}
	ts, err := r.loadTainted(st, pool)
	if err != nil {
		r.log.Warn("tainted deposits unreadable", "pool", pool, "err", err)
		ts = nil
	}
	before := ts
	n := p.Unmatched
	if lane != "" {
		n = r.unmatchedAt(ctx, b, pool, p)
	}
	// The incidents this pass may move: the lane's alone in a catch-up;
	// on the live pass the live ones (an incident still catching up gets
	// this withdrawal's share in its own lane).
	mine := func(inc string) bool {
		if lane != "" {
			return inc == lane
		}
		return st.Live(inc)
	}
	// A pool seen only partly has at least as many unmatched deposits as
	// any incident expects of its own.
	per := map[string]float64{}
	for _, g := range p.Groups {
		per[g.Incident] += g.Weight
		n = max(n, uint64(math.Ceil(per[g.Incident]-1e-9)))
	}
	var link linked
	if lane == "" {
		relayed := w.fee.Sign() > 0 && w.relayer != zeroAddr && w.relayer != w.to
		link = r.link(st, pool, p, ts, w.to, gasString(tx.GasPrice), relayed, b.Ref.Number, mine)
		if link.deposit < 0 && !link.clean {
			link = r.multiDenomination(st, pool, p, ts, w.to, b.Ref.Time.Unix(), mine)
		} else {
			r.sawWithdrawal(st, pool, w.to, b.Ref.Time.Unix())
		}
	} else {
		link = laneLink(p, ts, lane, w.to, b.Ref.Number)
	}

	var shares []share
	changed := false
	switch {
	case link.deposit >= 0:
		d := ts[link.deposit]
		wd := d.weight(p)
		g := p.group(d.Incident, d.Parked)
		held := scale(d.Taint, wd) // its expected taint still in the pool
		if held.Cmp(g.Taint) > 0 {
			held.Set(g.Taint)
		}
		take := scale(held, link.confidence)
		g.Taint.Sub(g.Taint, take)
		g.Weight = max(0, g.Weight-wd*link.confidence)
		shares = append(shares, share{inc: d.Incident, at: d.Parked, take: take, confidence: link.confidence * wd, heuristics: []string{link.heuristic}})
		if lane == "" {
			r.matched(st, pool, d.Depositor, d.GasPrice)
		}
		ts = slices.Delete(slices.Clone(ts), link.deposit, link.deposit+1)
		changed = true
	case link.clean:
		// Tied to a clean deposit: it carries none of the taint.
	case n > 0:
		shares = baseline(p, n, lane, mine)
		switch {
		case lane != "":
			// The lane's deposits alone grow less likely unmatched.
			ts = slices.Clone(ts)
			for i := range ts {
				if ts[i].Incident == lane {
					ts[i].Decay -= math.Log(float64(n-1) / float64(n))
				}
			}
			changed = true
		case n > 1 && slices.ContainsFunc(ts, func(d taintedDeposit) bool { return !mine(d.Incident) }):
			// The pool's decay moved on; an incident still catching up
			// keeps its deposits' odds for its own lane to lower.
			ts = slices.Clone(ts)
			for i := range ts {
				if !mine(ts[i].Incident) {
					ts[i].Decay += math.Log(float64(n-1) / float64(n))
				}
			}
			changed = true
		case n == 1:
			// The pool is empty: every deposit is matched.
			ts, changed, p.Decay = nil, true, 0
		}
	}
	if lane == "" && p.Unmatched > 0 {
		p.Unmatched--
	}
	// Deposits are kept in the order made, so the oldest — the likeliest
	// withdrawn — come first.
	stale := 0
	for stale < len(ts) && ts[stale].weight(p) < minWeight {
		stale++
	}
	if stale > 0 {
		ts, changed = slices.Clone(ts[stale:]), true
	}
	if changed {
		r.saveTainted(st, pool, ts)
		r.untrack(st, pool, gone(before, ts), ts)
	}
	savePool(st, pool, p)

	provisional := r.history && !historyDone(st, pool)
	var moves []tracer.Move
	for _, s := range shares {
		if s.take.Sign() <= 0 {
			continue
		}
		toRecipient := new(big.Int).Mul(s.take, payout)
		toRecipient.Quo(toRecipient, gross)
		toRelayer := new(big.Int).Sub(s.take, toRecipient)
		if toRecipient.Sign() > 0 {
			moves = append(moves, tracer.Move{Incident: s.inc, Service: s.at, Asset: p.Asset,
				Take: toRecipient, Chain: chains.Ethereum, To: w.to, ToAsset: p.Asset,
				Amount: toRecipient, Gross: payout, Type: tracer.MixerWithdrawal,
				Confidence: clamp(s.confidence), Heuristics: s.heuristics, Provisional: provisional})
		}
		if toRelayer.Sign() > 0 && w.relayer != zeroAddr {
			moves = append(moves, tracer.Move{Incident: s.inc, Service: s.at, Asset: p.Asset,
				Take: toRelayer, Chain: chains.Ethereum, To: w.relayer, ToAsset: p.Asset,
				Amount: toRelayer, Confidence: clamp(s.confidence), Heuristics: s.heuristics})
		}
	}
	return moves
}

// unmatchedAt is the pool's unmatched count before block b, from its
// balance then; when the node cannot say (no state that old), today's
// count, with a warning.
func (r *Recogniser) unmatchedAt(ctx context.Context, b *chains.Block, pool string, p *poolState) uint64 {
	if r.balances == nil || b.Ref.Number == 0 {
		return p.Unmatched
	}
	bal, err := r.balances.BalanceAt(ctx, pool, p.Asset, b.Ref.Number-1)
	if err != nil {
		r.log.Warn("pool size in catch-up unknown: today's count is used", "pool", pool, "block", b.Ref.Number, "err", err)
		return p.Unmatched
	}
	return new(big.Int).Quo(bal, p.Denom).Uint64()
}

// laneLink is the address match among the lane incident's own deposits.
func laneLink(p *poolState, ts []taintedDeposit, lane, to string, block uint64) linked {
	for i := range ts {
		if d := &ts[i]; d.Incident == lane && d.Depositor == to && d.Block <= block && d.weight(p) >= minWeight {
			return linked{deposit: i, confidence: addressMatchConfidence, heuristic: AddressMatch}
		}
	}
	return linked{deposit: -1}
}

// minWeight: a tainted deposit less likely than this to be unmatched is
// forgotten by the heuristics (its taint stays in its group).
const minWeight = 1e-6

const zeroAddr = "0x0000000000000000000000000000000000000000"

// share is the taint a withdrawal carries of one incident, parked at one
// place.
type share struct {
	inc, at    string
	take       *big.Int
	confidence float64
	heuristics []string
}

// baseline spreads a withdrawal over the pool's n unmatched deposits: of
// each incident's taint in the pool it takes 1/n, and the chance that it
// pays out one of an incident's deposits is their expected number ÷ n.
// In a lane only that incident's taint is spread (and the pool's decay,
// which every other deposit shares, is left alone).
func baseline(p *poolState, n uint64, lane string, mine func(string) bool) []share {
	nb := new(big.Int).SetUint64(n)
	conf := map[string]float64{}
	out := make([]share, 0, len(p.Groups))
	keep := float64(n-1) / float64(n)
	for i := range p.Groups {
		g := &p.Groups[i]
		if !mine(g.Incident) {
			continue
		}
		take := new(big.Int).Quo(g.Taint, nb)
		g.Taint.Sub(g.Taint, take)
		conf[g.Incident] += g.Weight / float64(n)
		g.Weight *= keep
		out = append(out, share{inc: g.Incident, at: g.Parked, take: take})
	}
	for i := range out {
		out[i].confidence = conf[out[i].inc]
	}
	if n > 1 && lane == "" {
		p.Decay += math.Log(keep)
	}
	return out
}

// linked is what the heuristics tie a withdrawal to: a tainted deposit
// (its index), a clean one, or nothing (deposit −1, clean false).
type linked struct {
	deposit    int
	clean      bool
	confidence float64
	heuristic  string
}

// link applies the linking heuristics in the paper's order: an earlier
// deposit from the recipient (address match), then — for a withdrawal
// its recipient sent itself — the one earlier deposit of the same gas
// price (unique gas price), then a depositor the recipient dealt with
// (linked address).
func (r *Recogniser) link(st tracer.State, pool string, p *poolState, ts []taintedDeposit, to, gas string, relayed bool, block uint64, mine func(string) bool) linked {
	for i := range ts {
		if d := &ts[i]; mine(d.Incident) && d.Depositor == to && d.Block <= block && d.weight(p) >= minWeight {
			return linked{deposit: i, confidence: addressMatchConfidence, heuristic: AddressMatch}
		}
	}
	if depositorCount(st, pool, to) > 0 {
		r.matched(st, pool, to, "")
		return linked{deposit: -1, clean: true}
	}
	if !relayed && gas != "" && gasCount(st, pool, gas) == 1 {
		for i := range ts {
			if d := &ts[i]; mine(d.Incident) && d.GasPrice == gas && d.weight(p) >= minWeight {
				return linked{deposit: i, confidence: uniqueGasPriceConfidence, heuristic: UniqueGasPrice}
			}
		}
		addCount(st, gasKeyS(pool, gas), -1)
		return linked{deposit: -1, clean: true}
	}
	return linkedAddress(st, p, ts, to, block, mine)
}

// poolsKey lists the pools holding tainted deposits.
const poolsKey = "pools"

// window is the multi-denomination heuristic's 24 hours.
const window = 24 * 60 * 60

// sawWithdrawal remembers a withdrawal to recipient for the
// multi-denomination match and returns the recipient's withdrawals of the
// last 24 hours, this one included.
func (r *Recogniser) sawWithdrawal(st tracer.State, pool, recipient string, now int64) []withdrawalSeen {
	if _, ok := st.Get(poolsKey); !ok {
		return nil // no tainted deposit anywhere: none can be linked to
	}
	key := "w/" + recipient
	seen := slices.DeleteFunc(loadSeen(st, key), func(w withdrawalSeen) bool { return w.Time < now-window })
	seen = append(seen, withdrawalSeen{Pool: pool, Time: now})
	saveSeen(st, key, seen)
	return seen
}

// multiDenomination (Tutela heuristic 4): a recipient that withdrew from
// two pools or more within 24 hours, as many times from each as one
// depositor deposited taint into each within the 24 hours before, is that
// depositor's; this withdrawal is tied to the depositor's oldest deposit
// in this pool.
func (r *Recogniser) multiDenomination(st tracer.State, pool string, p *poolState, ts []taintedDeposit, recipient string, now int64, mine func(string) bool) linked {
	seen := r.sawWithdrawal(st, pool, recipient, now)
	want := map[string]int{}
	first := now
	for _, w := range seen {
		want[w.Pool]++
		first = min(first, w.Time)
	}
	if len(want) < 2 {
		return linked{deposit: -1}
	}
	// Deposit counts per incident, depositor and pool in the 24 hours
	// before the recipient's first withdrawal (per incident: a deposit
	// two incidents tainted is a record of each).
	type who struct{ inc, depositor string }
	have := map[who]map[string]int{}
	for _, other := range loadStrings(st, poolsKey) {
		ots := ts
		if other != pool {
			var err error
			if ots, err = r.loadTainted(st, other); err != nil {
				continue
			}
		}
		for _, d := range ots {
			if d.Time > first || d.Time < first-window {
				continue
			}
			k := who{d.Incident, d.Depositor}
			if have[k] == nil {
				have[k] = map[string]int{}
			}
			have[k][other]++
		}
	}
	// In a fixed order: the tracer is deterministic.
	keys := slices.SortedFunc(maps.Keys(have), func(a, b who) int {
		return strings.Compare(a.inc+"\x00"+a.depositor, b.inc+"\x00"+b.depositor)
	})
	for _, k := range keys {
		if !maps.Equal(have[k], want) {
			continue
		}
		for i := range ts {
			if d := &ts[i]; d.Incident == k.inc && mine(d.Incident) && d.Depositor == k.depositor && d.weight(p) >= minWeight {
				return linked{deposit: i, confidence: multiDenominationConfidence, heuristic: MultiDenomination}
			}
		}
	}
	return linked{deposit: -1}
}

// matched takes a deposit linked to a withdrawal out of the counts the
// heuristics read ("" leaves that count).
func (r *Recogniser) matched(st tracer.State, pool, depositor, gas string) {
	if depositor != "" {
		addCount(st, depositorKey(pool, depositor), -1)
	}
	if gas != "" {
		addCount(st, gasKeyS(pool, gas), -1)
	}
}

// sumTo sums what tx moves from pool to addr in asset.
func sumTo(tx *chains.Tx, pool, addr string, asset chains.Asset) *big.Int {
	total := new(big.Int)
	for _, t := range tx.Transfers {
		if t.Kind != chains.Fee && t.From == pool && t.To == addr && t.Asset == asset {
			total.Add(total, t.Amount)
		}
	}
	return total
}

// scale returns x × f rounded down, for f in [0, 1], in parts per 10⁹.
func scale(x *big.Int, f float64) *big.Int {
	ppb := new(big.Int).SetInt64(int64(clamp(f) * 1e9))
	out := new(big.Int).Mul(x, ppb)
	return out.Quo(out, big.NewInt(1e9))
}

func clamp(f float64) float64 {
	switch {
	case !(f > 0):
		return 1e-9
	case f > 1:
		return 1
	}
	return f
}

func gasString(g *big.Int) string {
	if g == nil {
		return ""
	}
	return g.String()
}

// DepositLog is the Deposit event a pool emits (commitment and leaf
// index zero), for building blocks without a node: replay's CSV, tests.
func DepositLog(pool string) chains.Log {
	return chains.Log{Address: pool, Topics: [][32]byte{DepositTopic, {}}, Data: make([]byte, 64)}
}

// WithdrawalLog is the Withdrawal event a pool emits for a payout to to
// with fee to relayer ("" or the zero address: none).
func WithdrawalLog(pool, to, relayer string, fee *big.Int) chains.Log {
	var rel [32]byte
	if b, err := hex.DecodeString(strings.TrimPrefix(relayer, "0x")); err == nil && len(b) == 20 {
		copy(rel[12:], b)
	}
	data := make([]byte, 96)
	if b, err := hex.DecodeString(strings.TrimPrefix(to, "0x")); err == nil && len(b) == 20 {
		copy(data[12:32], b)
	}
	if fee != nil && fee.Sign() > 0 && fee.BitLen() <= 256 {
		fee.FillBytes(data[64:96])
	}
	return chains.Log{Address: pool, Topics: [][32]byte{WithdrawalTopic, rel}, Data: data}
}
