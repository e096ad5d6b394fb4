// Package redis is chainhound's shared store: every store interface the
// domain packages declare, kept in one Redis (standalone or Cluster) on
// github.com/redis/go-redis/v9, so that replicas can share it.
//
// Every key starts with one prefix holding a hash tag (DefaultPrefix,
// "{ch}:"), so that all keys share one Cluster slot and every multi-key
// write is one atomic Lua script, one round trip (apply.go). The alert
// log is a Redis Stream whose entry ids are the alerts' seqs ("<seq>-0").
// A schema version key is checked at Open like pebble's; serve takes a
// lock key with an expiry that keeps a second process out (a stop-gap
// until per-chain leases), and every write it makes checks that it still
// holds it. See docs/decisions for the key layout.
package redis
