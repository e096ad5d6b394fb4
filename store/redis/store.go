package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store"
	goredis "github.com/redis/go-redis/v9"
)

// SchemaVersion is the key layout this build reads and writes.
const SchemaVersion = 1

// DefaultPrefix starts every key. Its hash tag {ch} puts all of them in
// one Cluster slot, so that every multi-key write is one atomic script.
const DefaultPrefix = "{ch}:"

// DefaultLockTTL is how long the process lock outlives a process that
// stopped renewing it.
const DefaultLockTTL = 10 * time.Second

var (
	// ErrInUse is returned by Open when another process holds the lock.
	ErrInUse = errors.New("redis store is in use by another chainhound process")
	// ErrNewerSchema is returned by Open for a store from a newer build.
	ErrNewerSchema = errors.New("redis store was written by a newer chainhound")
	// ErrLockLost is returned by writes after the lock passed to another
	// process (this one stalled longer than the lock's TTL).
	ErrLockLost = errors.New("redis store lock lost to another chainhound process; writes refused")
)

var _ store.Backend = (*Store)(nil)

// Store is the Redis store.
type Store struct {
	c      goredis.UniversalClient
	prefix string
	log    *slog.Logger

	// the process lock (a stop-gap until per-chain leases)
	lockKey   string
	lockToken string // "" when Open took no lock
	lockTTL   time.Duration
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once

	keyMu sync.Mutex // serialises RevokeKey's read-modify-write in this process

	ls *lease // a replica's leases; nil when not a replica

	retryFor time.Duration // how long a write whose outcome is unknown is sent again
	m        *metrics
	waitN    int           // replicas a chain write waits for (WAIT); 0: none
	waitFor  time.Duration // WAIT's timeout

	writes  atomic.Uint64
	replays atomic.Uint64

	probMu   sync.Mutex
	writeErr error // the last write's failure to reach Redis; nil after a write went through
	renewErr error // the last lease renewal's failure to reach Redis
}

// setWriteErr records how the last write ended for Problem.
func (s *Store) setWriteErr(err error) {
	s.probMu.Lock()
	s.writeErr = err
	s.probMu.Unlock()
}

func (s *Store) setRenewErr(err error) {
	s.probMu.Lock()
	s.renewErr = err
	s.probMu.Unlock()
}

// healthPing bounds Problem's PING of Redis.
const healthPing = 500 * time.Millisecond

// Problem says why the store degrades the replica now, "" when nothing
// does: Redis does not answer a PING, the last write could not be
// completed (ErrUnknownOutcome), or the active replica cannot renew its
// leases (a standby's failure to take them is StandbyErr).
func (s *Store) Problem(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, healthPing)
	defer cancel()
	if err := s.c.Ping(ctx).Err(); err != nil {
		return "redis unreachable: " + err.Error()
	}
	s.probMu.Lock()
	werr, rerr := s.writeErr, s.renewErr
	s.probMu.Unlock()
	active := s.ls == nil || s.Active()
	switch {
	case werr != nil && active: // a standby writes no chain state: its last failure is history
		return "redis writes failing: " + werr.Error()
	case rerr != nil && s.Active():
		return "leases not renewable: " + rerr.Error()
	}
	return ""
}

// Writes returns how many writes the store sent, each one round trip
// (attempts sent again count again).
func (s *Store) Writes() uint64 { return s.writes.Load() }

// Replays returns how many writes Redis answered as applied already: an
// earlier attempt of the same write went through but its reply was lost.
func (s *Store) Replays() uint64 { return s.replays.Load() }

// Options are Open's optional parameters.
type Options struct {
	// Prefix of every key; default DefaultPrefix. It must hold a hash tag
	// ("{…}") so that all keys share one Cluster slot.
	Prefix string
	// Lock takes the process lock: a second process that asks for it, or
	// one while a replica holds a chain's lease, is refused with ErrInUse,
	// and this one's writes fail with ErrLockLost once it no longer holds
	// it. The CLI's direct writes lock; serve is a replica instead.
	Lock bool
	// LockTTL is the lock's expiry, renewed every third of it; default
	// DefaultLockTTL.
	LockTTL time.Duration
	// Replica makes the store a replica's (serve on Redis): its writes of
	// chain state (checkpoints, tracer state, blocks, alerts) are refused
	// with ErrLeaseLost unless it holds the leases of Chains (Acquire),
	// and are fenced. Other writes (watchlists, incidents, keys, webhooks)
	// are anyone's.
	Replica string
	Chains  []chains.Chain
	// Lease is a lease's lifetime, renewed every third of it; default
	// DefaultLease.
	Lease time.Duration
	// RetryFor is how long a write whose outcome is unknown (a network
	// error, a timeout, Redis loading or failing over) is sent again
	// before it fails with ErrUnknownOutcome; default the lease (a
	// replica) or DefaultRetryFor.
	RetryFor time.Duration
	// Sentinel, when set, finds the master through Redis Sentinel and
	// follows its failovers; Open's url then gives only the credentials,
	// the database and TLS (it may be "").
	Sentinel *Sentinel
	// WaitReplicas is how many Redis replicas must confirm each write of
	// chain state (WAIT, sent with the write on its connection) before it
	// returns; a write they do not confirm within WaitTimeout fails with
	// ErrUnknownOutcome. 0: no WAIT.
	WaitReplicas int
	WaitTimeout  time.Duration
	// Logger; default slog.Default().
	Logger *slog.Logger
}

