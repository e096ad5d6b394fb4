package tornado

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
)

// A pool's history. The live pass counts every deposit into a pool from
// the block it first sees the pool; the heuristics also need the deposits
// made before (a withdrawal's gas price is unique among all earlier
// deposits, its recipient may be an earlier clean depositor). A Bootstrap
// reads them from the pool's own Deposit logs (eth_getLogs, which a full
// node serves for its whole history) and each deposit's sender and gas
// price, in the background, a stretch of blocks at a time, resumable: the
// counts and the next block to read are written together. Until a pool's
// history is loaded, its withdrawals' findings are provisional.
//
// The history ends at the block before the live pass first saw the pool
// (hs/<pool>, written in that block, so undone with it); the loaded counts
// (hg/, ha/) and the progress (hd/) are written outside blocks: final
// history, which no reorg touches.

func histGasKey(pool, gas string) string             { return "hg/" + pool + "/" + gas }
func histDepositorKey(pool, depositor string) string { return "ha/" + pool + "/" + depositor }
func historyEndKey(pool string) string               { return "hs/" + pool }
func historyDoneKey(pool string) string              { return "hd/" + pool }

// markHistory records, the first time the live pass sees pool, that its
// history ends at the block before b, and wakes the Bootstrap.
func (r *Recogniser) markHistory(st tracer.State, b *chains.Block, pool string) {
	if _, ok := st.Get(historyEndKey(pool)); ok || b.Ref.Number == 0 {
		return
	}
	st.Put(historyEndKey(pool), binary.AppendUvarint(nil, b.Ref.Number-1))
	if r.wake != nil {
		select {
		case r.wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// progress is how far a pool's history is loaded.
type progress struct {
	Next uint64 // the next block to read
	Done bool
}

func (p progress) encode() []byte {
	v := binary.AppendUvarint(nil, p.Next)
	if p.Done {
		v = append(v, 1)
	} else {
		v = append(v, 0)
	}
	return v
}

func decodeProgress(v []byte) (progress, error) {
	n, k := binary.Uvarint(v)
	if k <= 0 || len(v) != k+1 {
		return progress{}, errors.New("history progress malformed")
	}
	return progress{Next: n, Done: v[k] == 1}, nil
}

// historyDone reports whether pool's history is loaded.
func historyDone(st tracer.State, pool string) bool {
	v, ok := st.Get(historyDoneKey(pool))
	if !ok {
		return false
	}
	p, err := decodeProgress(v)
	return err == nil && p.Done
}

// HistorySource reads a pool's past: its logs and a transaction's sender
// and gas price. The Ethereum follower implements it.
type HistorySource interface {
	Logs(ctx context.Context, address string, topic [32]byte, from, to uint64) ([]chains.TxLog, error)
	TxSender(ctx context.Context, tx string) (string, *big.Int, error)
}

// StateAccess is the engine's recogniser state outside blocks
// (tracer.Engine implements it).
type StateAccess interface {
	RecogniserState(chain chains.Chain, name, key string) ([]byte, bool)
	RecogniserKeys(chain chains.Chain, name, prefix string) []string
	PutRecogniserState(ctx context.Context, chain chains.Chain, name string, values map[string][]byte) error
}

// Bootstrap loads the history of every pool the live pass has seen.
type Bootstrap struct {
	Source HistorySource
	State  StateAccess
	Log    *slog.Logger
	// Step is the blocks one log query spans at most (default 10,000;
	// halved while the node refuses a query as too large).
	Step uint64
	// Wake, if set, says a pool was seen for the first time (the
	// recogniser's NotifyHistory): the Bootstrap looks at once.
	Wake <-chan struct{}
	// Every is how often it looks for pools to load besides (default 5 s;
	// a minute with Wake). A look reads every key of the recogniser's
	// state.
	Every time.Duration
	// Loaded, if set, is told each time a pool's history is complete.
	Loaded func(pool string, deposits int)

	pending atomic.Int64 // pools left after the last look
}

// PendingCount is how many pools seen had their history still to load at
// the last look (for a gauge: it reads no state).
func (b *Bootstrap) PendingCount() int { return int(b.pending.Load()) }

// Run loads histories until ctx ends. A node error is logged and the pool
// tried again at the next look.
func (b *Bootstrap) Run(ctx context.Context) error {
	every := b.Every
	if every <= 0 {
		every = 5 * time.Second
		if b.Wake != nil {
			every = time.Minute
		}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		pools := b.Pending()
		b.pending.Store(int64(len(pools)))
		for _, pool := range pools {
			if err := b.Load(ctx, pool); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				b.logger().Warn("tornado pool history: will try again", "pool", pool, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-b.Wake:
		}
	}
}

func (b *Bootstrap) logger() *slog.Logger {
	if b.Log == nil {
		return slog.Default()
	}
	return b.Log
}

// Pending lists the pools seen whose history is not loaded yet.
func (b *Bootstrap) Pending() []string {
	var out []string
	for _, k := range b.State.RecogniserKeys(chains.Ethereum, Protocol, "hs/") {
		pool := strings.TrimPrefix(k, "hs/")
		if v, ok := b.State.RecogniserState(chains.Ethereum, Protocol, historyDoneKey(pool)); ok {
			if p, err := decodeProgress(v); err == nil && p.Done {
				continue
			}
		}
		out = append(out, pool)
	}
	return out
}

// Load reads pool's history from where it stopped to its end.
func (b *Bootstrap) Load(ctx context.Context, pool string) error {
	get := func(k string) ([]byte, bool) { return b.State.RecogniserState(chains.Ethereum, Protocol, k) }
	ev, ok := get(historyEndKey(pool))
	if !ok {
		return nil // the block that saw it was undone
	}
	end, k := binary.Uvarint(ev)
	if k <= 0 {
		return fmt.Errorf("pool %s: history end malformed", pool)
	}
	var at progress
	if v, ok := get(historyDoneKey(pool)); ok {
		var err error
		if at, err = decodeProgress(v); err != nil {
			return fmt.Errorf("pool %s: %w", pool, err)
		}
	}
	step := b.Step
	if step == 0 {
		step = 10_000
	}
	total := 0
	for at.Next <= end && !at.Done {
		to := min(end, at.Next+step-1)
		logs, err := b.Source.Logs(ctx, pool, DepositTopic, at.Next, to)
		if err != nil {
			if step > 1 && tooMany(err) {
				step /= 2
				continue
			}
			return fmt.Errorf("pool %s: deposits in blocks %d..%d: %w", pool, at.Next, to, err)
		}
		values := map[string][]byte{}
		add := func(key string) {
			n := 0
			if v, ok := values[key]; ok {
				n, _ = strconv.Atoi(string(v))
			} else if v, ok := get(key); ok {
				n, _ = strconv.Atoi(string(v))
			}
			values[key] = strconv.AppendInt(nil, int64(n+1), 10)
		}
		for _, l := range logs {
			from, gas, err := b.Source.TxSender(ctx, l.Tx)
			if err != nil {
				return fmt.Errorf("pool %s: deposit %s: %w", pool, l.Tx, err)
			}
			add(histGasKey(pool, gas.String()))
			add(histDepositorKey(pool, strings.ToLower(from)))
		}
		total += len(logs)
		at.Next = to + 1
		at.Done = at.Next > end
		values[historyDoneKey(pool)] = at.encode()
		if err := b.State.PutRecogniserState(ctx, chains.Ethereum, Protocol, values); err != nil {
			return fmt.Errorf("pool %s: %w", pool, err)
		}
	}
	if at.Done {
		b.logger().Info("tornado pool history loaded", "pool", pool, "through_block", end, "deposits", total)
		if b.pending.Load() > 0 { // one fewer left (Run counted it)
			b.pending.Add(-1)
		}
		if b.Loaded != nil {
			b.Loaded(pool, total)
		}
	}
	return nil
}

// tooMany reports whether a node refused a log query as too large (geth:
// "query returned more than 10000 results"; providers word it otherwise).
func tooMany(err error) bool {
	s := strings.ToLower(err.Error())
	for _, w := range []string{"more than", "too many", "limit exceeded", "range too large", "block range"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
