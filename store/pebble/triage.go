package pebble

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chainhound/chainhound/alerts"
	"github.com/cockroachdb/pebble"
)

var _ alerts.TriageStore = (*Store)(nil)

// Triage keys, below prefixTriage:
//
//	r/<tenant>/<seq, 8 B> → alerts.Triage JSON
//
// One process holds the directory, so a mutex makes UpdateTriage's
// read-modify-write atomic.

func triageKey(tenant string, seq uint64) []byte {
	k := append(append([]byte(nil), prefixTriage...), tenant...)
	k = append(k, '/')
	return append(k, u64(seq)...)
}

// UpdateTriage applies fn to tenant's triage of alert seq and stores it.
func (s *Store) UpdateTriage(ctx context.Context, tenant string, seq uint64, fn func(*alerts.Triage) error) (alerts.Triage, error) {
	s.triageMu.Lock()
	defer s.triageMu.Unlock()
	k := triageKey(tenant, seq)
	tr, err := s.triage(k, tenant, seq)
	if err != nil {
		return alerts.Triage{}, err
	}
	if err := fn(&tr); err != nil {
		return alerts.Triage{}, err
	}
	v, err := json.Marshal(tr)
	if err != nil {
		return alerts.Triage{}, err
	}
	if err := s.db.Set(k, v, pebble.Sync); err != nil {
		return alerts.Triage{}, fmt.Errorf("save triage of alert %d for %s: %w", seq, tenant, err)
	}
	return tr, nil
}

func (s *Store) triage(k []byte, tenant string, seq uint64) (alerts.Triage, error) {
	v, ok, err := s.get(k)
	if err != nil {
		return alerts.Triage{}, fmt.Errorf("read triage of alert %d for %s: %w", seq, tenant, err)
	}
	if !ok {
		return alerts.NewTriage(tenant, seq), nil
	}
	return alerts.DecodeTriage(v, tenant, seq)
}

// Triages returns tenant's stored triage of each of seqs that has one.
func (s *Store) Triages(ctx context.Context, tenant string, seqs []uint64) (map[uint64]alerts.Triage, error) {
	out := map[uint64]alerts.Triage{}
	for _, seq := range seqs {
		v, ok, err := s.get(triageKey(tenant, seq))
		if err != nil {
			return nil, fmt.Errorf("read triage of alert %d for %s: %w", seq, tenant, err)
		}
		if !ok {
			continue
		}
		tr, err := alerts.DecodeTriage(v, tenant, seq)
		if err != nil {
			return nil, err
		}
		out[seq] = tr
	}
	return out, nil
}
