package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Prune deletes the stored alerts that Retention no longer keeps: all but
// the MaxCount most recent, and those appended more than MaxAge ago. The
// sequence counter is kept, so seqs never repeat. It returns how many
// alerts it deleted.
func (l *Log) Prune(ctx context.Context) (int, error) {
	if l.ret.MaxCount == 0 && l.ret.MaxAge <= 0 {
		return 0, nil
	}
	last := l.last.Load()
	var through uint64
	if l.ret.MaxCount > 0 && last > l.ret.MaxCount {
		through = last - l.ret.MaxCount
	}
	if l.ret.MaxAge > 0 {
		cutoff := l.now().Add(-l.ret.MaxAge)
		after := through
	scan:
		for {
			recs, err := l.st.AlertsSince(ctx, after, 1000)
			if err != nil {
				return 0, fmt.Errorf("prune alerts: read after %d: %w", after, err)
			}
			if len(recs) == 0 {
				break
			}
			for _, r := range recs {
				if !r.Appended.Before(cutoff) {
					break scan
				}
				through = r.Alert.Seq
			}
			after = recs[len(recs)-1].Alert.Seq
		}
	}
	if through == 0 {
		return 0, nil
	}
	n, err := l.st.PruneAlerts(ctx, through)
	if err != nil {
		return n, fmt.Errorf("prune alerts through %d: %w", through, err)
	}
	return n, nil
}

// RunRetention prunes every interval until ctx is done. Errors are logged
// and retried at the next tick.
func (l *Log) RunRetention(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := l.Prune(ctx); err != nil {
			slog.Warn("alert retention", "err", err)
		} else if n > 0 {
			slog.Debug("alert retention", "pruned", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
