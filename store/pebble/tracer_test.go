package pebble

import (
	"context"
	"fmt"
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

// The transfer index reads the tracer's keys by key and by range, and
// never sees another domain's keys.
func TestTracerGetAndRange(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	puts := []tracer.KV{{Key: []byte("l/ethereum"), Value: []byte("L")}, {Key: []byte("x/b/1"), Value: []byte("B1")}, {Key: []byte("x/b/2"), Value: []byte("B2")}, {Key: []byte("x/e"), Value: []byte{}}, {Key: []byte("z"), Value: []byte("Z")}}
	if err := s.SaveTracer(ctx, puts, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCheckpoint(ctx, "ethereum", chains.BlockRef{Number: 7, Hash: "0x7"}); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetTracer(ctx, []byte("x/b/2")); err != nil || string(v) != "B2" {
		t.Fatalf("get x/b/2 = %q, %v", v, err)
	}
	if v, err := s.GetTracer(ctx, []byte("x/b/3")); err != nil || v != nil {
		t.Fatalf("get of an absent key = %q, %v; want nil", v, err)
	}
	if v, err := s.GetTracer(ctx, []byte("x/e")); err != nil || v == nil {
		t.Fatalf("get of an empty value = %v, %v; want empty, not nil", v, err)
	}
	scan := func(lo, hi string) []string {
		var h []byte
		if hi != "" {
			h = []byte(hi)
		}
		var got []string
		if err := s.ScanTracerRange(ctx, []byte(lo), h, func(k, v []byte) error { got = append(got, string(k)); return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := fmt.Sprint(scan("x/b/", "x/b/2")); got != "[x/b/1]" {
		t.Fatalf("range [x/b/, x/b/2) = %s", got)
	}
	if got := fmt.Sprint(scan("", "x/")); got != "[l/ethereum]" {
		t.Fatalf("range [, x/) = %s", got)
	}
	if got := fmt.Sprint(scan("x0", "")); got != "[z]" {
		t.Fatalf("range [x0, end) = %s (another domain's key leaked?)", got)
	}
}
