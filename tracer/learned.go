package tracer

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

// MaxLearned bounds the deposit addresses a LearnedBook keeps: beyond it
// the oldest learned is forgotten. Exchanges have millions of deposit
// addresses; the ones that matter are those swept lately, where a thief's
// payment is still to come.
const MaxLearned = 100_000

// Keeper stores what a LearnedBook learns and forgets (the daemon: its
// watchlist).
type Keeper interface {
	Keep(ctx context.Context, l Learned) error
	Drop(ctx context.Context, l Learned) error
}

// LearnedBook is the Learner the engine keeps in step with the chain: it
// remembers the block each deposit address was learned in, and when the
// engine undoes that block (a reorg) it forgets the address, unless a
// sweep in a block still applied taught it too (the engine calls Undo
// after undoing a block, as for a recogniser). It keeps at most max
// addresses, forgetting the oldest learned beyond.
type LearnedBook struct {
	keeper Keeper
	max    int

	mu    sync.Mutex
	byKey map[string]*learnedRec
	queue []*learnedRec // in learning order; forgotten ones are skipped
}

// learnedRec is one learned address and the sweeps that taught it, in the
// order learned.
type learnedRec struct {
	key   string
	gone  bool
	chain chains.Chain
	addr  string
	owner string // the exchange entry's
	tx    string // the first sweep
	proof []sweepAt
}

// sweepAt is the block of a sweep ("" hash: restored, matched by height).
type sweepAt struct {
	block uint64
	hash  string
}

// learned is what the keeper is told to drop.
func (r *learnedRec) learned() Learned {
	return Learned{Chain: r.chain, Address: r.addr, Tx: r.tx,
		Exchange: watchlists.Entry{Chain: r.chain, Kind: watchlists.Exchange, Owner: r.owner}}
}

// NewLearnedBook returns a book storing through keeper that keeps at most
// max addresses (0: MaxLearned).
func NewLearnedBook(keeper Keeper, max int) *LearnedBook {
	if max <= 0 {
		max = MaxLearned
	}
	return &LearnedBook{keeper: keeper, max: max, byKey: map[string]*learnedRec{}}
}

func learnedKey(l Learned) string {
	return string(l.Chain) + "|" + l.Address + "|" + l.Exchange.Owner
}

// Learn implements Learner: it keeps l and remembers its block.
func (b *LearnedBook) Learn(ctx context.Context, l Learned) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.byKey[learnedKey(l)]; r != nil {
		r.proof = append(r.proof, sweepAt{l.Block, l.BlockHash})
		return nil
	}
	if err := b.keeper.Keep(ctx, l); err != nil {
		return err
	}
	b.add(l)
	return b.evict(ctx)
}

func (b *LearnedBook) add(l Learned) {
	r := &learnedRec{key: learnedKey(l), chain: l.Chain, addr: l.Address, owner: l.Exchange.Owner, tx: l.Tx,
		proof: []sweepAt{{l.Block, l.BlockHash}}}
	b.byKey[r.key] = r
	b.queue = append(b.queue, r)
}

// evict forgets the oldest addresses beyond the bound.
func (b *LearnedBook) evict(ctx context.Context) error {
	var err error
	for len(b.byKey) > b.max {
		r := b.queue[0]
		b.queue = b.queue[1:]
		if r.gone {
			continue
		}
		err = b.forget(ctx, r)
	}
	b.compact()
	return err
}

// compact drops forgotten records from the queue once they are most of it.
func (b *LearnedBook) compact() {
	if len(b.queue) > 2*len(b.byKey)+64 {
		b.queue = slices.DeleteFunc(b.queue, func(r *learnedRec) bool { return r.gone })
	}
}

func (b *LearnedBook) forget(ctx context.Context, r *learnedRec) error {
	r.gone = true
	delete(b.byKey, r.key)
	return b.keeper.Drop(ctx, r.learned())
}

// Undo implements Undoer: the addresses learned in block ref of chain
// lose that sweep as evidence, and those left with none are forgotten.
// A sweep remembered across a restart (Restore) has no block hash and is
// matched by height: the block undone at that height is the one applied.
func (b *LearnedBook) Undo(ctx context.Context, chain chains.Chain, ref chains.BlockRef) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.queue {
		if r.gone || r.chain != chain {
			continue
		}
		r.proof = slices.DeleteFunc(r.proof, func(s sweepAt) bool {
			return s.block == ref.Number && (s.hash == "" || s.hash == ref.Hash)
		})
		if len(r.proof) == 0 {
			_ = b.forget(ctx, r) // the keeper logs what it could not drop
		}
	}
	b.compact()
}

// Restore puts back what an earlier run learned (its stored entries,
// ParseLearned), oldest first, without keeping them again; beyond the
// bound the oldest are forgotten.
func (b *LearnedBook) Restore(ctx context.Context, ls []Learned) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	ls = slices.Clone(ls)
	slices.SortStableFunc(ls, func(x, y Learned) int { return cmp.Compare(x.Block, y.Block) })
	for _, l := range ls {
		if r := b.byKey[learnedKey(l)]; r != nil {
			r.proof = append(r.proof, sweepAt{l.Block, l.BlockHash})
			continue
		}
		b.add(l)
	}
	return b.evict(ctx)
}

// Len is how many addresses the book holds.
func (b *LearnedBook) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byKey)
}

var learnedSource = regexp.MustCompile(`^` + regexp.QuoteMeta(LearnedSourcePrefix) + `.* to (\S+) in (\S+) \(block (\d+)\)$`)

// ParseLearned reads back a learned entry (Learned.Entry) from the
// watchlist: its chain, address, owner, sweep and block (not the block's
// hash). ok is false for any other entry.
func ParseLearned(e watchlists.Entry) (l Learned, ok bool) {
	m := learnedSource.FindStringSubmatch(e.Source)
	if m == nil || e.Kind != watchlists.Exchange {
		return Learned{}, false
	}
	n, err := strconv.ParseUint(m[3], 10, 64)
	if err != nil {
		return Learned{}, false
	}
	return Learned{Chain: e.Chain, Address: e.Address, Tx: m[2], Block: n,
		Exchange: watchlists.Entry{Chain: e.Chain, Address: m[1], Kind: watchlists.Exchange, Owner: e.Owner}}, true
}
