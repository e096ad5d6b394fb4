package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	goredis "github.com/redis/go-redis/v9"
)

// Keys, below the prefix:
//
//	schema                 layout version
//	lock                   the process lock (serve)
//	cp:<chain>             checkpoint JSON
//	t                      hash: tracer key → value
//	w                      hash: chain\0address\0owner\0kind → entry JSON
//	i                      hash: incident id → incident JSON
//	chg                    stream: changes to entries and incidents, for
//	                       the other replicas (fields t: w|i, p: payload)
//	a:log                  stream: alert records, entry id <seq>-0, field r
//	a:seq                  the last seq ever assigned
//	a:f                    hash: finding id → seq of its live alert
//	a:b:<chain>:<hash>     sorted set: seqs of a block's pending alerts
//	k:id, k:h              hashes: key id → key JSON; key hash → id
//	h:w                    hash: tenant → webhook JSON
//	h:c                    the webhook delivery cursor
//	h:q, h:d               hashes: <seq, 20 digits>/<tenant>[\x00<channel>]
//	                       → delivery JSON (queued; dead letters)
//	n                      hash: tenant\x00id → notification channel JSON
func (s *Store) checkpointKey(c chains.Chain) string { return s.key("cp", string(c)) }
func (s *Store) tracerKey() string                   { return s.key("t") }
func (s *Store) entriesKey() string                  { return s.key("w") }
func (s *Store) incidentsKey() string                { return s.key("i") }
func (s *Store) alertLogKey() string                 { return s.key("a", "log") }
func (s *Store) changesKey() string                  { return s.key("chg") }
func (s *Store) alertSeqKey() string                 { return s.key("a", "seq") }
func (s *Store) alertFindKey() string                { return s.key("a", "f") }
func (s *Store) alertBlockKey(c chains.Chain, hash string) string {
	return s.key("a", "b", string(c), hash)
}
func (s *Store) keyIDKey() string      { return s.key("k", "id") }
func (s *Store) keyHashKey() string    { return s.key("k", "h") }
func (s *Store) hooksKey() string      { return s.key("h", "w") }
func (s *Store) hookCursorKey() string { return s.key("h", "c") }
func (s *Store) hookQueueKey() string  { return s.key("h", "q") }
func (s *Store) hookDeadKey() string   { return s.key("h", "d") }

func isNil(err error) bool { return errors.Is(err, goredis.Nil) }

// Checkpoint returns the last acknowledged block of chain.
func (s *Store) Checkpoint(ctx context.Context, chain chains.Chain) (chains.BlockRef, bool, error) {
	v, err := s.c.Get(ctx, s.checkpointKey(chain)).Bytes()
	if isNil(err) {
		return chains.BlockRef{}, false, nil
	}
	if err != nil {
		return chains.BlockRef{}, false, fmt.Errorf("read %s checkpoint: %w", chain, err)
	}
	var ref chains.BlockRef
	if err := json.Unmarshal(v, &ref); err != nil {
		return chains.BlockRef{}, false, fmt.Errorf("decode %s checkpoint: %w", chain, err)
	}
	return ref, true, nil
}

// SaveCheckpoint records ref as chain's last acknowledged block.
func (s *Store) SaveCheckpoint(ctx context.Context, chain chains.Chain, ref chains.BlockRef) error {
	b := newBatch()
	if err := s.addCheckpoint(b, chain, ref); err != nil {
		return err
	}
	if err := s.applyChain(ctx, b); err != nil {
		return fmt.Errorf("save %s checkpoint %d: %w", chain, ref.Number, err)
	}
	return nil
}

func (s *Store) addCheckpoint(b *batch, chain chains.Chain, ref chains.BlockRef) error {
	v, err := json.Marshal(ref)
	if err != nil {
		return err
	}
	b.op("S", s.checkpointKey(chain), v)
	return nil
}

// SaveTracer writes the tracer's deletes, then its puts, atomically.
func (s *Store) SaveTracer(ctx context.Context, puts []tracer.KV, deletes [][]byte) error {
	b := newBatch()
	s.addTracer(b, puts, deletes)
	if err := s.applyChain(ctx, b); err != nil {
		return fmt.Errorf("commit tracer batch (%d puts, %d deletes): %w", len(puts), len(deletes), err)
	}
	return nil
}

