package alerts_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/cockroachdb/pebble"
)

// Append against a bare synced pebble batch of the same record bytes: the
// difference is the log's own cost (seq assignment, encoding, fan-out).
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("log/batch=%d", n), func(b *testing.B) {
			l := openLog(b, openStore(b, b.TempDir()), alerts.Retention{})
			sub := l.Subscribe(1 << 20) // one live subscriber reading
			go func() {
				for range sub.C {
				}
			}()
			defer sub.Close()
			batch := samples(0, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := l.Append(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "alerts/s")
		})
		b.Run(fmt.Sprintf("bare-pebble/batch=%d", n), func(b *testing.B) {
			db := openBare(b)
			vals := make([][]byte, n)
			for i, a := range samples(0, n) {
				vals[i], _ = json.Marshal(alerts.Record{Alert: a, Audience: a.Audience, Appended: time.Now()})
			}
			var seq uint64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bt := db.NewBatch()
				for _, v := range vals {
					seq++
					bt.Set(seqKey(seq), v, nil)
				}
				bt.Set([]byte("a/s"), seqKey(seq), nil)
				if err := bt.Commit(pebble.Sync); err != nil {
					b.Fatal(err)
				}
				bt.Close()
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "alerts/s")
		})
	}
}

// Since reads pages of 1000 from a log of 10,000 alerts, beside a bare
// pebble scan of the same keys that decodes nothing.
func BenchmarkSince(b *testing.B) {
	ctx := context.Background()
	const total, page = 10000, 1000
	b.Run("log", func(b *testing.B) {
		l := openLog(b, openStore(b, b.TempDir()), alerts.Retention{})
		for i := 0; i < total; i += 1000 {
			if _, err := l.Append(ctx, samples(i, 1000)); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		read := 0
		for i := 0; i < b.N; i++ {
			as, err := l.Since(ctx, uint64(i*page%total), page)
			if err != nil {
				b.Fatal(err)
			}
			read += len(as)
		}
		b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "alerts/s")
	})
	b.Run("bare-pebble", func(b *testing.B) {
		db := openBare(b)
		bt := db.NewBatch()
		for i, a := range samples(0, total) {
			v, _ := json.Marshal(alerts.Record{Alert: a, Audience: a.Audience, Appended: time.Now()})
			bt.Set(seqKey(uint64(i+1)), v, nil)
		}
		if err := bt.Commit(pebble.Sync); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		read, bytes := 0, 0
		for i := 0; i < b.N; i++ {
			from := uint64(i*page%total) + 1
			it, _ := db.NewIter(&pebble.IterOptions{LowerBound: seqKey(from), UpperBound: seqKey(from + page)})
			for it.First(); it.Valid(); it.Next() {
				bytes += len(it.Value())
				read++
			}
			it.Close()
		}
		b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "alerts/s")
	})
}

func openBare(b *testing.B) *pebble.DB {
	db, err := pebble.Open(filepath.Join(b.TempDir(), "bare"), &pebble.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func seqKey(seq uint64) []byte {
	k := []byte("a/r/\x00\x00\x00\x00\x00\x00\x00\x00")
	binary.BigEndian.PutUint64(k[4:], seq)
	return k
}
