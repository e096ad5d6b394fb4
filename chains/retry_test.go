package chains_test

import (
	"context"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
)

// The followers' waits between retries, as each wrote them before
// chains.Backoff: Ethereum's from 250ms, Bitcoin's from 500ms (20ms in
// its tests), doubling up to 30s; Reset starts again from Min.
func TestBackoff(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	s := time.Second
	for _, c := range []struct {
		name string
		b    chains.Backoff
		want []time.Duration
	}{
		{"ethereum", chains.Backoff{Min: ms(250), Max: 30 * s}, []time.Duration{ms(250), ms(500), s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s}},
		{"bitcoin", chains.Backoff{Min: ms(500), Max: 30 * s}, []time.Duration{ms(500), s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s}},
		{"bitcoin-tests", chains.Backoff{Min: ms(20), Max: 30 * s}, []time.Duration{ms(20), ms(40), ms(80), ms(160), ms(320), ms(640), ms(1280), ms(2560), ms(5120), ms(10240), ms(20480), 30 * s}},
		{"zero", chains.Backoff{}, []time.Duration{0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := c.b
			for round := range 2 {
				for i, want := range c.want {
					if got := b.Next(); got != want {
						t.Fatalf("round %d, wait %d: %s, want %s", round, i, got, want)
					}
				}
				b.Reset()
			}
		})
	}
}

func TestSleep(t *testing.T) {
	if !chains.Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep with a live context did not wait")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if chains.Sleep(ctx, time.Hour) || time.Since(start) > time.Second {
		t.Error("Sleep with a done context waited")
	}
}
