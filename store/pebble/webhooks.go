package pebble

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/chainhound/chainhound/alerts"
	"github.com/cockroachdb/pebble"
)

var _ alerts.WebhookStore = (*Store)(nil)

// Webhook keys, below prefixWebhook:
//
//	h/w/<tenant>         → alerts.Webhook JSON
//	h/c                  → delivery cursor (8 bytes)
//	h/q/<seq><tenant>[\x00<channel>] → queued alerts.Delivery JSON
//	h/d/<seq><tenant>[\x00<channel>] → dead-lettered alerts.Delivery JSON
//
// A webhook's delivery has no channel part (the layout before channels).
var (
	prefixHook      = append(append([]byte(nil), prefixWebhook...), "w/"...)
	keyHookCursor   = append(append([]byte(nil), prefixWebhook...), 'c')
	prefixHookQueue = append(append([]byte(nil), prefixWebhook...), "q/"...)
	prefixHookDead  = append(append([]byte(nil), prefixWebhook...), "d/"...)
)

func hookKey(tenant string) []byte { return append(append([]byte(nil), prefixHook...), tenant...) }

func deliveryKey(prefix []byte, d alerts.Delivery) []byte {
	k := append(append([]byte(nil), prefix...), u64(d.Seq)...)
	k = append(k, d.Tenant...)
	if d.Channel != "" {
		k = append(append(k, 0), d.Channel...)
	}
	return k
}

// PutWebhook saves w under its tenant.
func (s *Store) PutWebhook(ctx context.Context, w alerts.Webhook) error {
	v, err := json.Marshal(w)
	if err != nil {
		return err
	}
	if err := s.db.Set(hookKey(w.Tenant), v, pebble.Sync); err != nil {
		return fmt.Errorf("save webhook of %s: %w", w.Tenant, err)
	}
	return nil
}

// GetWebhook returns tenant's webhook.
func (s *Store) GetWebhook(ctx context.Context, tenant string) (alerts.Webhook, bool, error) {
	v, ok, err := s.get(hookKey(tenant))
	if err != nil || !ok {
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
	if err := s.db.Delete(hookKey(tenant), pebble.Sync); err != nil {
		return fmt.Errorf("delete webhook of %s: %w", tenant, err)
	}
	return nil
}

// ListWebhooks returns every webhook ordered by tenant.
func (s *Store) ListWebhooks(ctx context.Context) ([]alerts.Webhook, error) {
	var out []alerts.Webhook
	err := s.scan(ctx, prefixHook, func(key, val []byte) error {
		var w alerts.Webhook
		if err := json.Unmarshal(val, &w); err != nil {
			return fmt.Errorf("decode webhook %q: %w", key[len(prefixHook):], err)
		}
		out = append(out, w)
		return nil
	})
	return out, err
}

// DeliveryCursor returns the last alert seq queued for delivery.
func (s *Store) DeliveryCursor(ctx context.Context) (uint64, error) {
	v, ok, err := s.get(keyHookCursor)
	if err != nil || !ok {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("corrupt webhook delivery cursor (%d bytes)", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// EnqueueDeliveries queues ds and sets the cursor in one synced batch.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []alerts.Delivery, cursor uint64) error {
	b := s.db.NewBatch()
	defer b.Close()
	for _, d := range ds {
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if err := b.Set(deliveryKey(prefixHookQueue, d), v, nil); err != nil {
			return err
		}
	}
	if err := b.Set(keyHookCursor, u64(cursor), nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("queue %d deliveries through alert %d: %w", len(ds), cursor, err)
	}
	return nil
}

func (s *Store) deliveries(ctx context.Context, prefix []byte, limit int) ([]alerts.Delivery, error) {
	var out []alerts.Delivery
	err := s.scan(ctx, prefix, func(key, val []byte) error {
		if limit > 0 && len(out) >= limit {
			return errStopScan
		}
		var d alerts.Delivery
		if err := json.Unmarshal(val, &d); err != nil {
			return fmt.Errorf("decode delivery %x: %w", key[len(prefix):], err)
		}
		out = append(out, d)
		return nil
	})
	if err == errStopScan {
		err = nil
	}
	return out, err
}

// PendingDeliveries returns the queue ordered by (seq, tenant).
func (s *Store) PendingDeliveries(ctx context.Context) ([]alerts.Delivery, error) {
	return s.deliveries(ctx, prefixHookQueue, 0)
}

// UpdateDelivery rewrites a queued delivery.
func (s *Store) UpdateDelivery(ctx context.Context, d alerts.Delivery) error {
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := s.db.Set(deliveryKey(prefixHookQueue, d), v, pebble.Sync); err != nil {
		return fmt.Errorf("update delivery of alert %d to %s: %w", d.Seq, d.Tenant, err)
	}
	return nil
}

// FinishDelivery removes d from the queue, keeping it as a dead letter
// when dead, in one synced batch.
func (s *Store) FinishDelivery(ctx context.Context, d alerts.Delivery, dead bool) error {
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.Delete(deliveryKey(prefixHookQueue, d), nil); err != nil {
		return err
	}
	if dead {
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if err := b.Set(deliveryKey(prefixHookDead, d), v, nil); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("finish delivery of alert %d to %s: %w", d.Seq, d.Tenant, err)
	}
	return nil
}

// DeadLetters returns up to limit dead letters (0: all).
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]alerts.Delivery, error) {
	return s.deliveries(ctx, prefixHookDead, limit)
}