func (s *Store) addTracer(b *batch, puts []tracer.KV, deletes [][]byte) {
	k, xv, xk := s.tracerKey(), s.indexValuesKey(), s.indexKeysKey()
	var xdels [][]byte
	var xputs []tracer.KV
	for _, d := range deletes {
		if isIndexKey(d) {
			xdels = append(xdels, d)
			continue
		}
		b.op("HD", k, d)
	}
	for _, kv := range puts {
		if isIndexKey(kv.Key) {
			xputs = append(xputs, kv)
			continue
		}
		b.op("HS", k, kv.Key, kv.Value)
	}
	// The transfer index: values in one hash, keys in a sorted set read
	// by range; deletes before puts, as the tracer's batch says.
	for _, d := range xdels {
		b.op("HD", xv, d)
	}
	for _, d := range xdels {
		b.op("ZR", xk, d)
	}
	for _, kv := range xputs {
		b.op("HS", xv, kv.Key, kv.Value)
	}
	for _, kv := range xputs {
		b.op("ZA", xk, 0, kv.Key)
	}
}

// The tracer's transfer index (its "x/" keys, docs/decisions/0014) lives
// apart from the rest of its state: the engine's load (ScanTracer) never
// reads it, and it is read by key range (tracer.IndexStore).
func isIndexKey(k []byte) bool { return bytes.HasPrefix(k, []byte("x/")) }

func (s *Store) indexValuesKey() string { return s.key("xv") }
func (s *Store) indexKeysKey() string   { return s.key("xk") }

