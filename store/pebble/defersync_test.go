package pebble

import (
	"context"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
)

// TestDeferredSyncWrites: writes made with chains.DeferSync are read back
// at once and are still there after the store is closed and reopened.
func TestDeferredSyncWrites(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := chains.DeferSync(context.Background())
	ref := chains.BlockRef{Number: 7, Hash: "0x07"}
	if err := s.SaveTracer(ctx, []tracer.KV{{Key: []byte("k"), Value: []byte("v")}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCheckpoint(ctx, chains.Ethereum, ref); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		got, ok, err := s.Checkpoint(context.Background(), chains.Ethereum)
		if err != nil || !ok || got != ref {
			t.Fatalf("%s: checkpoint %v %v %v, want %v", when, got, ok, err, ref)
		}
		var vals []string
		if err := s.ScanTracer(context.Background(), func(k, v []byte) error { vals = append(vals, string(k)+"="+string(v)); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(vals) != 1 || vals[0] != "k=v" {
			t.Fatalf("%s: tracer entries %v, want [k=v]", when, vals)
		}
	}
	check("before close")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check("after reopening")
}
