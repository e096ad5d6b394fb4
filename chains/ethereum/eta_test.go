package ethereum

import "testing"

// TestETA: the backfill log's time left, from the remaining blocks and the
// rate.
func TestETA(t *testing.T) {
	for _, c := range []struct {
		remaining uint64
		rate      float64
		want      string
	}{{100, 10, "10s"}, {7200, 2.5, "48m0s"}, {5, 0, "unknown"}} {
		if got := eta(c.remaining, c.rate); got != c.want {
			t.Errorf("eta(%d, %v) = %q, want %q", c.remaining, c.rate, got, c.want)
		}
	}
}
