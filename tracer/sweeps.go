package tracer

import (
	"context"
	"fmt"
	"math/big"
	"unicode/utf8"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

// Exchanges publish their hot wallets, rarely their deposit addresses, and
// stolen funds land in deposit addresses. The engine learns them from the
// exchange's own sweeps (Victor, FC 2020; TAINT.md "Exchange deposit
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
		Source:  fmt.Sprintf("%s swept its whole balance to %s in %s (block %d)", LearnedSourcePrefix, l.Exchange.Address, l.Tx, l.Block),
		Note:    fmt.Sprintf("confidence %.2f: an address that sends its whole balance to a known hot wallet is that exchange's deposit address (Victor, FC 2020)", l.Confidence),
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

// learnSweeps looks at tx (the block's ti-th) for sweeps to exchanges.
// Only on the live pass of the account model, with a Learner and a
// balance reader; one balance read per candidate. A failed read or store
// is logged: learning never stops a block.
func (ap *applier) learnSweeps(ti int, tx *chains.Tx) error {
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
		l := Learned{Chain: ap.cs.chain, Address: t.From, Exchange: *hot, Tx: tx.Hash, Block: ap.b.Ref.Number, Confidence: sweepConfidence}
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
		if es[i].Kind != watchlists.Exchange || !es[i].Trusted() {
			continue
		}
		if best == nil || es[i].Owner < best.Owner {
			best = &es[i]
		}
	}
	return best
}
