package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/cockroachdb/pebble"
)

var _ alerts.Store = (*Store)(nil)

// Alert keys, below prefixAlert:
//
//	a/s                          → last seq ever assigned (8 bytes, big endian)
//	a/r/<seq>                    → alerts.Record JSON
//	a/f/<finding id>             → seq of the live alert raised for it
//	a/b/<chain>\x00<hash>\x00<seq> → empty: alert seq came from that block
var (
	keyAlertSeq       = append(append([]byte(nil), prefixAlert...), 's')
	prefixAlertRecord = append(append([]byte(nil), prefixAlert...), "r/"...)
	prefixAlertFind   = append(append([]byte(nil), prefixAlert...), "f/"...)
	prefixAlertBlock  = append(append([]byte(nil), prefixAlert...), "b/"...)
)

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func alertRecordKey(seq uint64) []byte {
	return append(append([]byte(nil), prefixAlertRecord...), u64(seq)...)
}

func alertFindingKey(id string) []byte {
	return append(append([]byte(nil), prefixAlertFind...), id...)
}

func alertBlockPrefix(chain chains.Chain, hash string) []byte {
	k := append(append([]byte(nil), prefixAlertBlock...), chain...)
	k = append(k, 0)
	k = append(k, hash...)
	return append(k, 0)
}

func alertBlockKey(b alerts.BlockSeq) []byte {
	return append(alertBlockPrefix(b.Chain, b.Hash), u64(b.Seq)...)
}

// WriteAlerts applies w in one synced batch.
func (s *Store) WriteAlerts(ctx context.Context, w alerts.AlertWrite) error {
	b := s.db.NewBatch()
	defer b.Close()
	if err := addAlerts(b, w); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("write alerts through %d: %w", w.Last, err)
	}
	return nil
}

// addAlerts adds w's changes to b.
func addAlerts(b *pebble.Batch, w alerts.AlertWrite) error {
	for _, r := range w.Records {
		v, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode alert %d: %w", r.Alert.Seq, err)
		}
		if err := b.Set(alertRecordKey(r.Alert.Seq), v, nil); err != nil {
			return err
		}
	}
	if w.Last != 0 {
		if err := b.Set(keyAlertSeq, u64(w.Last), nil); err != nil {
			return err
		}
	}
	for _, f := range w.SetFindings {
		if err := b.Set(alertFindingKey(f.ID), u64(f.Seq), nil); err != nil {
			return err
		}
	}
	for _, id := range w.DelFindings {
		if err := b.Delete(alertFindingKey(id), nil); err != nil {
			return err
		}
	}
	for _, bs := range w.AddBlocks {
		if err := b.Set(alertBlockKey(bs), nil, nil); err != nil {
			return err
		}
	}
	for _, bs := range w.DelBlocks {
		if err := b.Delete(alertBlockKey(bs), nil); err != nil {
			return err
		}
	}
	return nil
}

// AlertsSince returns up to limit records with Seq > since, ascending.
func (s *Store) AlertsSince(ctx context.Context, since uint64, limit int) ([]alerts.Record, error) {
	if since == ^uint64(0) {
		return nil, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: alertRecordKey(since + 1),
		UpperBound: prefixEnd(prefixAlertRecord),
	})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := make([]alerts.Record, 0, min(max(limit, 16), 1024))
	for it.First(); it.Valid() && (limit <= 0 || len(out) < limit); it.Next() {
		var r alerts.Record
		if err := json.Unmarshal(it.Value(), &r); err != nil {
			return out, fmt.Errorf("decode alert %x: %w", it.Key()[len(prefixAlertRecord):], err)
		}
		out = append(out, r)
	}
	return out, it.Error()
}

// LastAlertSeq returns the sequence counter.
func (s *Store) LastAlertSeq(ctx context.Context) (uint64, error) {
	v, ok, err := s.get(keyAlertSeq)
	if err != nil || !ok {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("corrupt alert sequence counter (%d bytes)", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// PruneAlerts deletes the records with Seq ≤ through and the finding and
// block index entries that point at them, in one synced batch.
func (s *Store) PruneAlerts(ctx context.Context, through uint64) (int, error) {
	b := s.db.NewBatch()
	defer b.Close()
	n := 0
	err := s.scan(ctx, prefixAlertRecord, func(key, val []byte) error {
		seq := binary.BigEndian.Uint64(key[len(prefixAlertRecord):])
		if seq > through {
			return errStopScan
		}
		var r alerts.Record
		if err := json.Unmarshal(val, &r); err != nil {
			return fmt.Errorf("decode alert %d: %w", seq, err)
		}
		if id := r.Alert.Finding; id != "" && r.Alert.Type != alerts.TypeRetracted && r.Alert.Type != alerts.TypeConfirmed {
			if v, ok, err := s.get(alertFindingKey(id)); err != nil {
				return err
			} else if ok && bytes.Equal(v, u64(seq)) {
				if err := b.Delete(alertFindingKey(id), nil); err != nil {
					return err
				}
			}
			if r.Alert.Block != nil {
				k := alertBlockKey(alerts.BlockSeq{Chain: chains.Chain(r.Alert.Chain), Hash: r.Alert.Block.Hash, Seq: seq})
				if err := b.Delete(k, nil); err != nil {
					return err
				}
			}
		}
		n++
		return nil
	})
	if err != nil && err != errStopScan {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	if err := b.DeleteRange(prefixAlertRecord, alertRecordKey(through+1), nil); err != nil {
		return 0, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return 0, fmt.Errorf("prune alerts through %d: %w", through, err)
	}
	return n, nil
}

// AlertFinding returns the seq of the live alert raised for finding id.
func (s *Store) AlertFinding(ctx context.Context, id string) (uint64, bool, error) {
	v, ok, err := s.get(alertFindingKey(id))
	if err != nil || !ok {
		return 0, false, err
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("corrupt alert index for finding %s (%d bytes)", id, len(v))
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// BlockAlerts returns the seqs of the pending alerts of a block, ascending.
func (s *Store) BlockAlerts(ctx context.Context, chain chains.Chain, hash string) ([]uint64, error) {
	p := alertBlockPrefix(chain, hash)
	var out []uint64
	err := s.scan(ctx, p, func(key, _ []byte) error {
		if len(key) != len(p)+8 {
			return fmt.Errorf("corrupt block alert key %q", key)
		}
		out = append(out, binary.BigEndian.Uint64(key[len(p):]))
		return nil
	})
	return out, err
}

type stopScan struct{}

func (stopScan) Error() string { return "stop scan" }

var errStopScan error = stopScan{}
