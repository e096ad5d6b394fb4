package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	goredis "github.com/redis/go-redis/v9"
)

// The alert log is a stream whose entry ids are the seqs (<seq>-0), so
// resuming by since is XRANGE from since+1. Retention trims it with
// XTRIM MINID as alerts.Log's retention decides (by count and age).

// WriteAlerts applies w in one atomic script. Records whose first seq does
// not follow the sequence counter are refused with *alerts.SeqTakenError
// (another process appended first), a record whose seq is not above the
// stream's last id with an error; then nothing is written.
func (s *Store) WriteAlerts(ctx context.Context, w alerts.AlertWrite) error {
	b := newBatch()
	if err := s.addAlerts(b, w); err != nil {
		return err
	}
	if err := s.applyChain(ctx, b); err != nil {
		return fmt.Errorf("write alerts through %d: %w", w.Last, err)
	}
	return nil
}

func (s *Store) addAlerts(b *batch, w alerts.AlertWrite) error {
	if len(w.Records) > 0 {
		// The seqs are the store's: they must follow its counter, which
		// another replica may have moved (alerts.SeqTakenError).
		op := "SQ"
		if w.Regressed {
			op = "SL" // above whatever the counter fell back to
		}
		b.op(op, s.alertSeqKey(), itoa(w.Records[0].Alert.Seq-1))
	}
	for _, r := range w.Records {
		v, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode alert %d: %w", r.Alert.Seq, err)
		}
		b.op("X", s.alertLogKey(), itoa(r.Alert.Seq), v)
	}
	if w.Last != 0 {
		b.op("S", s.alertSeqKey(), itoa(w.Last))
	}
	for _, f := range w.SetFindings {
		b.op("HS", s.alertFindKey(), f.ID, itoa(f.Seq))
	}
	for _, id := range w.DelFindings {
		b.op("HD", s.alertFindKey(), id)
	}
	for _, bs := range w.AddBlocks {
		b.op("ZA", s.alertBlockKey(bs.Chain, bs.Hash), itoa(bs.Seq), itoa(bs.Seq))
	}
	for _, bs := range w.DelBlocks {
		b.op("ZR", s.alertBlockKey(bs.Chain, bs.Hash), itoa(bs.Seq))
	}
	return nil
}

// readPage is how many stream entries one XRANGE reads.
const readPage = 1000

// AlertsSince returns up to limit records with Seq > since, ascending
// (limit ≤ 0: all).
func (s *Store) AlertsSince(ctx context.Context, since uint64, limit int) ([]alerts.Record, error) {
	if since == ^uint64(0) {
		return nil, nil
	}
	out := make([]alerts.Record, 0, min(max(limit, 16), 1024))
	start := itoa(since+1) + "-0"
	for limit <= 0 || len(out) < limit {
		n := int64(readPage)
		if limit > 0 {
			n = int64(min(limit-len(out), readPage))
		}
		msgs, err := s.c.XRangeN(ctx, s.alertLogKey(), start, "+", n).Result()
		if err != nil {
			return out, fmt.Errorf("read alerts from %s: %w", start, err)
		}
		for _, m := range msgs {
			r, err := decodeRecord(m)
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
		if int64(len(msgs)) < n {
			break
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
	return out, nil
}

func entrySeq(id string) (uint64, error) {
	n, _, _ := strings.Cut(id, "-")
	return strconv.ParseUint(n, 10, 64)
}

func decodeRecord(m goredis.XMessage) (alerts.Record, error) {
	var r alerts.Record
	v, ok := m.Values["r"].(string)
	if !ok {
		return r, fmt.Errorf("alert stream entry %s has no record", m.ID)
	}
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return r, fmt.Errorf("decode alert %s: %w", m.ID, err)
	}
	if seq, err := entrySeq(m.ID); err != nil || seq != r.Alert.Seq {
		return r, fmt.Errorf("alert stream entry %s holds alert %d", m.ID, r.Alert.Seq)
	}
	return r, nil
}

// WaitAlerts returns up to limit records with Seq > since, ascending,
// blocking on the stream (XREAD) up to wait for the first one.
func (s *Store) WaitAlerts(ctx context.Context, since uint64, limit int, wait time.Duration) ([]alerts.Record, error) {
	res, err := s.c.XRead(ctx, &goredis.XReadArgs{Streams: []string{s.alertLogKey(), itoa(since) + "-0"}, Count: int64(limit), Block: wait}).Result()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("wait for alerts after %d: %w", since, err)
	}
	var out []alerts.Record
	for _, st := range res {
		for _, m := range st.Messages {
			r, err := decodeRecord(m)
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// LastAlertSeq returns the sequence counter.
func (s *Store) LastAlertSeq(ctx context.Context) (uint64, error) {
	return s.getUint(ctx, s.alertSeqKey(), "alert sequence counter")
}

// PruneAlerts trims the records with Seq ≤ through off the stream and
// deletes the finding and block index entries that point at them, a page
// at a time, each page one atomic script.
func (s *Store) PruneAlerts(ctx context.Context, through uint64) (int, error) {
	n := 0
	for {
		msgs, err := s.c.XRangeN(ctx, s.alertLogKey(), "-", itoa(through)+"-0", readPage).Result()
		if err != nil {
			return n, fmt.Errorf("prune alerts through %d: %w", through, err)
		}
		if len(msgs) == 0 {
			return n, nil
		}
		b := newBatch()
		var last uint64
		for _, m := range msgs {
			r, err := decodeRecord(m)
			if err != nil {
				return n, err
			}
			last = r.Alert.Seq
			seq := itoa(last)
			if id := r.Alert.Finding; id != "" && r.Alert.Type != alerts.TypeRetracted && r.Alert.Type != alerts.TypeConfirmed {
				b.op("HDE", s.alertFindKey(), id, seq)
				if r.Alert.Block != nil {
					b.op("ZR", s.alertBlockKey(chains.Chain(r.Alert.Chain), r.Alert.Block.Hash), seq)
				}
			}
		}
		b.op("XT", s.alertLogKey(), itoa(last+1))
		if err := s.apply(ctx, b); err != nil {
			return n, fmt.Errorf("prune alerts through %d: %w", through, err)
		}
		n += len(msgs)
		if len(msgs) < readPage {
			return n, nil
		}
	}
}

// AlertFinding returns the seq of the live alert raised for finding id.
func (s *Store) AlertFinding(ctx context.Context, id string) (uint64, bool, error) {
	v, err := s.c.HGet(ctx, s.alertFindKey(), id).Result()
	if isNil(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	seq, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("corrupt alert index for finding %s (%q)", id, v)
	}
	return seq, true, nil
}

// BlockAlerts returns the seqs of the pending alerts of a block, ascending.
func (s *Store) BlockAlerts(ctx context.Context, chain chains.Chain, hash string) ([]uint64, error) {
	vs, err := s.c.ZRange(ctx, s.alertBlockKey(chain, hash), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, v := range vs {
		seq, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("corrupt block alert entry %q", v)
		}
		out = append(out, seq)
	}
	return out, nil
}
