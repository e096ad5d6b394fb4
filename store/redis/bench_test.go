package redis

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/tracer"
	goredis "github.com/redis/go-redis/v9"
)

// BenchmarkBlockWrite compares one block's write (a tracer batch of 20
// puts and 2 deletes, one alert with its indexes, the checkpoint) in one
// script against a bare PING round trip and against the same writes made
// as three calls (tracer, alerts, checkpoint).
func BenchmarkBlockWrite(b *testing.B) {
	r := testnodes.StartRedis(b)
	s, err := Open(ctx, r.URL, Options{Prefix: freshPrefix(), Lock: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	seq := uint64(0)
	block := func(n uint64) store.Block {
		puts := make([]tracer.KV, 20)
		for i := range puts {
			puts[i] = tracer.KV{Key: []byte(fmt.Sprintf("h/ethereum/0x%040x/%d", n, i)), Value: make([]byte, 64)}
		}
		seq++
		ref := chains.BlockRef{Number: n, Hash: fmt.Sprintf("0x%064x", n), Parent: fmt.Sprintf("0x%064x", n-1), Time: time.Now()}
		rec := alerts.Record{Alert: alerts.Alert{Seq: seq, Type: alerts.TypeExchangeDeposit, Severity: alerts.Critical, Chain: "ethereum",
			Block: &alerts.BlockRef{Number: n, Hash: ref.Hash}, Tx: ref.Hash, Amount: "299000000000000000000", Finding: fmt.Sprintf("f%d", seq)}, Appended: time.Now()}
		return store.Block{
			Chain: chains.Ethereum, Puts: puts, Deletes: [][]byte{[]byte(fmt.Sprintf("j/ethereum/%d", n-256)), []byte("x")},
			Alerts: &alerts.AlertWrite{Records: []alerts.Record{rec}, Last: seq, SetFindings: []alerts.FindingSeq{{ID: rec.Alert.Finding, Seq: seq}},
				AddBlocks: []alerts.BlockSeq{{Chain: chains.Ethereum, Hash: ref.Hash, Seq: seq}}},
			Checkpoint: &ref,
		}
	}
	b.Run("ping", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := s.c.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("block-one-script", func(b *testing.B) {
		s.c.ConfigResetStat(ctx)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			blk := block(uint64(i + 1000))
			b.StartTimer()
			if err := s.WriteBlock(ctx, blk); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		reportScriptTime(b, s)
	})
	// What the write id costs inside a block's script (decision 0020):
	// the look-up, the add and the trim of the applied set, alone.
	marker := goredis.NewScript(`
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 'APPLIED' end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -4097)
return 'OK'`)
	b.Run("applied-marker-alone", func(b *testing.B) {
		k := s.key("bench-applied")
		s.c.ConfigResetStat(ctx)
		for i := 0; i < b.N; i++ {
			if err := marker.Run(ctx, s.c, []string{k}, newWriteID(), time.Now().UnixMilli()).Err(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		reportScriptTime(b, s)
	})
	b.Run("block-three-calls", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			blk := block(uint64(i + 1000))
			b.StartTimer()
			if err := s.SaveTracer(ctx, blk.Puts, blk.Deletes); err != nil {
				b.Fatal(err)
			}
			if err := s.WriteAlerts(ctx, *blk.Alerts); err != nil {
				b.Fatal(err)
			}
			if err := s.SaveCheckpoint(ctx, blk.Chain, *blk.Checkpoint); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAlertAppend appends alerts through the alert log to the stream,
// one per call and in batches of 100, beside a bare XADD of the same
// record bytes (one per round trip, and 100 in one pipeline).
func BenchmarkAlertAppend(b *testing.B) {
	r := testnodes.StartRedis(b)
	sample := func(i int) alerts.Alert {
		return alerts.Alert{Type: alerts.TypeExchangeDeposit, Severity: alerts.Critical, Chain: "ethereum",
			Block: &alerts.BlockRef{Number: uint64(i), Hash: fmt.Sprintf("0x%064x", i)}, Tx: fmt.Sprintf("0x%064x", i),
			Amount: "299000000000000000000", Tainted: "299000000000000000000", Audience: []string{"exch"}}
	}
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("log/batch=%d", n), func(b *testing.B) {
			s, err := Open(ctx, r.URL, Options{Prefix: freshPrefix(), Lock: true})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			l, err := alerts.OpenLog(ctx, s, alerts.Retention{})
			if err != nil {
				b.Fatal(err)
			}
			batch := make([]alerts.Alert, n)
			for i := range batch {
				batch[i] = sample(i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := l.Append(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "alerts/s")
		})
		b.Run(fmt.Sprintf("bare-xadd/batch=%d", n), func(b *testing.B) {
			c := r.Client(b)
			key := freshPrefix() + "bare"
			v, _ := json.Marshal(alerts.Record{Alert: sample(1), Audience: []string{"exch"}, Appended: time.Now()})
			seq := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := c.Pipeline()
				for k := 0; k < n; k++ {
					seq++
					p.XAdd(ctx, &goredis.XAddArgs{Stream: key, ID: fmt.Sprintf("%d-0", seq), Values: []any{"r", v}})
				}
				if _, err := p.Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "alerts/s")
		})
	}
}

// reportScriptTime reports the scripts' own time inside Redis, per call,
// from its command statistics (reset when the benchmark began).
func reportScriptTime(b *testing.B, s *Store) {
	info, _ := s.c.Info(ctx, "commandstats").Result()
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_evalsha:"); ok {
			for _, f := range strings.Split(strings.TrimSpace(rest), ",") {
				if v, ok := strings.CutPrefix(f, "usec_per_call="); ok {
					us, _ := strconv.ParseFloat(v, 64)
					b.ReportMetric(us, "redis-µs/op")
				}
			}
		}
	}
}