// sentinelConnLifetime bounds a connection's life behind Sentinel.
const sentinelConnLifetime = time.Second

// Sentinel names the master Redis Sentinel monitors and the sentinels.
type Sentinel struct {
	Master   string
	Addrs    []string
	Password string // the sentinels' own
}

// DefaultRetryFor is how long a write of a store that is not a replica's
// is sent again while its outcome is unknown.
const DefaultRetryFor = 5 * time.Second

// Open connects to the Redis at url (redis:// or rediss://; a URL with
// addr= parameters is a Cluster, as go-redis reads it), checks the schema
// version (writing it into an empty store) and, with o.Lock, takes the
// process lock.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	c, err := newClient(url, o.Sentinel)
	if err != nil {
		return nil, err
	}
	s, err := OpenClient(ctx, c, o)
	if err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

func newClient(url string, sn *Sentinel) (goredis.UniversalClient, error) {
	if sn != nil {
		// go-redis asks a sentinel for the master at every dial, and hears
		// of a switch on the sentinels' +switch-master channel, which came
		// seconds late in TestRedisSentinelFailoverBinary; meanwhile the
		// pooled connections kept writing to the old master. Connections
		// that live a second find the new master within about a second.
		fo := &goredis.FailoverOptions{MasterName: sn.Master, SentinelAddrs: sn.Addrs, SentinelPassword: sn.Password,
			ConnMaxLifetime: sentinelConnLifetime}
		if url != "" {
			opt, err := goredis.ParseURL(url)
			if err != nil {
				return nil, fmt.Errorf("store.url: %w", err)
			}
			fo.Username, fo.Password, fo.DB, fo.TLSConfig = opt.Username, opt.Password, opt.DB, opt.TLSConfig
		}
		return goredis.NewFailoverClient(fo), nil
	}
	if strings.Contains(url, "addr=") {
		opt, err := goredis.ParseClusterURL(url)
		if err != nil {
			return nil, fmt.Errorf("store.url: %w", err)
		}
		return goredis.NewClusterClient(opt), nil
	}
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("store.url: %w", err)
	}
	return goredis.NewClient(opt), nil
}

