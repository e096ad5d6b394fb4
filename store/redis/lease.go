package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chainhound/chainhound/chains"
	goredis "github.com/redis/go-redis/v9"
)

// Leases. A replica (a serve process, Options.Replica) follows a chain
// only while it holds the chain's lease: lease:<chain> holds its replica
// id and expires unless renewed (every third of Options.Lease). Taking a
// lease increments fence:<chain>, the fencing token; every write of chain
// state (checkpoints, tracer state, a block, alerts) checks in its script
// that the fences still hold the tokens this replica got, so that a
// replica that stalled past its lease and lost it can never write again.
//
// The tracer's state spans the chains (cross-chain joins, one order across
// chains: docs/decisions/0011), so a replica takes the leases of all its
// chains at once or none (one script), and holds or loses them together.

// DefaultLease is a lease's lifetime when Options.Lease is zero.
const DefaultLease = 10 * time.Second

// ErrLeaseLost is returned by writes of chain state from a replica that
// does not hold its chains' leases (a standby, or one that lost them).
var ErrLeaseLost = errors.New("this replica does not hold the chains' leases; chain state writes refused")

func (s *Store) leaseKey(c chains.Chain) string { return s.key("lease", string(c)) }
func (s *Store) fenceKey(c chains.Chain) string { return s.key("fence", string(c)) }

// lease is a replica's view of its leases.
type lease struct {
	replica string
	chains  []chains.Chain
	ttl     time.Duration

	mu      sync.Mutex
	fences  []uint64      // one per chain while active; nil on standby
	term    uint64        // counts the terms taken
	lost    chan struct{} // closed when the current term ends
	stop    chan struct{} // ends the renewal of the current term
	paused  bool          // tests: renewal skipped, as a stalled process would
	prevWID string        // the id of the term's last write of chain state
	tryErr  error         // the last Acquire's failure to reach Redis
	renewWG sync.WaitGroup
}

// NewReplicaID returns an id for this process: host, pid and a random part.
func NewReplicaID() string {
	var r [4]byte
	rand.Read(r[:])
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(r[:]))
}

// acquireScript takes every lease of KEYS (lease, fence pairs) for
// ARGV[1] with expiry ARGV[2] ms, or none when one is held by another
// replica (CHHELD and its holder). It returns the new fencing tokens.
var acquireScript = goredis.NewScript(`
for i = 1, #KEYS, 2 do
  local h = redis.call('GET', KEYS[i])
  if h and h ~= ARGV[1] then
    return redis.error_reply('CHHELD ' .. KEYS[i] .. ' ' .. h)
  end
end
local out = {}
for i = 1, #KEYS, 2 do
  redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
  out[#out + 1] = redis.call('INCR', KEYS[i + 1])
end
return out`)

// renewScript extends the leases while the fences hold this replica's
// tokens (ARGV[3…]); a lease that expired while no other replica took it
// is taken again. 0: lost.
var renewLeaseScript = goredis.NewScript(`
for i = 1, #KEYS, 2 do
  local h = redis.call('GET', KEYS[i])
  if (h and h ~= ARGV[1]) or redis.call('GET', KEYS[i + 1]) ~= ARGV[3 + (i - 1) / 2] then
    return 0
  end
end
for i = 1, #KEYS, 2 do
  redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
end
return 1`)

// releaseScript deletes the leases this replica still holds.
var releaseScript = goredis.NewScript(`
for i = 1, #KEYS, 2 do
  if redis.call('GET', KEYS[i]) == ARGV[1] and redis.call('GET', KEYS[i + 1]) == ARGV[2 + (i - 1) / 2] then
    redis.call('DEL', KEYS[i])
  end
end
return 1`)

func (s *Store) leaseKeys() []string {
	var ks []string
	for _, c := range s.ls.chains {
		ks = append(ks, s.leaseKey(c), s.fenceKey(c))
	}
	return ks
}

// Replica returns the store's replica id ("" when it is not a replica).
func (s *Store) Replica() string {
	if s == nil || s.ls == nil {
		return ""
	}
	return s.ls.replica
}

