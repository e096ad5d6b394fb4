package pebble

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/chainhound/chainhound/apikey"
	"github.com/cockroachdb/pebble"
)

var _ apikey.Store = (*Store)(nil)

// keyMu makes the check-then-write of CreateKey and RevokeKey atomic.
var keyMu sync.Mutex

// API keys live below prefixKey:
//
//	k/i/<id>   → storedKey JSON
//	k/h/<hash> → id
func keyIDKey(id string) []byte     { return append(append([]byte(nil), prefixKey...), "i/"+id...) }
func keyHashKey(hash string) []byte { return append(append([]byte(nil), prefixKey...), "h/"+hash...) }

type storedKey struct {
	apikey.Key
	Hash string `json:"hash"`
}

// CreateKey stores k. A key with the same ID or hash is apikey.ErrConflict.
func (s *Store) CreateKey(ctx context.Context, k apikey.Key) error {
	if k.ID == "" || k.Hash == "" {
		return fmt.Errorf("create key: id and hash are required")
	}
	keyMu.Lock()
	defer keyMu.Unlock()
	for _, key := range [][]byte{keyIDKey(k.ID), keyHashKey(k.Hash)} {
		if _, ok, err := s.get(key); err != nil {
			return fmt.Errorf("create key %s: %w", k.ID, err)
		} else if ok {
			return fmt.Errorf("create key %s: %w", k.ID, apikey.ErrConflict)
		}
	}
	v, err := json.Marshal(storedKey{Key: k, Hash: k.Hash})
	if err != nil {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	_ = b.Set(keyIDKey(k.ID), v, nil)
	_ = b.Set(keyHashKey(k.Hash), []byte(k.ID), nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("create key %s: %w", k.ID, err)
	}
	return nil
}

func (s *Store) keyByID(id string) (apikey.Key, bool, error) {
	v, ok, err := s.get(keyIDKey(id))
	if err != nil || !ok {
		return apikey.Key{}, false, err
	}
	var sk storedKey
	if err := json.Unmarshal(v, &sk); err != nil {
		return apikey.Key{}, false, fmt.Errorf("decode key %s: %w", id, err)
	}
	sk.Key.Hash = sk.Hash
	return sk.Key, true, nil
}

// KeyByHash returns the key whose hash is hash.
func (s *Store) KeyByHash(ctx context.Context, hash string) (apikey.Key, bool, error) {
	id, ok, err := s.get(keyHashKey(hash))
	if err != nil || !ok {
		return apikey.Key{}, false, err
	}
	return s.keyByID(string(id))
}

// Keys returns every key, revoked ones included, oldest first.
func (s *Store) Keys(ctx context.Context) ([]apikey.Key, error) {
	var out []apikey.Key
	err := s.scan(ctx, keyIDKey(""), func(_, val []byte) error {
		var sk storedKey
		if err := json.Unmarshal(val, &sk); err != nil {
			return fmt.Errorf("decode key: %w", err)
		}
		sk.Key.Hash = sk.Hash
		out = append(out, sk.Key)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// RevokeKey marks key id revoked at t; revoking twice keeps the first time.
func (s *Store) RevokeKey(ctx context.Context, id string, t time.Time) (apikey.Key, error) {
	keyMu.Lock()
	defer keyMu.Unlock()
	k, ok, err := s.keyByID(id)
	if err != nil {
		return apikey.Key{}, err
	}
	if !ok {
		return apikey.Key{}, fmt.Errorf("revoke key %s: %w", id, apikey.ErrNotFound)
	}
	if k.Revoked != nil {
		return k, nil
	}
	t = t.UTC()
	k.Revoked = &t
	v, err := json.Marshal(storedKey{Key: k, Hash: k.Hash})
	if err != nil {
		return apikey.Key{}, err
	}
	if err := s.db.Set(keyIDKey(id), v, pebble.Sync); err != nil {
		return apikey.Key{}, fmt.Errorf("revoke key %s: %w", id, err)
	}
	return k, nil
}
