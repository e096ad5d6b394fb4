package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/chainhound/chainhound/alerts"
)

var (
	_ alerts.TriageStore = (*Store)(nil)
	_ alerts.TriageBus   = (*Store)(nil)
)

// Triage keys:
//
//	r      hash: <tenant>/<seq> → alerts.Triage JSON
//	r:ev   Pub/Sub channel of triage events (alerts.TriageBus)
//
// UpdateTriage is a compare-and-set on the field (HNX when absent, HEQ on
// the value read), retried on a conflict, so that replicas updating one
// alert at once lose nothing.

func (s *Store) triageKey() string       { return s.key("r") }
func (s *Store) triageEventsKey() string { return s.key("r", "ev") }
func triageField(tenant string, seq uint64) string {
	return tenant + "/" + strconv.FormatUint(seq, 10)
}

// maxTriageAttempts bounds UpdateTriage's retries under contention.
const maxTriageAttempts = 20

// UpdateTriage applies fn to tenant's triage of alert seq and stores it.
func (s *Store) UpdateTriage(ctx context.Context, tenant string, seq uint64, fn func(*alerts.Triage) error) (alerts.Triage, error) {
	f := triageField(tenant, seq)
	for attempt := 0; ; attempt++ {
		old, err := s.c.HGet(ctx, s.triageKey(), f).Bytes()
		absent := isNil(err)
		if err != nil && !absent {
			return alerts.Triage{}, fmt.Errorf("read triage of alert %d for %s: %w", seq, tenant, err)
		}
		tr := alerts.NewTriage(tenant, seq)
		if !absent {
			if tr, err = alerts.DecodeTriage(old, tenant, seq); err != nil {
				return alerts.Triage{}, err
			}
		}
		if err := fn(&tr); err != nil {
			return alerts.Triage{}, err
		}
		v, err := json.Marshal(tr)
		if err != nil {
			return alerts.Triage{}, err
		}
		b := newBatch()
		if absent {
			b.op("HNX", s.triageKey(), f)
		} else {
			b.op("HEQ", s.triageKey(), f, old)
		}
		b.op("HS", s.triageKey(), f, v)
		err = s.apply(ctx, b)
		if errors.Is(err, errConflict) && attempt < maxTriageAttempts {
			continue
		}
		if err != nil {
			return alerts.Triage{}, fmt.Errorf("save triage of alert %d for %s: %w", seq, tenant, err)
		}
		return tr, nil
	}
}

// Triages returns tenant's stored triage of each of seqs that has one.
func (s *Store) Triages(ctx context.Context, tenant string, seqs []uint64) (map[uint64]alerts.Triage, error) {
	out := map[uint64]alerts.Triage{}
	for lo := 0; lo < len(seqs); lo += 1000 {
		part := seqs[lo:min(lo+1000, len(seqs))]
		fields := make([]string, len(part))
		for i, seq := range part {
			fields[i] = triageField(tenant, seq)
		}
		vs, err := s.c.HMGet(ctx, s.triageKey(), fields...).Result()
		if err != nil {
			return nil, fmt.Errorf("read triage of %d alerts for %s: %w", len(part), tenant, err)
		}
		for i, v := range vs {
			str, ok := v.(string)
			if !ok {
				continue
			}
			tr, err := alerts.DecodeTriage([]byte(str), tenant, part[i])
			if err != nil {
				return nil, err
			}
			out[part[i]] = tr
		}
	}
	return out, nil
}

// triageEvent is a TriageEvent on the wire (Triage.Tenant is not
// serialised with the triage).
type triageEvent struct {
	Tenant  string                `json:"tenant"`
	Triage  alerts.Triage         `json:"triage"`
	Changes []alerts.TriageChange `json:"changes,omitempty"`
	Comment *alerts.Comment       `json:"comment,omitempty"`
}

// PublishTriage tells every replica's subscribers of ev.
func (s *Store) PublishTriage(ctx context.Context, ev alerts.TriageEvent) error {
	v, err := json.Marshal(triageEvent{Tenant: ev.Triage.Tenant, Triage: ev.Triage, Changes: ev.Changes, Comment: ev.Comment})
	if err != nil {
		return err
	}
	if err := s.c.Publish(ctx, s.triageEventsKey(), v).Err(); err != nil {
		return fmt.Errorf("publish triage of alert %d: %w", ev.Triage.Seq, err)
	}
	return nil
}

// SubscribeTriage delivers every replica's triage events until ctx is
// done. The subscription reconnects by itself (go-redis); events published
// while it is down are missed.
func (s *Store) SubscribeTriage(ctx context.Context) (<-chan alerts.TriageEvent, error) {
	ps := s.c.Subscribe(ctx, s.triageEventsKey())
	// Wait for the confirmation, so that an event published after this
	// returns is delivered.
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err := ps.Receive(rctx)
	cancel()
	if err != nil {
		ps.Close()
		return nil, fmt.Errorf("subscribe to triage events: %w", err)
	}
	out := make(chan alerts.TriageEvent, 256)
	go func() {
		defer close(out)
		defer ps.Close()
		ch := ps.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-ch:
				if !ok {
					return
				}
				var ev triageEvent
				if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
					s.log.Warn("undecodable triage event", "err", err)
					continue
				}
				ev.Triage.Tenant = ev.Tenant
				select {
				case out <- alerts.TriageEvent{Triage: ev.Triage, Changes: ev.Changes, Comment: ev.Comment}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
