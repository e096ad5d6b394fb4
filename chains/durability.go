package chains

import "context"

type deferSyncKey struct{}

// DeferSync marks ctx for the writes of one block delivered while the
// follower is behind the node's head: the store may write them without
// waiting for the disk (pebble: NoSync), provided its writes reach the
// disk in the order they were made. The follower makes a synced write
// at the head and at least once a second while behind; that write makes
// every earlier one durable. A crash before it loses only a suffix of the
// writes, a block's checkpoint never without the block's own writes, and
// the follower delivers those blocks again (decision 0019).
func DeferSync(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferSyncKey{}, true)
}

// SyncDeferred reports whether ctx was marked by DeferSync.
func SyncDeferred(ctx context.Context) bool {
	v, _ := ctx.Value(deferSyncKey{}).(bool)
	return v
}
