package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Retention bounds the stored log. Zero fields are unbounded.
type Retention struct {
	MaxCount uint64        // keep at most this many most recent alerts
	MaxAge   time.Duration // drop alerts appended longer ago than this
}

// MaxPage is the most alerts Since returns in one call.
const MaxPage = 10000

// Log is the durable, sequenced alert log with live fan-out. It is safe
// for concurrent use.
type Log struct {
	st  Store
	ret Retention
	now func() time.Time

	mu   sync.Mutex // serialises appends: seq order = write order = fan-out order
	last atomic.Uint64

	subMu sync.Mutex
	subs  map[*Subscription]struct{}
}

// OpenLog opens the log kept in st, resuming the sequence after the last
// one stored (or pruned).
func OpenLog(ctx context.Context, st Store, r Retention) (*Log, error) {
	last, err := st.LastAlertSeq(ctx)
	if err != nil {
		return nil, fmt.Errorf("open alert log: %w", err)
	}
	l := &Log{st: st, ret: r, now: time.Now, subs: make(map[*Subscription]struct{})}
	l.last.Store(last)
	return l, nil
}

// Last returns the seq of the last alert appended (0 when none ever was).
func (l *Log) Last() uint64 { return l.last.Load() }

// Append assigns each alert the next seq, stores them durably in one
// batch, then hands them to live subscribers. It returns the alerts with
// their Seq set. Alerts with an unknown type or severity are refused, and
// then nothing is stored.
func (l *Log) Append(ctx context.Context, as []Alert) ([]Alert, error) {
	return l.append(ctx, as, nil)
}

