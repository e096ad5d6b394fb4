package pebble

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chainhound/chainhound/api"
)

func TestAPIKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 2, 21, 14, 0, 0, 0, time.UTC)
	secret, k, err := api.NewKey(api.RoleExchange, "binance", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKey(ctx, k); !errors.Is(err, api.ErrConflict) {
		t.Fatalf("second create: %v, want ErrConflict", err)
	}
	_, k2, _ := api.NewKey(api.RoleAdmin, "ops", now.Add(time.Second))
	if err := s.CreateKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, ok, err := s.KeyByHash(ctx, api.HashKey(secret))
	if err != nil || !ok || got.ID != k.ID || got.Role != api.RoleExchange || got.Tenant != "binance" || !got.Active() {
		t.Fatalf("KeyByHash after reopen: %+v ok=%v err=%v", got, ok, err)
	}
	if _, ok, _ := s.KeyByHash(ctx, api.HashKey(secret+"x")); ok {
		t.Fatal("a wrong secret found a key")
	}
	all, err := s.Keys(ctx)
	if err != nil || len(all) != 2 || all[0].ID != k.ID || all[1].ID != k2.ID {
		t.Fatalf("Keys: %+v %v", all, err)
	}
	rt := now.Add(time.Hour)
	r, err := s.RevokeKey(ctx, k.ID, rt)
	if err != nil || r.Revoked == nil || !r.Revoked.Equal(rt) {
		t.Fatalf("revoke: %+v %v", r, err)
	}
	r, err = s.RevokeKey(ctx, k.ID, rt.Add(time.Hour))
	if err != nil || !r.Revoked.Equal(rt) {
		t.Fatalf("second revoke changed the time: %+v %v", r, err)
	}
	got, _, _ = s.KeyByHash(ctx, api.HashKey(secret))
	if got.Active() {
		t.Fatal("revoked key still active")
	}
	if _, err := s.RevokeKey(ctx, "key_absent", rt); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("revoke absent: %v", err)
	}
}
