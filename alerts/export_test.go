package alerts

import "time"

// SetClock replaces the log's clock (retention by age, Appended times).
func SetClock(l *Log, now func() time.Time) { l.now = now }
