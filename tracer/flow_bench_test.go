package tracer_test

import (
	"testing"
)

// BenchmarkFlow measures Engine.Flow and FlowGraph.DOT on an incident
// whose taint sits at 100,000 addresses (one hop each from the thief),
// beside Summary over the same incident: the bare walk of its holdings.
func BenchmarkFlow(b *testing.B) {
	const n = 100_000
	e, _ := taintedEngine(b, n)
	b.Run("summary (bare walk)", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if s, _ := e.Summary("inc_b"); len(s.Holders) != n {
				b.Fatalf("%d holders", len(s.Holders))
			}
		}
	})
	b.Run("flow", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if g, _ := e.Flow("inc_b"); len(g.Edges) != n+1 {
				b.Fatalf("%d edges", len(g.Edges))
			}
		}
	})
	g, _ := e.Flow("inc_b")
	b.Run("dot", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if len(g.DOT()) == 0 {
				b.Fatal("empty")
			}
		}
	})
}