// Acquire takes the leases of the replica's chains when no other replica
// holds one of them, reporting whether it did (and the holder when not).
// Held, they are renewed until Release, Close or their loss, which closes
// the channel Lost returns.
func (s *Store) Acquire(ctx context.Context) (ok bool, holder string, err error) {
	l := s.ls
	if l == nil {
		return false, "", errors.New("redis store opened without a replica id: no leases")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fences != nil {
		return true, l.replica, nil
	}
	res, err := acquireScript.Run(ctx, s.c, s.leaseKeys(), l.replica, l.ttl.Milliseconds()).Int64Slice()
	l.tryErr = nil
	if err != nil {
		if msg := err.Error(); strings.HasPrefix(msg, "CHHELD ") {
			_, h, _ := strings.Cut(strings.TrimPrefix(msg, "CHHELD "), " ")
			return false, h, nil
		}
		l.tryErr = fmt.Errorf("take leases: %w", err)
		return false, "", l.tryErr
	}
	s.setWriteErr(nil) // a new term: the last one's failure is history
	s.setRenewErr(nil)
	l.prevWID = "" // the new term starts from what the store holds
	l.fences = make([]uint64, len(res))
	for i, v := range res {
		l.fences[i] = uint64(v)
	}
	l.lost = make(chan struct{})
	l.stop = make(chan struct{})
	l.term++
	l.renewWG.Add(1)
	go s.renewLeases(l.stop, l.term, l.fences)
	s.log.Info("leases taken: this replica is active", "replica", l.replica, "chains", l.chains, "fences", l.fences)
	return true, l.replica, nil
}

// Active reports whether the replica holds its leases (as far as it knows).
func (s *Store) Active() bool {
	if s.ls == nil {
		return false
	}
	s.ls.mu.Lock()
	defer s.ls.mu.Unlock()
	return s.ls.fences != nil
}

// Lost returns a channel closed when the current term ends (the leases
// lost or released); nil on standby.
func (s *Store) Lost() <-chan struct{} {
	s.ls.mu.Lock()
	defer s.ls.mu.Unlock()
	if s.ls.fences == nil {
		return nil
	}
	return s.ls.lost
}

// endTerm forgets the fences (locked by the caller) and stops renewing.
func (l *lease) endTerm() {
	if l.fences == nil {
		return
	}
	l.fences = nil
	close(l.stop)
	close(l.lost)
}

// lose ends term when it is still the current one.
func (s *Store) lose(term uint64, why string) {
	l := s.ls
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fences == nil || l.term != term {
		return
	}
	s.log.Error("leases lost: this replica stands by", "replica", l.replica, "why", why)
	l.endTerm()
}

// Release gives the leases up (another replica may take them at once).
func (s *Store) Release(ctx context.Context) error {
	l := s.ls
	if l == nil {
		return nil
	}
	l.mu.Lock()
	fences := l.fences
	l.endTerm()
	l.mu.Unlock()
	l.renewWG.Wait()
	if fences == nil {
		return nil
	}
	args := []any{l.replica}
	for _, f := range fences {
		args = append(args, f)
	}
	if err := releaseScript.Run(ctx, s.c, s.leaseKeys(), args...).Err(); err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	return nil
}

// renewLeases renews the term's leases every third of their lifetime
// until stop, ending the term when they are lost.
func (s *Store) renewLeases(stop chan struct{}, term uint64, fences []uint64) {
	l := s.ls
	defer l.renewWG.Done()
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	args := []any{l.replica, l.ttl.Milliseconds()}
	for _, f := range fences {
		args = append(args, f)
	}
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		paused := l.paused
		l.mu.Unlock()
		if paused {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
		n, err := renewLeaseScript.Run(ctx, s.c, s.leaseKeys(), args...).Int64()
		cancel()
		s.setRenewErr(err)
		switch {
		case err != nil:
			s.log.Warn("redis store: renew leases", "replica", l.replica, "err", err)
		case n != 1:
			s.lose(term, "another replica took the leases")
			return
		}
	}
}

// prevChainWrite returns the id of term's last write of chain state.
func (s *Store) prevChainWrite(term uint64) string {
	s.ls.mu.Lock()
	defer s.ls.mu.Unlock()
	if s.ls.term != term {
		return ""
	}
	return s.ls.prevWID
}

func (s *Store) setPrevChainWrite(term uint64, wid string) {
	s.ls.mu.Lock()
	defer s.ls.mu.Unlock()
	if s.ls.term == term {
		s.ls.prevWID = wid
	}
}

// StandbyErr returns why a standby could not take over now: its last try
// to take the leases did not reach Redis (nil: it could).
func (s *Store) StandbyErr() error {
	s.ls.mu.Lock()
	defer s.ls.mu.Unlock()
	return s.ls.tryErr
}

// Roles returns each chain's role for /healthz: active or standby.
func (s *Store) Roles() map[chains.Chain]string {
	out := map[chains.Chain]string{}
	if s.ls == nil {
		return out
	}
	role := "standby"
	if s.Active() {
		role = "active"
	}
	for _, c := range s.ls.chains {
		out[c] = role
	}
	return out
}

// fenceGuards returns the guard pairs of a write of chain state: each
// fence and the token this replica holds. Not active: ErrLeaseLost.
func (s *Store) fenceGuards() ([][2]string, uint64, error) {
	l := s.ls
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fences == nil {
		return nil, 0, ErrLeaseLost
	}
	g := make([][2]string, len(l.chains))
	for i, c := range l.chains {
		g[i] = [2]string{s.fenceKey(c), strconv.FormatUint(l.fences[i], 10)}
	}
	return g, l.term, nil
}
