package pebble

import (
	"context"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
)

func TestTracerBatchAndScan(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	puts := []tracer.KV{{Key: []byte("h/ethereum/0xa//0/inc_1"), Value: []byte{1, 2}}, {Key: []byte("l/ethereum"), Value: []byte(`{"number":1}`)}, {Key: []byte("j/ethereum/1"), Value: []byte{9}}}
	if err := s.SaveTracer(ctx, puts, nil); err != nil {
		t.Fatal(err)
	}
	// A second batch deletes one key and replaces another, atomically.
	if err := s.SaveTracer(ctx, []tracer.KV{{Key: []byte("l/ethereum"), Value: []byte(`{"number":2}`)}}, [][]byte{[]byte("j/ethereum/1")}); err != nil {
		t.Fatal(err)
	}
	// Other domains' keys are not the tracer's.
	if err := s.SaveCheckpoint(ctx, "ethereum", chains.BlockRef{Number: 7, Hash: "0x7"}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	if err := s.ScanTracer(ctx, func(k, v []byte) error { got[string(k)] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"h/ethereum/0xa//0/inc_1": "\x01\x02", "l/ethereum": `{"number":2}`}
	if len(got) != len(want) {
		t.Fatalf("scan got %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("key %s: got %q, want %q", k, got[k], v)
		}
	}
	// A cancelled context writes nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.SaveTracer(cctx, []tracer.KV{{Key: []byte("x"), Value: []byte("y")}}, nil); err == nil {
		t.Fatal("save with a cancelled context succeeded")
	}
	if err := s.ScanTracer(ctx, func(k, v []byte) error {
		if string(k) == "x" {
			t.Fatal("cancelled batch was written")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
