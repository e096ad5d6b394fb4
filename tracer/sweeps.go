package tracer

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

// Exchanges publish their hot wallets, rarely their deposit addresses, and
// stolen funds land in deposit addresses. The engine learns them from the
// exchange's own sweeps (Victor, FC 2020; docs/taint.md "Exchange deposit
// addresses"): an address that sends its whole balance, short by at most
// the sweep's gas (what the wallet kept back for it), to a trusted
// exchange entry in a transaction of its own is that exchange's deposit
// address. From then on taint that reaches it
// raises taint.exchange_deposit on arrival, hours before the next sweep.

// Learned is a deposit address the engine attributed to an exchange.
type Learned struct {
	Chain   chains.Chain
	Address string
	// Exchange is the trusted entry of the hot wallet it swept to.
	Exchange watchlists.Entry
	Tx       string // the sweep: the evidence
	Block    uint64
	// BlockHash is the sweep's block: undoing it forgets the address.
	BlockHash string
	// Confidence that the address is the exchange's.
	Confidence float64
}

// LearnedSourcePrefix begins the source of a learned entry.
const LearnedSourcePrefix = "learned:"

// Entry is the watchlist entry a learned deposit address becomes: a
// trusted exchange entry of the hot wallet's owner, with the sweep as its
// source and the confidence in its note. The daemon stores it; replay keeps
// it for the run.
func (l Learned) Entry() watchlists.Entry {
	const suffix = " deposit (learned)"
	label := l.Exchange.Label
	for len(label) > watchlists.MaxTextBytes-len(suffix) {
		_, size := utf8.DecodeLastRuneInString(label)
		label = label[:len(label)-size] // whole runes: a cut one is refused
	}
	return watchlists.Entry{
		Chain:   l.Chain,
		Address: l.Address,
		Kind:    watchlists.Exchange,
		Owner:   l.Exchange.Owner,
		Label:   label + suffix,
		Source:  fmt.Sprintf("%s swept all it held to %s in %s (block %d)", LearnedSourcePrefix, l.Exchange.Address, l.Tx, l.Block),
		Note:    fmt.Sprintf("confidence %.2f: an address that forwards all it received to a known hot wallet is that exchange's deposit address (Victor, FC 2020)", l.Confidence),
	}
}

// Learner keeps what the engine learns (the daemon adds a trusted
// exchange entry to its watchlist).
type Learner interface {
	Learn(ctx context.Context, l Learned) error
}

// sweepConfidence: one sweep of a whole balance to a hot wallet. A user
// emptying a wallet straight into a hot wallet looks the same, which is
// rare (deposits go to deposit addresses).
const sweepConfidence = 0.9

// consolidationConfidence: a Bitcoin transaction spending the coins of
// several addresses whole into one hot wallet. The inputs share an owner
// (they sign together), and an exchange gathering its deposit addresses
// is the usual such owner; a user consolidating their own wallet into a
// hot wallet looks the same, a little less rare than one sweep.
const consolidationConfidence = 0.85

// learnSweeps looks at tx (the block's ti-th) for sweeps to exchanges.
// Only on the live pass of the account model, with a Learner and a
// balance reader; one balance read per candidate. A failed read or store
// is logged: learning never stops a block.
func (ap *applier) learnSweeps(ti int, tx *chains.Tx) error {
	if ap.cs.utxo {
		return ap.learnSweepsUTXO(ti, tx)
	}
	e := ap.e
	if e.deps.Learner == nil || e.deps.Balances == nil || tx.Failed || ap.b.Ref.Number == 0 || ap.b.Ref.Hash == "pending" {
		return nil
	}
	var fee *big.Int
	for _, t := range tx.Transfers {
		if t.Kind == chains.Fee {
			fee = t.Amount
		}
	}
	for _, t := range tx.Transfers {
		if t.Kind != chains.Native && t.Kind != chains.Token || t.From != tx.From || t.Amount == nil || t.Amount.Sign() <= 0 {
			continue
		}
		hot := trustedExchange(e.labels(ap.cs.chain, t.To))
		if hot == nil || len(e.labels(ap.cs.chain, t.From)) > 0 {
			continue
		}
		pre, err := ap.preBalance(ti, 0, t.From, t.Asset)
		if err != nil {
			// Learning is a help, never a reason to stop the block.
			e.log.Warn("sweep not checked: balance unread", "tx", tx.Hash, "address", t.From, "err", err)
			continue
		}
		left := new(big.Int).Sub(pre.ToBig(), t.Amount)
		var slack *big.Int
		if t.Asset.Key() == "" && fee != nil {
			// The sweep pays its own gas, and a wallet that sends
			// "everything" keeps back the most the gas may cost (gas limit
			// × max fee), of which it spends only part: up to three times
			// the fee paid is still "everything".
			left.Sub(left, fee)
			slack = new(big.Int).Mul(fee, big.NewInt(3))
		} else {
			slack = new(big.Int).Quo(t.Amount, big.NewInt(1000))
		}
		if left.Sign() < 0 || left.Cmp(slack) > 0 {
			continue // not its whole balance
		}
		l := Learned{Chain: ap.cs.chain, Address: t.From, Exchange: *hot, Tx: tx.Hash, Block: ap.b.Ref.Number, BlockHash: ap.b.Ref.Hash, Confidence: sweepConfidence}
		if err := e.deps.Learner.Learn(ap.ctx, l); err != nil {
			e.log.Warn("exchange deposit address not learned", "tx", tx.Hash, "address", t.From, "err", err)
			continue
		}
		e.log.Info("learned an exchange deposit address", "chain", ap.cs.chain, "address", t.From, "exchange", hot.Label, "owner", hot.Owner, "sweep", tx.Hash)
	}
	return nil
}

