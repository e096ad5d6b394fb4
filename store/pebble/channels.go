package pebble

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chainhound/chainhound/notify"
	"github.com/cockroachdb/pebble"
)

var _ notify.Store = (*Store)(nil)

// Channel keys, below prefixChannel:
//
//	n/<tenant>\x00<id> → notify.Channel JSON
func channelKey(tenant, id string) []byte {
	k := append(append([]byte(nil), prefixChannel...), tenant...)
	return append(append(k, 0), id...)
}

// PutChannel saves c under its tenant and id.
func (s *Store) PutChannel(ctx context.Context, c notify.Channel) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := s.db.Set(channelKey(c.Tenant, c.ID), v, pebble.Sync); err != nil {
		return fmt.Errorf("save channel %s of %s: %w", c.ID, c.Tenant, err)
	}
	return nil
}

// GetChannel returns tenant's channel id.
func (s *Store) GetChannel(ctx context.Context, tenant, id string) (notify.Channel, bool, error) {
	v, ok, err := s.get(channelKey(tenant, id))
	if err != nil || !ok {
		return notify.Channel{}, false, err
	}
	var c notify.Channel
	if err := json.Unmarshal(v, &c); err != nil {
		return notify.Channel{}, false, fmt.Errorf("decode channel %s of %s: %w", id, tenant, err)
	}
	return c, true, nil
}

// DeleteChannel removes tenant's channel id.
func (s *Store) DeleteChannel(ctx context.Context, tenant, id string) (bool, error) {
	k := channelKey(tenant, id)
	_, ok, err := s.get(k)
	if err != nil || !ok {
		return false, err
	}
	if err := s.db.Delete(k, pebble.Sync); err != nil {
		return false, fmt.Errorf("delete channel %s of %s: %w", id, tenant, err)
	}
	return true, nil
}

// ListChannels returns every channel ordered by (tenant, id).
func (s *Store) ListChannels(ctx context.Context) ([]notify.Channel, error) {
	var out []notify.Channel
	err := s.scan(ctx, prefixChannel, func(key, val []byte) error {
		var c notify.Channel
		if err := json.Unmarshal(val, &c); err != nil {
			return fmt.Errorf("decode channel %q: %w", key[len(prefixChannel):], err)
		}
		out = append(out, c)
		return nil
	})
	return out, err
}
