package daemon

import (
	"context"
	"fmt"

	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// registryLearner keeps the exchange deposit addresses the tracer learns
// as trusted exchange entries of the hot wallet's owner, with the sweep as
// their source: `watch ls` shows them, and taint reaching them raises
// taint.exchange_deposit on arrival.
type registryLearner struct{ r *watchlists.Registry }

// LearnedSourcePrefix begins the source of a learned entry.
const LearnedSourcePrefix = "learned:"

func (l registryLearner) Learn(ctx context.Context, x tracer.Learned) error {
	label := x.Exchange.Label
	if len(label) > watchlists.MaxTextBytes-len(" deposit (learned)") {
		label = label[:watchlists.MaxTextBytes-len(" deposit (learned)")]
	}
	_, err := l.r.Add(ctx, watchlists.Entry{
		Chain:   x.Chain,
		Address: x.Address,
		Kind:    watchlists.Exchange,
		Owner:   x.Exchange.Owner,
		Label:   label + " deposit (learned)",
		Source:  fmt.Sprintf("%s swept its whole balance to %s in %s (block %d)", LearnedSourcePrefix, x.Exchange.Address, x.Tx, x.Block),
		Note:    fmt.Sprintf("confidence %.2f: an address that sends its whole balance to a known hot wallet is that exchange's deposit address (Victor, FC 2020)", x.Confidence),
	})
	return err
}