// append is Append with index entries computed from the assigned alerts
// and written in the same batch.
func (l *Log) append(ctx context.Context, as []Alert, index func(assigned []Alert, w *AlertWrite)) ([]Alert, error) {
	if len(as) == 0 {
		return nil, nil
	}
	for i := range as {
		if err := validate(&as[i]); err != nil {
			return nil, fmt.Errorf("append alert %d of %d: %w", i, len(as), err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now().UTC()
	// On a shared store the seqs are the store's: the counter kept here is
	// a cache, and a write whose seqs another process took is made again
	// from the store's counter.
	regressed := false
	for tries := 0; ; tries++ {
		seq := l.last.Load()
		out := make([]Alert, len(as))
		w := AlertWrite{Records: make([]Record, len(as)), Regressed: regressed}
		for i, a := range as {
			seq++
			a.Seq = seq
			// Each tenant once, in order: the hub and the webhooks rely on it.
			a.Audience = slices.Compact(slices.Sorted(slices.Values(a.Audience)))
			out[i] = a
			w.Records[i] = Record{Alert: a, Audience: a.Audience, Appended: now}
		}
		w.Last = seq
		if index != nil {
			index(out, &w)
		}
		err := l.st.WriteAlerts(ctx, w)
		var taken *SeqTakenError
		if errors.As(err, &taken) && tries < maxSeqTries && taken.Last > l.last.Load() {
			// The alerts another process appended reach the subscribers
			// first, in order, before this log's own.
			recs, err := l.st.AlertsSince(ctx, l.last.Load(), 0)
			if err != nil {
				return nil, fmt.Errorf("append alerts: read the alerts another process appended after %d: %w", l.last.Load(), err)
			}
			l.publishRecords(recs)
			l.last.Store(max(l.last.Load(), taken.Last))
			continue
		}
		if errors.As(err, &taken) && !regressed && taken.Last < l.last.Load() {
			// The store went back below seqs this log handed out: a Redis
			// failover lost writes it had acknowledged. Those seqs reached
			// subscribers; they are not used again (docs/decisions/0020).
			slog.Error("alert log: the store's sequence went back (writes lost in a Redis failover); the next seqs follow the last one delivered",
				"store", taken.Last, "delivered", l.last.Load())
			regressed = true
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("append alerts %d..%d: %w", out[0].Seq, seq, err)
		}
		l.last.Store(seq)
		l.publish(out)
		return out, nil
	}
}

// maxSeqTries bounds the writes of one append whose seqs other processes
// keep taking.
const maxSeqTries = 100

// Tail is a shared store's blocking read of the log (store/redis: XREAD
// on the stream).
type Tail interface {
	// WaitAlerts returns up to limit records with Seq > since, ascending,
	// waiting up to wait for the first one; none when none came.
	WaitAlerts(ctx context.Context, since uint64, limit int, wait time.Duration) ([]Record, error)
}

// FollowTail hands the alerts that other processes append to the shared
// store (other replicas on one Redis) to this log's subscribers, in seq
// order after this log's own, and keeps Last current, until ctx is done.
// A read error is retried after a pause (logged through onErr, if set).
// (A consumer of the log uses Follow.)
func (l *Log) FollowTail(ctx context.Context, t Tail, onErr func(error)) {
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		recs, err := t.WaitAlerts(ctx, l.last.Load(), 1000, time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if onErr != nil {
				onErr(err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
			pause = min(2*pause, 5*time.Second)
			continue
		}
		pause = 100 * time.Millisecond
		if len(recs) > 0 {
			l.mu.Lock()
			l.publishRecords(recs)
			l.mu.Unlock()
		}
	}
}

// publishRecords hands the records after Last to the subscribers and
// moves Last to the newest; l.mu is held.
func (l *Log) publishRecords(recs []Record) {
	var as []Alert
	for _, r := range recs {
		if r.Alert.Seq <= l.last.Load() {
			continue
		}
		a := r.Alert
		a.Audience = r.Audience
		as = append(as, a)
		l.last.Store(a.Seq)
	}
	if len(as) > 0 {
		l.publish(as)
	}
}

// Since returns up to limit alerts with Seq > since in ascending order
// (limit ≤ 0 or above MaxPage means MaxPage). An empty result means the
// caller has read to the end. Alerts pruned by retention are gone: the
// first alert returned may then have a Seq well above since+1.
func (l *Log) Since(ctx context.Context, since uint64, limit int) ([]Alert, error) {
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	recs, err := l.st.AlertsSince(ctx, since, limit)
	if err != nil {
		return nil, fmt.Errorf("read alerts after %d: %w", since, err)
	}
	out := make([]Alert, len(recs))
	for i, r := range recs {
		out[i] = r.Alert
		out[i].Audience = r.Audience
	}
	return out, nil
}

// get returns the stored alert seq.
func (l *Log) get(ctx context.Context, seq uint64) (Alert, bool, error) {
	if seq == 0 {
		return Alert{}, false, nil
	}
	as, err := l.Since(ctx, seq-1, 1)
	if err != nil || len(as) == 0 || as[0].Seq != seq {
		return Alert{}, false, err
	}
	return as[0], true, nil
}

func validate(a *Alert) error {
	if !knownTypes[a.Type] {
		return fmt.Errorf("field type: unknown alert type %q", a.Type)
	}
	if _, ok := severityRank[a.Severity]; !ok {
		return fmt.Errorf("field severity: unknown severity %q (want critical, high, medium, low or info)", a.Severity)
	}
	if a.Chain == "" {
		return fmt.Errorf("field chain: empty")
	}
	return nil
}

// Types lists the alert types of docs/interface.md.
var Types = []string{
	TypeExchangeDeposit, TypeMixerDeposit, TypeMixerWithdrawal, TypeBridge, TypeCoinJoin,
	TypeSanctioned, TypeTreasuryOutflow, TypeTreasuryDrain, TypeConfirmed, TypeRetracted,
	TypeIncidentFailed,
}

// Severities lists the severities, most severe first.
var Severities = []string{Critical, High, Medium, Low, Info}

// knownTypes and severityRank are Types and Severities as look-ups.
var (
	knownTypes   = map[string]bool{}
	severityRank = map[string]int{}
)

func init() {
	for _, t := range Types {
		knownTypes[t] = true
	}
	for i, s := range Severities {
		severityRank[s] = i
	}
}

// AtLeast reports whether severity s is at least as severe as min (for
// min_severity filters). Unknown severities are never at least anything.
func AtLeast(s, min string) bool {
	rs, ok1 := severityRank[s]
	rm, ok2 := severityRank[min]
	return ok1 && ok2 && rs <= rm
}

// ValidType reports whether t is an alert type of docs/interface.md.
func ValidType(t string) bool { return knownTypes[t] }

// ValidSeverity reports whether s is a severity of docs/interface.md.
func ValidSeverity(s string) bool { _, ok := severityRank[s]; return ok }
