package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/chainhound/chainhound/notify"
)

var _ notify.Store = (*Store)(nil)

// channelsKey is the hash of notification channels: tenant\x00id →
// notify.Channel JSON. Every replica reads it at each use, so a channel
// added through one is delivered to by whichever replica dispatches.
func (s *Store) channelsKey() string { return s.key("n") }

func channelField(tenant, id string) string { return tenant + "\x00" + id }

// PutChannel saves c under its tenant and id.
func (s *Store) PutChannel(ctx context.Context, c notify.Channel) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	b := newBatch()
	b.op("HS", s.channelsKey(), channelField(c.Tenant, c.ID), v)
	if err := s.apply(ctx, b); err != nil {
		return fmt.Errorf("save channel %s of %s: %w", c.ID, c.Tenant, err)
	}
	return nil
}

// GetChannel returns tenant's channel id.
func (s *Store) GetChannel(ctx context.Context, tenant, id string) (notify.Channel, bool, error) {
	v, err := s.c.HGet(ctx, s.channelsKey(), channelField(tenant, id)).Bytes()
	if isNil(err) {
		return notify.Channel{}, false, nil
	}
	if err != nil {
		return notify.Channel{}, false, fmt.Errorf("read channel %s of %s: %w", id, tenant, err)
	}
	var c notify.Channel
	if err := json.Unmarshal(v, &c); err != nil {
		return notify.Channel{}, false, fmt.Errorf("decode channel %s of %s: %w", id, tenant, err)
	}
	return c, true, nil
}

// DeleteChannel removes tenant's channel id.
func (s *Store) DeleteChannel(ctx context.Context, tenant, id string) (bool, error) {
	ok, err := s.c.HExists(ctx, s.channelsKey(), channelField(tenant, id)).Result()
	if err != nil || !ok {
		return false, err
	}
	b := newBatch()
	b.op("HD", s.channelsKey(), channelField(tenant, id))
	if err := s.apply(ctx, b); err != nil {
		return false, fmt.Errorf("delete channel %s of %s: %w", id, tenant, err)
	}
	return true, nil
}

// ListChannels returns every channel ordered by (tenant, id).
func (s *Store) ListChannels(ctx context.Context) ([]notify.Channel, error) {
	m, err := s.hashAll(ctx, s.channelsKey())
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	fields := make([]string, 0, len(m))
	for f := range m {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	out := make([]notify.Channel, 0, len(fields))
	for _, f := range fields {
		var c notify.Channel
		if err := json.Unmarshal([]byte(m[f]), &c); err != nil {
			return nil, fmt.Errorf("decode channel %q: %w", f, err)
		}
		out = append(out, c)
	}
	return out, nil
}
