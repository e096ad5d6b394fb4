package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chainhound/chainhound/alerts"
	goredis "github.com/redis/go-redis/v9"
)

// Every write goes through applyScript, in one round trip: first it
// checks (the lock, conditions, stream ids), then it writes. A write
// whose check fails changes nothing; Redis runs a script whole, so no
// reader sees half of one and a crash keeps all of it or none (as far as
// Redis's own persistence goes: appendonly with appendfsync always for
// every write to reach the disk before the reply).
//
// ARGV[1] is the number n of guards, then n pairs: the index in KEYS of a
// key and the value it must hold (the process lock and its token; a
// chain's fence and this replica's fencing token), else CHGUARD and the
// key. Then the write's marker: the index in KEYS of the sorted set of
// applied writes, the write's id (random, the same for every attempt of
// one write), the time in ms (its score) and the id of the previous write
// of chain state this replica made in its term ("" for none): a write
// that does not find it is refused with CHLOST (the store lost it: a
// failover to a replica that had not received it). A write whose id the set
// holds was applied already (an attempt whose reply was lost): the script
// answers APPLIED and writes nothing again. Otherwise it adds the id
// with the write and keeps the newest appliedKeep ids. Then come
// operations, each an op name, a key index and the op's arguments:
//
//	S k v        SET            D k          DEL
//	HS k n f v…  HSET of n pairs  HD k n f…  HDEL of n fields
//	HDE k f v    HDEL if the field is v
//	X k seq v    XADD k seq-0 r v (seqs ascending, above the stream's last id)
//	XT k seq     XTRIM k MINID seq-0
//	ZA k n m     ZADD k n m     ZR k m       ZREM
//	HNX k f      check: field f absent (else CHCONFLICT)
//	HEQ k f v    check: field f is v (else CHCONFLICT)
//	XA k t p     XADD k MAXLEN ~ changeLen * t t p p (the change stream)
//	SQ k n       check: the counter k (absent: 0) is n (else CHSEQLAST
//	             and the counter: another process took the seqs)
//	SL k n       check: the counter k is at most n (a counter that went
//	             back in a failover; else CHSEQLAST)
var applyScript = goredis.NewScript(`
local fixed = {S=1, D=0, HDE=2, X=2, XT=1, ZA=2, ZR=1, HNX=1, HEQ=2, SQ=1, SL=1, XA=2}
local function width(op, i)
  if op == 'HS' then return 1 + 2 * tonumber(ARGV[i+2]) end
  if op == 'HD' then return 1 + tonumber(ARGV[i+2]) end
  return fixed[op]
end
local ng = tonumber(ARGV[1])
for g = 1, ng do
  local k = KEYS[tonumber(ARGV[2 * g])]
  if redis.call('GET', k) ~= ARGV[2 * g + 1] then
    return redis.error_reply('CHGUARD ' .. k)
  end
end
local wk, wid = KEYS[tonumber(ARGV[2 + 2 * ng])], ARGV[3 + 2 * ng]
if redis.call('ZSCORE', wk, wid) then
  -- A write of its own, so that a WAIT after it covers the write found.
  redis.call('INCR', wk .. ':n')
  return 'APPLIED'
end
local prev = ARGV[5 + 2 * ng]
if prev ~= '' and not redis.call('ZSCORE', wk, prev) then
  return redis.error_reply('CHLOST ' .. prev)
end
local first = 6 + 2 * ng
local prevX = {}
local i = first
while i <= #ARGV do
  local op, k = ARGV[i], KEYS[tonumber(ARGV[i+1])]
  local w = width(op, i)
  if w == nil then return redis.error_reply('CHOP unknown op ' .. tostring(op)) end
  if op == 'X' then
    local seq = tonumber(ARGV[i+2])
    if prevX[k] and seq <= prevX[k] then
      return redis.error_reply('CHSEQ alert ' .. ARGV[i+2] .. ' is not above alert ' .. prevX[k] .. ' of the same write')
    end
    prevX[k] = seq
  elseif op == 'HNX' then
    if redis.call('HEXISTS', k, ARGV[i+2]) == 1 then
      return redis.error_reply('CHCONFLICT ' .. k .. ' ' .. ARGV[i+2] .. ' exists')
    end
  elseif op == 'HEQ' then
    if redis.call('HGET', k, ARGV[i+2]) ~= ARGV[i+3] then
      return redis.error_reply('CHCONFLICT ' .. k .. ' ' .. ARGV[i+2] .. ' changed')
    end
  elseif op == 'SQ' then
    local cur = redis.call('GET', k) or '0'
    if cur ~= ARGV[i+2] then
      return redis.error_reply('CHSEQLAST ' .. cur)
    end
  elseif op == 'SL' then
    local cur = redis.call('GET', k) or '0'
    if tonumber(cur) > tonumber(ARGV[i+2]) then
      return redis.error_reply('CHSEQLAST ' .. cur)
    end
  end
  i = i + 2 + w
end
-- Stream appends first: the first one of each stream may be refused
-- (its id not above the stream's last), and then nothing is written yet;
-- the others are above it.
local firstX = {}
i = first
while i <= #ARGV do
  local op, k = ARGV[i], KEYS[tonumber(ARGV[i+1])]
  if op == 'X' then
    if not firstX[k] then
      firstX[k] = true
      local r = redis.pcall('XADD', k, ARGV[i+2] .. '-0', 'r', ARGV[i+3])
      if type(r) == 'table' and r.err then
        return redis.error_reply('CHSEQ alert ' .. ARGV[i+2] .. ' is not above the last alert of ' .. k .. ' (' .. r.err .. ')')
      end
    else
      redis.call('XADD', k, ARGV[i+2] .. '-0', 'r', ARGV[i+3])
    end
  end
  i = i + 2 + width(op, i)
end
i = first
while i <= #ARGV do
  local op, k = ARGV[i], KEYS[tonumber(ARGV[i+1])]
  local a, b = ARGV[i+2], ARGV[i+3]
  if op == 'S' then redis.call('SET', k, a)
  elseif op == 'D' then redis.call('DEL', k)
  elseif op == 'HS' then redis.call('HSET', k, unpack(ARGV, i+3, i+2+2*tonumber(a)))
  elseif op == 'HD' then redis.call('HDEL', k, unpack(ARGV, i+3, i+2+tonumber(a)))
  elseif op == 'HDE' then
    if redis.call('HGET', k, a) == b then redis.call('HDEL', k, a) end
  elseif op == 'XT' then redis.call('XTRIM', k, 'MINID', a .. '-0')
  elseif op == 'ZA' then redis.call('ZADD', k, a, b)
  elseif op == 'ZR' then redis.call('ZREM', k, a)
  elseif op == 'XA' then redis.call('XADD', k, 'MAXLEN', '~', '100000', '*', 't', a, 'p', b)
  end
  i = i + 2 + width(op, i)
end
redis.call('ZADD', wk, ARGV[4 + 2 * ng], wid)
redis.call('ZREMRANGEBYRANK', wk, 0, -1 - ` + strconv.Itoa(appliedKeep) + `)
return 'OK'
`)

