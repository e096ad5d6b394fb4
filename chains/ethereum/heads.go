package ethereum

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/event"
)

// resubscribeMax caps the backoff between resubscription attempts.
const resubscribeMax = 30 * time.Second

// watchHeads pokes wake whenever the head may have moved: on each newHeads
// notification over ws, and every PollInterval while there is no
// subscription (http, or a ws subscription that dropped). It never
// carries the head itself: sync asks the node, so a missed notification
// costs nothing.
func (f *Follower) watchHeads(ctx context.Context, n *node, wake chan<- struct{}) {
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var subscribed atomic.Bool
	heads := make(chan json.RawMessage, 64)
	if f.cfg.ws {
		sub := event.ResubscribeErr(resubscribeMax, func(sctx context.Context, lastErr error) (event.Subscription, error) {
			if lastErr != nil {
				if subscribed.Swap(false) {
					f.log.Warn("newHeads subscription dropped; polling until it is back", "err", lastErr)
					f.setConnected(false)
				}
				poke()
			}
			s, err := n.rpc.EthSubscribe(sctx, heads, "newHeads")
			if err != nil {
				f.log.Debug("subscribe newHeads failed", "err", err)
				return nil, err
			}
			subscribed.Store(true)
			f.log.Info("subscribed to newHeads")
			poke()
			return s, nil
		})
		defer sub.Unsubscribe()
	}
	t := time.NewTicker(f.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-heads:
			poke()
		case <-t.C:
			if !subscribed.Load() {
				poke()
			}
		}
	}
}