// trustedExchange is the trusted exchange entry among es (the first by
// owner name), nil if none.
func trustedExchange(es []watchlists.Entry) *watchlists.Entry {
	var best *watchlists.Entry
	for i := range es {
		// A learned deposit address is not a hot wallet: what is paid
		// into it teaches nothing.
		if es[i].Kind != watchlists.Exchange || !es[i].Trusted() || strings.HasPrefix(es[i].Source, LearnedSourcePrefix) {
			continue
		}
		if best == nil || es[i].Owner < best.Owner {
			best = &es[i]
		}
	}
	return best
}

// learnSweepsUTXO is the rule on the UTXO model: a transaction whose
// outputs pay (nearly) all their value — all but a thousandth — to one
// trusted exchange hot wallet, and nothing back to an input address, spends
// its inputs' coins whole into the exchange, short by the fee alone. Each
// unlabelled input address is that exchange's deposit address: one
// address alone is a sweep; several are the exchange consolidating its
// deposit addresses (the common pattern: many inputs, one output). The
// coins' age is not checked (the follower does not say when a spent coin
// was received), nor other coins the address may still hold.
func (ap *applier) learnSweepsUTXO(ti int, tx *chains.Tx) error {
	e := ap.e
	if e.deps.Learner == nil || len(tx.Inputs) == 0 || tx.Inputs[0].Coinbase || ap.b.Ref.Number == 0 || ap.b.Ref.Hash == "pending" {
		return nil
	}
	if w, ok := e.deps.Labels.(KindWatcher); ok && !w.Watches(ap.cs.chain, watchlists.Exchange) {
		return nil
	}
	var hot *watchlists.Entry
	var total, toHot int64
	for i := range tx.Outputs {
		o := &tx.Outputs[i]
		if o.Value <= 0 {
			continue
		}
		total += o.Value
		a := ap.b.OutputAddress(o)
		if hot == nil {
			hot = trustedExchange(e.labels(ap.cs.chain, a))
		}
		if hot != nil && a == hot.Address {
			toHot += o.Value
		}
	}
	if hot == nil || total-toHot > total/1000 {
		return nil
	}
	addrs := make([]string, len(tx.Inputs))
	missing := false
	for i := range tx.Inputs {
		if addrs[i] = ap.b.InputAddress(&tx.Inputs[i]); addrs[i] == "" {
			missing = true
		}
	}
	if missing {
		_, all, err := ap.inputValues(ti, tx)
		if err != nil {
			e.log.Warn("sweep not checked: inputs unresolved", "tx", tx.Hash, "err", err)
			return nil
		}
		addrs = all
	}
	own := map[string]bool{}
	var cands []string
	for _, a := range addrs {
		if a == "" || own[a] {
			continue
		}
		own[a] = true
		if len(e.labels(ap.cs.chain, a)) == 0 {
			cands = append(cands, a)
		}
	}
	for i := range tx.Outputs {
		if o := &tx.Outputs[i]; o.Value > 0 && own[ap.b.OutputAddress(o)] {
			return nil // change back to an input address: not all of its coins
		}
	}
	conf := sweepConfidence
	if len(own) > 1 {
		conf = consolidationConfidence
	}
	for _, a := range cands {
		l := Learned{Chain: ap.cs.chain, Address: a, Exchange: *hot, Tx: tx.Hash, Block: ap.b.Ref.Number, BlockHash: ap.b.Ref.Hash, Confidence: conf}
		if err := e.deps.Learner.Learn(ap.ctx, l); err != nil {
			e.log.Warn("exchange deposit address not learned", "tx", tx.Hash, "address", a, "err", err)
			continue
		}
		e.log.Info("learned an exchange deposit address", "chain", ap.cs.chain, "address", a, "exchange", hot.Label, "owner", hot.Owner, "sweep", tx.Hash)
	}
	return nil
}