// appliedKeep is how many ids of applied writes the store keeps: a
// write's attempts come within seconds of each other, far fewer writes
// than this apart.
const appliedKeep = 4096

// errConflict is a failed HNX or HEQ check.
var errConflict = errors.New("conflict")

// batch builds one applyScript call.
type batch struct {
	keys []string
	idx  map[string]int
	args []any
	ops  int

	// the last op when it is HS or HD, to add fields to it
	lastOp  string
	lastKey string
	countAt int // index in args of its count
}

// maxFields bounds the fields of one HS or HD op: Lua's unpack has a
// limit of a few thousand values.
const maxFields = 1000

func newBatch() *batch { return &batch{idx: map[string]int{}} }

func (b *batch) op(name, key string, args ...any) {
	if name == "HS" || name == "HD" {
		if b.lastOp == name && b.lastKey == key && b.args[b.countAt].(int) < maxFields {
			b.args[b.countAt] = b.args[b.countAt].(int) + 1
			b.args = append(b.args, args...)
			return
		}
		args = append([]any{1}, args...)
		b.lastOp, b.lastKey, b.countAt = name, key, len(b.args)+2
	} else {
		b.lastOp = ""
	}
	i, ok := b.idx[key]
	if !ok {
		b.keys = append(b.keys, key)
		i = len(b.keys)
		b.idx[key] = i
	}
	b.args = append(b.args, name, i)
	b.args = append(b.args, args...)
	b.ops++
}

