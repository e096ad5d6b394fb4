package daemon

import (
	"context"
	"log/slog"

	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// registryKeeper keeps the exchange deposit addresses the tracer learns
// in the watchlist (tracer.Learned.Entry): `watch ls` shows them, and
// taint reaching them raises taint.exchange_deposit on arrival. A
// tracer.LearnedBook drives it, so an address is dropped again when its
// sweep's block is undone or it is the oldest beyond tracer.MaxLearned.
type registryKeeper struct {
	r   *watchlists.Registry
	log *slog.Logger
}

func (k registryKeeper) Keep(ctx context.Context, x tracer.Learned) error {
	_, err := k.r.Add(ctx, x.Entry())
	return err
}

// Drop removes the learned entry, and only it: an entry someone added at
// the same address since (same owner and kind, another source) stays.
func (k registryKeeper) Drop(ctx context.Context, x tracer.Learned) error {
	for _, e := range k.r.Lookup(x.Chain, x.Address) {
		if _, ok := tracer.ParseLearned(e); ok && e.Owner == x.Exchange.Owner {
			_, err := k.r.Remove(ctx, x.Chain, x.Address, x.Exchange.Owner, watchlists.Exchange)
			if err != nil {
				k.log.Warn("learned deposit address not forgotten", "chain", x.Chain, "address", x.Address, "err", err)
			} else {
				k.log.Info("forgot a learned exchange deposit address", "chain", x.Chain, "address", x.Address, "sweep", x.Tx)
			}
			return err
		}
	}
	return nil
}

// learnedBook returns the tracer's Learner over the watchlist, holding
// what earlier runs learned.
func learnedBook(ctx context.Context, r *watchlists.Registry, log *slog.Logger) (*tracer.LearnedBook, error) {
	b := tracer.NewLearnedBook(registryKeeper{r: r, log: log}, tracer.MaxLearned)
	stored := false
	var ls []tracer.Learned
	for _, e := range r.List(watchlists.Filter{Kind: watchlists.Exchange, Shipped: &stored}) {
		if l, ok := tracer.ParseLearned(e); ok {
			ls = append(ls, l)
		}
	}
	return b, b.Restore(ctx, ls)
}
