package daemon

import (
	"context"

	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// registryLearner keeps the exchange deposit addresses the tracer learns
// in the watchlist (tracer.Learned.Entry): `watch ls` shows them, and
// taint reaching them raises taint.exchange_deposit on arrival.
type registryLearner struct{ r *watchlists.Registry }

func (l registryLearner) Learn(ctx context.Context, x tracer.Learned) error {
	_, err := l.r.Add(ctx, x.Entry())
	return err
}