// apply runs b, guarded by the lock when the store holds one.
func (s *Store) apply(ctx context.Context, b *batch) error {
	return s.run(ctx, b, false)
}

// applyChain runs b, a write of chain state: on a replica, fenced by the
// tokens of its leases (ErrLeaseLost when it holds none, or lost them:
// then the term ends).
func (s *Store) applyChain(ctx context.Context, b *batch) error {
	return s.run(ctx, b, true)
}

func (s *Store) run(ctx context.Context, b *batch, chain bool) error {
	if b.ops == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var guards [][2]string
	if s.lockToken != "" {
		guards = append(guards, [2]string{s.lockKey, s.lockToken})
	}
	var term uint64
	if chain && s.ls != nil {
		g, t, err := s.fenceGuards()
		if err != nil {
			return err
		}
		guards, term = append(guards, g...), t
	}
	keys := b.keys
	index := func(k string) int {
		if j, ok := b.idx[k]; ok {
			return j
		}
		for j, have := range keys[len(b.keys):] {
			if have == k {
				return len(b.keys) + j + 1
			}
		}
		keys = append(keys, k)
		return len(keys)
	}
	args := make([]any, 0, 4+2*len(guards)+len(b.args))
	args = append(args, len(guards))
	for _, g := range guards {
		args = append(args, index(g[0]), g[1])
	}
	wid, prev := newWriteID(), ""
	if chain && s.ls != nil {
		prev = s.prevChainWrite(term)
	}
	args = append(args, index(s.appliedKey()), wid, time.Now().UnixMilli(), prev)
	args = append(args, b.args...)
	res, err := s.runScript(ctx, keys, args, chain && s.waitN > 0)
	if err == nil && chain && s.ls != nil {
		s.setPrevChainWrite(term, wid)
	}
	if err == nil || !errors.Is(err, ErrUnknownOutcome) {
		s.setWriteErr(nil) // Redis answered
	} else {
		s.setWriteErr(err)
	}
	if err == nil {
		if res == "APPLIED" {
			s.replays.Add(1)
		}
		return nil
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "CHGUARD "):
		k := strings.TrimPrefix(msg, "CHGUARD ")
		if k == s.lockKey {
			return fmt.Errorf("%w (lock %s not held)", ErrLockLost, k)
		}
		s.lose(term, "a write found "+k+" moved on")
		return fmt.Errorf("%w (%s moved on: another replica took the lease)", ErrLeaseLost, k)
	case strings.HasPrefix(msg, "CHLOST "):
		s.lose(term, "the store lost this replica's last write (a failover to a replica that had not received it)")
		return fmt.Errorf("%w: the store lost this replica's last write of chain state (a Redis failover); the term ends and the next loads the state afresh", ErrLeaseLost)
	case strings.HasPrefix(msg, "CHCONFLICT"):
		return fmt.Errorf("%w: %s", errConflict, strings.TrimPrefix(msg, "CHCONFLICT "))
	case strings.HasPrefix(msg, "CHSEQLAST "):
		last, perr := strconv.ParseUint(strings.TrimPrefix(msg, "CHSEQLAST "), 10, 64)
		if perr != nil {
			return fmt.Errorf("corrupt alert sequence counter: %s", msg)
		}
		return &alerts.SeqTakenError{Last: last}
	case strings.HasPrefix(msg, "CHSEQ "):
		return errors.New(strings.TrimPrefix(msg, "CHSEQ "))
	}
	return err
}

