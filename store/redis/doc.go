// Package redis is chainhound's shared store: every store interface the
// domain packages declare, kept in one Redis (standalone or Cluster) on
// github.com/redis/go-redis/v9, so that replicas can share it.
//
// Every key starts with one prefix holding a hash tag (DefaultPrefix,
// "{ch}:"), so that all keys share one Cluster slot and every multi-key
// write is one atomic Lua script, one round trip (apply.go). The alert
// log is a Redis Stream whose entry ids are the alerts' seqs ("<seq>-0").
// A schema version key is checked at Open like pebble's. A replica
// (serve) writes chain state only while it holds its chains' leases, and
// every such write checks their fencing tokens (lease.go); alert seqs
// follow the counter in Redis (alerts.SeqTakenError), and writes of
// entries and incidents feed a change stream the other replicas follow
// (changes.go). The CLI's direct writes take a lock key instead. See
// docs/decisions 0013 and 0016.
package redis
