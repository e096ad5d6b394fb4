package alerts

import "context"

// FollowBuffer is the live buffer of Follow's subscription.
const FollowBuffer = 1024

// Follow hands fn every alert with Seq > after, in seq order, each once:
// first the stored ones, paged with Since, then the live ones, through a
// subscription taken before the first page so that nothing appended
// meanwhile is missed (live alerts at or below the last one handed are
// skipped). When fn falls so far behind that the subscription is dropped,
// Follow subscribes again and pages the store from the last alert handed:
// a slow consumer costs reads, never alerts. Alerts pruned by retention
// before they were read are not handed (see Since).
//
// It returns ctx.Err() when ctx is done, fn's error as it is, or the error
// of a read of the store; the caller resumes with Follow from the last
// seq it handled.
func (l *Log) Follow(ctx context.Context, after uint64, fn func(Alert) error) error {
	return l.FollowBatches(ctx, after, FollowBuffer, 1, func(as []Alert) error { return fn(as[0]) })
}

// FollowBatches is Follow for a consumer that takes alerts in batches
// (one durable write per batch, say): fn gets from 1 to max alerts at a
// time, a page of the store or the live alerts already waiting, in seq
// order. buf is the live subscription's buffer (at least 1); max ≤ 0 or
// above MaxPage means MaxPage. fn must not keep the slice.
func (l *Log) FollowBatches(ctx context.Context, after uint64, buf, max int, fn func([]Alert) error) error {
	if max <= 0 || max > MaxPage {
		max = MaxPage
	}
	for {
		sub := l.Subscribe(buf)
		err := l.followOnce(ctx, sub, &after, max, fn)
		sub.Close()
		if err != nil {
			return err
		}
		// Dropped: subscribe again, then page from after.
	}
}

// followOnce pages the store after *after, then hands sub's alerts until
// sub is dropped (nil) or an error; *after is kept the last alert handed.
func (l *Log) followOnce(ctx context.Context, sub *Subscription, after *uint64, max int, fn func([]Alert) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := l.Since(ctx, *after, max)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		if err := fn(page); err != nil {
			return err
		}
		*after = page[len(page)-1].Seq
	}
	batch := make([]Alert, 0, max)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return ctx.Err()
		case a, ok := <-sub.C:
			if !ok {
				return nil
			}
			if a.Seq > *after {
				batch = append(batch, a)
			}
		}
	more:
		for len(batch) < max {
			select {
			case a, ok := <-sub.C:
				if !ok {
					break more
				}
				if a.Seq > *after {
					batch = append(batch, a)
				}
			default:
				break more
			}
		}
		if len(batch) == 0 {
			continue
		}
		if err := fn(batch); err != nil {
			return err
		}
		*after = batch[len(batch)-1].Seq
	}
}