// ErrUnknownOutcome is a write that may or may not have been applied:
// every attempt failed on the way to Redis or back (a network error, a
// timeout, Redis loading or failing over) until the retry budget ran out.
// Nothing that depends on it may be acknowledged; the daemon stands by
// (docs/decisions/0020).
var ErrUnknownOutcome = errors.New("redis write outcome unknown")

// runScript sends one write, and again while its outcome is unknown (the
// same write id: an attempt applied already is answered APPLIED), with a
// backoff from 50 ms doubling to 1 s, for up to the retry budget.
func (s *Store) runScript(ctx context.Context, keys []string, args []any, wait bool) (string, error) {
	deadline := time.Now().Add(s.retryFor)
	pause := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		s.writes.Add(1)
		res, err := s.send(ctx, keys, args, wait)
		if err == nil || !Transient(err) && !errors.Is(err, errNotReplicated) {
			return res, err
		}
		if ctx.Err() != nil || time.Now().Add(pause).After(deadline) {
			return "", fmt.Errorf("%w after %d attempts: %w", ErrUnknownOutcome, attempt, err)
		}
		s.log.Warn("redis store: write outcome unknown; sending it again", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w after %d attempts: %w", ErrUnknownOutcome, attempt, err)
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
}

// errNotReplicated is a write that fewer replicas than WaitReplicas
// confirmed within WaitTimeout: applied on the master, but a failover now
// could lose it. It is sent again (answered APPLIED, then WAIT again).
var errNotReplicated = errors.New("write not confirmed by enough Redis replicas")

// send runs the write once; with wait, followed by WAIT on the same
// connection in the same round trip (a pipeline), so that WAIT covers it.
func (s *Store) send(ctx context.Context, keys []string, args []any, wait bool) (string, error) {
	if !wait {
		return applyScript.Run(ctx, s.c, keys, args...).Text()
	}
	for _, eval := range []bool{false, true} {
		var sc *goredis.Cmd
		var wc *goredis.Cmd
		_, _ = s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			if eval {
				sc = applyScript.Eval(ctx, p, keys, args...)
			} else {
				sc = applyScript.EvalSha(ctx, p, keys, args...)
			}
			wc = p.Do(ctx, "WAIT", s.waitN, s.waitFor.Milliseconds())
			return nil
		})
		if err := sc.Err(); !eval && err != nil && goredis.HasErrorPrefix(err, "NOSCRIPT") {
			continue // the script is sent whole
		}
		res, err := sc.Text()
		if err != nil {
			return "", err
		}
		n, err := wc.Int64()
		if err != nil {
			return "", err
		}
		if int(n) < s.waitN {
			s.log.Warn("redis store: write not confirmed by enough replicas", "confirmed", n, "want", s.waitN, "within", s.waitFor)
			return "", fmt.Errorf("%w (%d of %d within %s)", errNotReplicated, n, s.waitN, s.waitFor)
		}
		return res, nil
	}
	panic("unreachable")
}

// Transient reports whether err leaves a command's outcome unknown and
// worth sending again: a network error or timeout, or a reply saying that
// Redis cannot serve it now (LOADING, TRYAGAIN, CLUSTERDOWN, MASTERDOWN,
// READONLY after a failover, NOREPLICAS, BUSY).
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true // never connected (go-redis may wrap it in the dial's deadline)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, goredis.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	msg := err.Error()
	for _, p := range []string{"LOADING ", "TRYAGAIN ", "CLUSTERDOWN ", "MASTERDOWN ", "READONLY ", "NOREPLICAS ", "BUSY ", "ASK ", "MOVED "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return strings.Contains(msg, "connection reset") || strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection refused") || strings.Contains(msg, "use of closed network connection")
}

func newWriteID() string {
	var r [12]byte
	rand.Read(r[:])
	return hex.EncodeToString(r[:])
}

// appliedKey is the sorted set of the ids of the last appliedKeep writes.
func (s *Store) appliedKey() string { return s.key("applied") }

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
