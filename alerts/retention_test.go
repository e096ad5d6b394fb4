package alerts_test

import (
	"context"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
)

func TestRetention(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2025, 2, 21, 0, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		ret       alerts.Retention
		appendAt  []time.Duration // offset from t0 of each append of 10 alerts
		pruneAt   time.Duration
		wantFirst uint64 // first seq kept; 0 = none kept
		wantN     int
	}{
		"unbounded keeps all":       {alerts.Retention{}, []time.Duration{0, time.Hour}, 100 * time.Hour, 1, 20},
		"count keeps the newest":    {alerts.Retention{MaxCount: 15}, []time.Duration{0, time.Hour, 2 * time.Hour}, 2 * time.Hour, 16, 15},
		"count above stored":        {alerts.Retention{MaxCount: 100}, []time.Duration{0}, 0, 1, 10},
		"age drops the old":         {alerts.Retention{MaxAge: 90 * time.Minute}, []time.Duration{0, time.Hour, 2 * time.Hour}, 2 * time.Hour, 11, 20},
		"age drops everything":      {alerts.Retention{MaxAge: time.Minute}, []time.Duration{0, time.Hour}, 3 * time.Hour, 0, 0},
		"count and age, age wins":   {alerts.Retention{MaxCount: 25, MaxAge: 30 * time.Minute}, []time.Duration{0, time.Hour, 2 * time.Hour}, 2 * time.Hour, 21, 10},
		"count and age, count wins": {alerts.Retention{MaxCount: 5, MaxAge: 10 * time.Hour}, []time.Duration{0, time.Hour}, 2 * time.Hour, 16, 5},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			st := openStore(t, dir)
			l := openLog(t, st, c.ret)
			var now time.Time
			alerts.SetClock(l, func() time.Time { return now })
			for i, off := range c.appendAt {
				now = t0.Add(off)
				if _, err := l.Append(ctx, samples(i*10, 10)); err != nil {
					t.Fatal(err)
				}
			}
			now = t0.Add(c.pruneAt)
			if _, err := l.Prune(ctx); err != nil {
				t.Fatal(err)
			}
			kept, err := l.Since(ctx, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(kept) != c.wantN {
				t.Fatalf("kept %d alerts, want %d", len(kept), c.wantN)
			}
			if c.wantN > 0 && kept[0].Seq != c.wantFirst {
				t.Fatalf("first kept seq %d, want %d", kept[0].Seq, c.wantFirst)
			}
			// The counter survives pruning and a restart.
			last := uint64(10 * len(c.appendAt))
			closeStore(t, st)
			st = openStore(t, dir)
			l = openLog(t, st, c.ret)
			if l.Last() != last {
				t.Fatalf("after prune and reopen Last = %d, want %d", l.Last(), last)
			}
			got, err := l.Append(ctx, samples(0, 1))
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Seq != last+1 {
				t.Fatalf("next seq %d, want %d", got[0].Seq, last+1)
			}
		})
	}
}
