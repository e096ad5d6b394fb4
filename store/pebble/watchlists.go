package pebble

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/cockroachdb/pebble"
)

var _ watchlists.Store = (*Store)(nil)

// Watchlist keys: w/<chain> 0 <address> 0 <owner> 0 <kind>. The value is a
// compact record (version byte, then length-prefixed label, source, note
// and, from version 2, protocol; the added time in unix nanoseconds and,
// from version 2, a flags byte),
// so a million entries load in about a second.
func entryKey(k watchlists.EntryKey) []byte {
	b := make([]byte, 0, len(prefixWatchlist)+len(k.Chain)+len(k.Address)+len(k.Owner)+len(k.Kind)+3)
	b = append(b, prefixWatchlist...)
	b = append(b, k.Chain...)
	b = append(b, 0)
	b = append(b, k.Address...)
	b = append(b, 0)
	b = append(b, k.Owner...)
	b = append(b, 0)
	return append(b, k.Kind...)
}

// Entry record versions. Version 1 had no flags: its entries made through
// the API ("api:" sources) load as untrusted, since the role of the key
// that made them is not recorded (an admin re-adds what it vouches for);
// every other version-1 entry was made on the data directory by the
// operator and stays trusted.
const (
	entryRecordV1 = 1
	entryRecordV2 = 2
)

// Flags of a version-2 record.
const flagUntrusted = 1 << 0

func encodeEntry(e watchlists.Entry) []byte {
	b := make([]byte, 0, 2+len(e.Label)+len(e.Source)+len(e.Note)+len(e.Protocol)+4*binary.MaxVarintLen32+binary.MaxVarintLen64)
	b = append(b, entryRecordV2)
	for _, s := range []string{e.Label, e.Source, e.Note, e.Protocol} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	var nanos int64
	if !e.Added.IsZero() {
		nanos = e.Added.UnixNano()
	}
	b = binary.AppendVarint(b, nanos)
	var flags byte
	if e.Untrusted {
		flags |= flagUntrusted
	}
	return append(b, flags)
}

// reuse returns prev when b spells it (no allocation), else string(b).
func reuse(prev string, b []byte) string {
	if string(b) == prev {
		return prev
	}
	return string(b)
}

func decodeEntry(key, val []byte, e *watchlists.Entry) error {
	rest := key[len(prefixWatchlist):]
	var parts [4][]byte
	for i := 0; i < 3; i++ {
		j := bytes.IndexByte(rest, 0)
		if j < 0 {
			return fmt.Errorf("watchlist key %q: want 4 parts", key)
		}
		parts[i], rest = rest[:j], rest[j+1:]
	}
	parts[3] = rest
	// Consecutive keys mostly share chain, owner and kind: reuse e's.
	e.Chain = chains.Chain(reuse(string(e.Chain), parts[0]))
	e.Address = string(parts[1])
	e.Owner = reuse(e.Owner, parts[2])
	e.Kind = watchlists.Kind(reuse(string(e.Kind), parts[3]))
	if len(val) < 1 || val[0] != entryRecordV1 && val[0] != entryRecordV2 {
		return fmt.Errorf("watchlist record %q: unknown version", key)
	}
	version := val[0]
	val = val[1:]
	texts := [...]*string{&e.Label, &e.Source, &e.Note, &e.Protocol}
	nt := len(texts)
	if version == entryRecordV1 {
		nt, e.Protocol = 3, ""
	}
	for i, dst := range texts[:nt] {
		n, k := binary.Uvarint(val)
		if k <= 0 || uint64(len(val)-k) < n {
			return fmt.Errorf("watchlist record %q: truncated", key)
		}
		if i == 1 || i == 3 {
			*dst = reuse(*dst, val[k:k+int(n)])
		} else {
			*dst = string(val[k : k+int(n)])
		}
		val = val[k+int(n):]
	}
	nanos, k := binary.Varint(val)
	if k <= 0 {
		return fmt.Errorf("watchlist record %q: truncated time", key)
	}
	e.Added = time.Time{}
	if nanos != 0 {
		e.Added = time.Unix(0, nanos).UTC()
	}
	val = val[k:]
	switch version {
	case entryRecordV1:
		e.Untrusted = strings.HasPrefix(e.Source, "api:")
	default:
		if len(val) != 1 || val[0]&^flagUntrusted != 0 {
			return fmt.Errorf("watchlist record %q: bad flags", key)
		}
		e.Untrusted = val[0]&flagUntrusted != 0
	}
	return nil
}

// PutEntries stores entries in one batch.
func (s *Store) PutEntries(ctx context.Context, entries []watchlists.Entry) error {
	b := s.db.NewBatch()
	defer b.Close()
	for _, e := range entries {
		if err := b.Set(entryKey(e.Key()), encodeEntry(e), nil); err != nil {
			return fmt.Errorf("put entry %s %s: %w", e.Chain, e.Address, err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("commit %d watchlist entries: %w", len(entries), err)
	}
	return nil
}

// DeleteEntries removes the entries with keys in one batch.
func (s *Store) DeleteEntries(ctx context.Context, keys []watchlists.EntryKey) error {
	b := s.db.NewBatch()
	defer b.Close()
	for _, k := range keys {
		if err := b.Delete(entryKey(k), nil); err != nil {
			return fmt.Errorf("delete entry %s %s: %w", k.Chain, k.Address, err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("commit %d watchlist deletions: %w", len(keys), err)
	}
	return nil
}

// Entries calls fn for every stored entry, in key order.
func (s *Store) Entries(ctx context.Context, fn func(watchlists.Entry) error) error {
	var e watchlists.Entry
	return s.scan(ctx, prefixWatchlist, func(key, val []byte) error {
		if err := decodeEntry(key, val, &e); err != nil {
			return err
		}
		return fn(e)
	})
}

func incidentKey(id string) []byte {
	return append(append([]byte(nil), prefixIncident...), id...)
}

// PutIncident stores inc under its ID.
func (s *Store) PutIncident(ctx context.Context, inc watchlists.Incident) error {
	if inc.ID == "" {
		return errors.New("put incident: empty id")
	}
	v, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("encode incident %s: %w", inc.ID, err)
	}
	if err := s.db.Set(incidentKey(inc.ID), v, pebble.Sync); err != nil {
		return fmt.Errorf("put incident %s: %w", inc.ID, err)
	}
	return nil
}

// Incidents returns every incident in ID order (IDs sort by time).
func (s *Store) Incidents(ctx context.Context) ([]watchlists.Incident, error) {
	var out []watchlists.Incident
	err := s.scan(ctx, prefixIncident, func(key, val []byte) error {
		var inc watchlists.Incident
		if err := json.Unmarshal(val, &inc); err != nil {
			return fmt.Errorf("decode incident %s: %w", key[len(prefixIncident):], err)
		}
		out = append(out, inc)
		return nil
	})
	return out, err
}
