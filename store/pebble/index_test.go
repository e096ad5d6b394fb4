package pebble

import (
	"context"
	"fmt"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
)

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