// OpenClient is Open on a client the caller made; Close closes it.
func OpenClient(ctx context.Context, c goredis.UniversalClient, o Options) (*Store, error) {
	p := o.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	if i := strings.IndexByte(p, '{'); i < 0 || !strings.Contains(p[i+1:], "}") || strings.Index(p[i+1:], "}") == 0 {
		return nil, fmt.Errorf("redis key prefix %q has no hash tag ({…}): its keys would spread over Cluster slots", p)
	}
	s := &Store{c: c, prefix: p, log: o.Logger, lockTTL: o.LockTTL, stop: make(chan struct{}), m: newMetrics()}
	s.m.hook(c)
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.lockTTL <= 0 {
		s.lockTTL = DefaultLockTTL
	}
	s.lockKey = p + "lock"
	if o.WaitReplicas > 0 {
		if _, ok := c.(*goredis.ClusterClient); ok {
			return nil, errors.New("redis store: wait_replicas is not for a Cluster (WAIT must share the write's connection)")
		}
		s.waitN, s.waitFor = o.WaitReplicas, o.WaitTimeout
		if s.waitFor <= 0 {
			s.waitFor = time.Second
		}
	}
	s.retryFor = o.RetryFor
	if s.retryFor <= 0 {
		s.retryFor = DefaultRetryFor
		if o.Replica != "" {
			s.retryFor = o.Lease
			if s.retryFor <= 0 {
				s.retryFor = DefaultLease
			}
		}
	}
	if o.Replica != "" {
		if len(o.Chains) == 0 {
			return nil, errors.New("redis store: a replica needs the chains it follows")
		}
		s.ls = &lease{replica: o.Replica, chains: o.Chains, ttl: o.Lease}
		if s.ls.ttl <= 0 {
			s.ls.ttl = DefaultLease
		}
	}
	if err := c.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis store: %w", err)
	}
	if err := s.checkSchema(ctx); err != nil {
		return nil, err
	}
	if o.Lock {
		if err := s.lock(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Prefix returns the prefix of the store's keys.
func (s *Store) Prefix() string { return s.prefix }

// Client returns the store's client.
func (s *Store) Client() goredis.UniversalClient { return s.c }

func (s *Store) key(parts ...string) string { return s.prefix + strings.Join(parts, ":") }

func (s *Store) checkSchema(ctx context.Context) error {
	k := s.key("schema")
	if err := s.c.SetNX(ctx, k, SchemaVersion, 0).Err(); err != nil {
		return fmt.Errorf("write schema version: %w", err)
	}
	v, err := s.c.Get(ctx, k).Result()
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	got, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("redis store %s: corrupt schema version %q", s.prefix, v)
	}
	if got > SchemaVersion {
		return fmt.Errorf("redis store %s has schema version %d, this build reads up to %d: %w", s.prefix, got, SchemaVersion, ErrNewerSchema)
	}
	return nil
}

var renewScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return -1`)

var unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)

func (s *Store) lock(ctx context.Context) error {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return err
	}
	host, _ := os.Hostname()
	token := fmt.Sprintf("%s pid %d %s", host, os.Getpid(), hex.EncodeToString(r[:]))
	ok, err := s.c.SetNX(ctx, s.lockKey, token, s.lockTTL).Result()
	if err != nil {
		return fmt.Errorf("take redis store lock %s: %w", s.lockKey, err)
	}
	if !ok {
		holder, _ := s.c.Get(ctx, s.lockKey).Result()
		ttl, _ := s.c.PTTL(ctx, s.lockKey).Result()
		if i := strings.LastIndexByte(holder, ' '); i > 0 {
			holder = holder[:i]
		}
		return fmt.Errorf("%w (lock %s held by %s, expires in %s unless renewed)", ErrInUse, s.lockKey, holder, ttl.Round(time.Millisecond))
	}
	// A replica that holds leases writes behind the back of whoever
	// takes the lock (the CLI's direct writes): refused too.
	for _, c := range []chains.Chain{chains.Ethereum, chains.Bitcoin} {
		if holder, err := s.c.Get(ctx, s.leaseKey(c)).Result(); err == nil {
			unlockScript.Run(ctx, s.c, []string{s.lockKey}, token)
			return fmt.Errorf("%w (replica %s holds %s)", ErrInUse, holder, s.leaseKey(c))
		}
	}
	s.lockToken = token
	s.wg.Add(1)
	go s.renew()
	return nil
}

// renew keeps the lock until Close, logging when it was lost.
func (s *Store) renew() {
	defer s.wg.Done()
	t := time.NewTicker(s.lockTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.lockTTL/3)
		n, err := renewScript.Run(ctx, s.c, []string{s.lockKey}, s.lockToken, s.lockTTL.Milliseconds()).Int64()
		cancel()
		switch {
		case err != nil:
			s.log.Warn("redis store: renew lock", "key", s.lockKey, "err", err)
		case n != 1:
			s.log.Error("redis store: lock lost; writes are refused from now on", "key", s.lockKey)
			return
		}
	}
}

// Close releases the lock and closes the client.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		s.wg.Wait()
		if s.ls != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = s.Release(ctx)
			cancel()
		}
		if s.lockToken != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = errors.Join(err, unlockScript.Run(ctx, s.c, []string{s.lockKey}, s.lockToken).Err())
			cancel()
		}
		err = errors.Join(err, s.c.Close())
	})
	return err
}

// Probe checks, changing nothing, that a replica could open the Redis at
// url: it answers and its schema is one this build reads (or none yet).
// Other replicas running on it are no obstacle.
func Probe(ctx context.Context, url string, o Options) error {
	c, err := newClient(url, o.Sentinel)
	if err != nil {
		return err
	}
	defer c.Close()
	p := o.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis store: %w", err)
	}
	v, err := c.Get(ctx, p+"schema").Result()
	switch {
	case errors.Is(err, goredis.Nil):
	case err != nil:
		return fmt.Errorf("read schema version: %w", err)
	default:
		got, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("redis store %s: corrupt schema version %q", p, v)
		}
		if got > SchemaVersion {
			return fmt.Errorf("redis store %s has schema version %d, this build reads up to %d: %w", p, got, SchemaVersion, ErrNewerSchema)
		}
	}
	return nil
}