// GetTracer returns the tracer's value at key, nil when absent
// (tracer.IndexStore).
func (s *Store) GetTracer(ctx context.Context, key []byte) ([]byte, error) {
	h := s.tracerKey()
	if isIndexKey(key) {
		h = s.indexValuesKey()
	}
	v, err := s.c.HGet(ctx, h, string(key)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tracer key %q: %w", key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// indexPage is how many index keys one range read asks for at a time.
const indexPage = 1000

// ScanTracerRange calls fn for every tracer key in [lo, hi) in key order
// (hi nil: no upper bound) (tracer.IndexStore). A range of the index is
// read from its sorted set a page at a time; any other range from the
// state's hash, whole.
func (s *Store) ScanTracerRange(ctx context.Context, lo, hi []byte, fn func(key, val []byte) error) error {
	if !isIndexKey(lo) {
		return s.ScanTracer(ctx, func(k, v []byte) error {
			if bytes.Compare(k, lo) < 0 || hi != nil && bytes.Compare(k, hi) >= 0 {
				return nil
			}
			return fn(k, v)
		})
	}
	max := "+"
	if hi != nil {
		max = "(" + string(hi)
	}
	min := "[" + string(lo)
	for {
		keys, err := s.c.ZRangeByLex(ctx, s.indexKeysKey(), &goredis.ZRangeBy{Min: min, Max: max, Count: indexPage}).Result()
		if err != nil {
			return fmt.Errorf("read the transfer index from %q: %w", lo, err)
		}
		if len(keys) == 0 {
			return nil
		}
		vals, err := s.c.HMGet(ctx, s.indexValuesKey(), keys...).Result()
		if err != nil {
			return fmt.Errorf("read the transfer index from %q: %w", lo, err)
		}
		for i, k := range keys {
			v, ok := vals[i].(string)
			if !ok {
				continue // deleted between the two reads
			}
			if err := fn([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		if len(keys) < indexPage {
			return nil
		}
		min = "(" + keys[len(keys)-1]
	}
}

// ScanTracer calls fn for every tracer key in key order.
func (s *Store) ScanTracer(ctx context.Context, fn func(key, val []byte) error) error {
	m, err := s.hashAll(ctx, s.tracerKey())
	if err != nil {
		return fmt.Errorf("scan tracer state: %w", err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn([]byte(k), []byte(m[k])); err != nil {
			return err
		}
	}
	return nil
}

// hashAll reads a hash with HSCAN, so that a big one does not block Redis.
func (s *Store) hashAll(ctx context.Context, key string) (map[string]string, error) {
	out := map[string]string{}
	var cursor uint64
	for {
		kv, next, err := s.c.HScan(ctx, key, cursor, "", 4096).Result()
		if err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		if cursor = next; cursor == 0 {
			return out, nil
		}
	}
}

// WriteBlock writes a block's tracer batch, alerts and checkpoint in one
// script: one round trip, all or nothing.
func (s *Store) WriteBlock(ctx context.Context, blk store.Block) error {
	b := newBatch()
	s.addTracer(b, blk.Puts, blk.Deletes)
	if blk.Alerts != nil {
		if err := s.addAlerts(b, *blk.Alerts); err != nil {
			return err
		}
	}
	if blk.Checkpoint != nil {
		if err := s.addCheckpoint(b, blk.Chain, *blk.Checkpoint); err != nil {
			return err
		}
	}
	if err := s.applyChain(ctx, b); err != nil {
		return fmt.Errorf("write %s block batch: %w", blk.Chain, err)
	}
	return nil
}

func entryField(k watchlists.EntryKey) string {
	return string(k.Chain) + "\x00" + k.Address + "\x00" + k.Owner + "\x00" + string(k.Kind)
}

// PutEntries stores entries atomically.
func (s *Store) PutEntries(ctx context.Context, entries []watchlists.Entry) error {
	b := newBatch()
	k := s.entriesKey()
	for _, e := range entries {
		v, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("put entry %s %s: %w", e.Chain, e.Address, err)
		}
		b.op("HS", k, entryField(e.Key()), v)
	}
	fields := make([]string, len(entries))
	for i, e := range entries {
		fields[i] = entryField(e.Key())
	}
	s.addChange(b, changeEntries, fields)
	if err := s.apply(ctx, b); err != nil {
		return fmt.Errorf("commit %d watchlist entries: %w", len(entries), err)
	}
	return nil
}

// DeleteEntries removes the entries with keys atomically.
func (s *Store) DeleteEntries(ctx context.Context, keys []watchlists.EntryKey) error {
	b := newBatch()
	k := s.entriesKey()
	for _, e := range keys {
		b.op("HD", k, entryField(e))
	}
	fields := make([]string, len(keys))
	for i, e := range keys {
		fields[i] = entryField(e)
	}
	s.addChange(b, changeEntries, fields)
	if err := s.apply(ctx, b); err != nil {
		return fmt.Errorf("commit %d watchlist deletions: %w", len(keys), err)
	}
	return nil
}

// Entries calls fn for every stored entry, in key order.
func (s *Store) Entries(ctx context.Context, fn func(watchlists.Entry) error) error {
	m, err := s.hashAll(ctx, s.entriesKey())
	if err != nil {
		return fmt.Errorf("read watchlist entries: %w", err)
	}
	fields := make([]string, 0, len(m))
	for f := range m {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		var e watchlists.Entry
		if err := json.Unmarshal([]byte(m[f]), &e); err != nil {
			return fmt.Errorf("decode watchlist entry %q: %w", f, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
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
	b := newBatch()
	b.op("HS", s.incidentsKey(), inc.ID, v)
	s.addChange(b, changeIncidents, []string{inc.ID})
	if err := s.apply(ctx, b); err != nil {
		return fmt.Errorf("put incident %s: %w", inc.ID, err)
	}
	return nil
}

// Incidents returns every incident in ID order (IDs sort by time).
func (s *Store) Incidents(ctx context.Context) ([]watchlists.Incident, error) {
	m, err := s.hashAll(ctx, s.incidentsKey())
	if err != nil {
		return nil, fmt.Errorf("read incidents: %w", err)
	}
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []watchlists.Incident
	for _, id := range ids {
		var inc watchlists.Incident
		if err := json.Unmarshal([]byte(m[id]), &inc); err != nil {
			return nil, fmt.Errorf("decode incident %s: %w", id, err)
		}
		out = append(out, inc)
	}
	return out, nil
}

type storedKey struct {
	apikey.Key
	Hash string `json:"hash"`
}

// CreateKey stores k. A key with the same ID or hash is apikey.ErrConflict.
func (s *Store) CreateKey(ctx context.Context, k apikey.Key) error {
	if k.ID == "" || k.Hash == "" {
		return fmt.Errorf("create key: id and hash are required")
	}
	v, err := json.Marshal(storedKey{Key: k, Hash: k.Hash})
	if err != nil {
		return err
	}
	b := newBatch()
	b.op("HNX", s.keyIDKey(), k.ID)
	b.op("HNX", s.keyHashKey(), k.Hash)
	b.op("HS", s.keyIDKey(), k.ID, v)
	b.op("HS", s.keyHashKey(), k.Hash, k.ID)
	if err := s.apply(ctx, b); err != nil {
		if errors.Is(err, errConflict) {
			return fmt.Errorf("create key %s: %w", k.ID, apikey.ErrConflict)
		}
		return fmt.Errorf("create key %s: %w", k.ID, err)
	}
	return nil
}

func decodeKey(v string) (apikey.Key, error) {
	var sk storedKey
	if err := json.Unmarshal([]byte(v), &sk); err != nil {
		return apikey.Key{}, err
	}
	sk.Key.Hash = sk.Hash
	return sk.Key, nil
}

func (s *Store) keyByID(ctx context.Context, id string) (apikey.Key, string, bool, error) {
	v, err := s.c.HGet(ctx, s.keyIDKey(), id).Result()
	if isNil(err) {
		return apikey.Key{}, "", false, nil
	}
	if err != nil {
		return apikey.Key{}, "", false, err
	}
	k, err := decodeKey(v)
	if err != nil {
		return apikey.Key{}, "", false, fmt.Errorf("decode key %s: %w", id, err)
	}
	return k, v, true, nil
}

// KeyByHash returns the key whose hash is hash.
func (s *Store) KeyByHash(ctx context.Context, hash string) (apikey.Key, bool, error) {
	id, err := s.c.HGet(ctx, s.keyHashKey(), hash).Result()
	if isNil(err) {
		return apikey.Key{}, false, nil
	}
	if err != nil {
		return apikey.Key{}, false, err
	}
	k, _, ok, err := s.keyByID(ctx, id)
	return k, ok, err
}

// Keys returns every key, revoked ones included, oldest first.
func (s *Store) Keys(ctx context.Context) ([]apikey.Key, error) {
	m, err := s.hashAll(ctx, s.keyIDKey())
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	out := make([]apikey.Key, 0, len(m))
	for id, v := range m {
		k, err := decodeKey(v)
		if err != nil {
			return nil, fmt.Errorf("list keys: decode key %s: %w", id, err)
		}
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// RevokeKey marks key id revoked at t; revoking twice keeps the first time.
func (s *Store) RevokeKey(ctx context.Context, id string, t time.Time) (apikey.Key, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	for attempt := 0; ; attempt++ {
		k, old, ok, err := s.keyByID(ctx, id)
		if err != nil {
			return apikey.Key{}, err
		}
		if !ok {
			return apikey.Key{}, fmt.Errorf("revoke key %s: %w", id, apikey.ErrNotFound)
		}
		if k.Revoked != nil {
			return k, nil
		}
		rt := t.UTC()
		k.Revoked = &rt
		v, err := json.Marshal(storedKey{Key: k, Hash: k.Hash})
		if err != nil {
			return apikey.Key{}, err
		}
		b := newBatch()
		b.op("HEQ", s.keyIDKey(), id, old) // another process's revoke wins
		b.op("HS", s.keyIDKey(), id, v)
		err = s.apply(ctx, b)
		if errors.Is(err, errConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return apikey.Key{}, fmt.Errorf("revoke key %s: %w", id, err)
		}
		return k, nil
	}
}

// PutWebhook saves w under its tenant.
func (s *Store) PutWebhook(ctx context.Context, w alerts.Webhook) error {
	v, err := json.Marshal(w)
	if err != nil {
		return err
	}
	b := newBatch()
	b.op("HS", s.hooksKey(), w.Tenant, v)
	if err := s.apply(ctx, b); err != nil {
		return fmt.Errorf("save webhook of %s: %w", w.Tenant, err)
	}
	return nil
}

// GetWebhook returns tenant's webhook.
func (s *Store) GetWebhook(ctx context.Context, tenant string) (alerts.Webhook, bool, error) {
	v, err := s.c.HGet(ctx, s.hooksKey(), tenant).Bytes()
	if isNil(err) {
		return alerts.Webhook{}, false, nil
	}
	if err != nil {
		return alerts.Webhook{}, false, err
	}
	var w alerts.Webhook
	if err := json.Unmarshal(v, &w); err != nil {
		return alerts.Webhook{}, false, fmt.Errorf("decode webhook of %s: %w", tenant, err)
	}
	return w, true, nil
}

// DeleteWebhook removes tenant's webhook.
func (s *Store) DeleteWebhook(ctx context.Context, tenant string) error {
	b := newBatch()
	b.op("HD", s.hooksKey(), tenant)
	if err := s.apply(ctx, b); err != nil {
		return fmt.Errorf("delete webhook of %s: %w", tenant, err)
	}
	return nil
}

// ListWebhooks returns every webhook ordered by tenant.
func (s *Store) ListWebhooks(ctx context.Context) ([]alerts.Webhook, error) {
	m, err := s.hashAll(ctx, s.hooksKey())
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	tenants := make([]string, 0, len(m))
	for t := range m {
		tenants = append(tenants, t)
	}
	sort.Strings(tenants)
	var out []alerts.Webhook
	for _, t := range tenants {
		var w alerts.Webhook
		if err := json.Unmarshal([]byte(m[t]), &w); err != nil {
			return nil, fmt.Errorf("decode webhook %q: %w", t, err)
		}
		out = append(out, w)
	}
	return out, nil
}

func (s *Store) getUint(ctx context.Context, key, what string) (uint64, error) {
	v, err := s.c.Get(ctx, key).Result()
	if isNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", what, err)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("corrupt %s %q", what, v)
	}
	return n, nil
}

// DeliveryCursor returns the last alert seq queued for delivery.
func (s *Store) DeliveryCursor(ctx context.Context) (uint64, error) {
	return s.getUint(ctx, s.hookCursorKey(), "webhook delivery cursor")
}

func deliveryField(d alerts.Delivery) string {
	if d.Channel != "" {
		return fmt.Sprintf("%020d/%s\x00%s", d.Seq, d.Tenant, d.Channel)
	}
	return fmt.Sprintf("%020d/%s", d.Seq, d.Tenant)
}

// EnqueueDeliveries queues ds and sets the cursor atomically.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []alerts.Delivery, cursor uint64) error {
	b := newBatch()
	for _, d := range ds {
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		b.op("HS", s.hookQueueKey(), deliveryField(d), v)
	}
	b.op("S", s.hookCursorKey(), itoa(cursor))
	if err := s.apply(ctx, b); err != nil {
		return fmt.Errorf("queue %d deliveries through alert %d: %w", len(ds), cursor, err)
	}
	return nil
}

func (s *Store) deliveries(ctx context.Context, key string, limit int) ([]alerts.Delivery, error) {
	m, err := s.hashAll(ctx, key)
	if err != nil {
		return nil, err
	}
	fields := make([]string, 0, len(m))
	for f := range m {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	if limit > 0 && len(fields) > limit {
		fields = fields[:limit]
	}
	var out []alerts.Delivery
	for _, f := range fields {
		var d alerts.Delivery
		if err := json.Unmarshal([]byte(m[f]), &d); err != nil {
			return nil, fmt.Errorf("decode delivery %s: %w", f, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// PendingDeliveries returns the queue ordered by (seq, tenant).
func (s *Store) PendingDeliveries(ctx context.Context) ([]alerts.Delivery, error) {
	return s.deliveries(ctx, s.hookQueueKey(), 0)
}

// UpdateDelivery rewrites a queued delivery.
func (s *Store) UpdateDelivery(ctx context.Context, d alerts.Delivery) error {
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	b := newBatch()
	b.op("HS", s.hookQueueKey(), deliveryField(d), v)
	if err := s.apply(ctx, b); err != nil {
		return fmt.Errorf("update delivery of alert %d to %s: %w", d.Seq, d.Tenant, err)
	}
	return nil
}

// FinishDelivery removes d from the queue, keeping it as a dead letter
// when dead, atomically.
func (s *Store) FinishDelivery(ctx context.Context, d alerts.Delivery, dead bool) error {
	b := newBatch()
	b.op("HD", s.hookQueueKey(), deliveryField(d))
	if dead {
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		b.op("HS", s.hookDeadKey(), deliveryField(d), v)
	}
	if err := s.apply(ctx, b); err != nil {
		return fmt.Errorf("finish delivery of alert %d to %s: %w", d.Seq, d.Tenant, err)
	}
	return nil
}

// DeadLetters returns up to limit dead letters (0: all).
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]alerts.Delivery, error) {
	return s.deliveries(ctx, s.hookDeadKey(), limit)
}
