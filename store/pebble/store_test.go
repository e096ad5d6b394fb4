package pebble

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/cockroachdb/pebble"
)

// MustOpen opens a store in a fresh temporary directory, closed at cleanup.
func MustOpen(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestOpenInUse(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(dir)
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second open: got %v, want ErrInUse", err)
	}
}

func TestOpenNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], SchemaVersion+1)
	if err := s.db.Set(keySchema, b[:], pebble.Sync); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(dir); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("got %v, want ErrNewerSchema", err)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, ok, err := s.Checkpoint(ctx, chains.Ethereum); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	want := chains.BlockRef{Number: 42, Hash: "0xabc", Parent: "0xdef"}
	if err := s.SaveCheckpoint(ctx, chains.Ethereum, want); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, ok, err := s.Checkpoint(ctx, chains.Ethereum)
	if err != nil || !ok || got != want {
		t.Fatalf("after reopen: %+v ok=%v err=%v, want %+v", got, ok, err, want)
	}
	if _, ok, _ := s.Checkpoint(ctx, chains.Bitcoin); ok {
		t.Fatal("bitcoin checkpoint should be absent")
	}
}
