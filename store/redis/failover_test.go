package redis

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	goredis "github.com/redis/go-redis/v9"
)

func sentinelReplica(t testing.TB, rs *testnodes.RedisSentinel, wait int) *Store {
	s, err := Open(ctx, "", Options{
		Prefix: freshPrefix(), Replica: "A", Chains: []chains.Chain{chains.Ethereum}, Lease: 10 * time.Second,
		Sentinel:     &Sentinel{Master: rs.Name, Addrs: []string{rs.Sentinel}},
		WaitReplicas: wait, WaitTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if ok, _, err := s.Acquire(ctx); !ok || err != nil {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	return s
}

// A master, its replica and a sentinel; the store finds the master
// through the sentinel and waits for the replica (WAIT 1) at every block.
// Blocks are written while the sentinel promotes the replica: every write
// returns only once it is on the replica, so the promoted one holds every
// acknowledged block and alert; the writes during the failover are sent
// again until the new master takes them (READONLY, connections closed),
// and each lands once: the stream is 1..n without a gap or a repeat.
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis master, replica and sentinel")
	}
	rs := testnodes.StartRedisSentinel(t)
	s := sentinelReplica(t, rs, 1)
	const before, total = 5, 40
	w := &seqWriter{s: s, acked: map[uint64]uint64{}, t: t}
	write := w.write
	for i := uint64(1); i <= before; i++ {
		if err := write(100 + i); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		for i := uint64(before + 1); i <= total; i++ {
			if err := write(100 + i); err != nil {
				done <- err
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		done <- nil
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	promoted := rs.Failover(t)
	t.Logf("sentinel named %s master %s after SENTINEL FAILOVER", promoted, time.Since(start).Round(time.Millisecond))
	if err := <-done; err != nil {
		t.Fatalf("a write across the failover: %v", err)
	}
	// The store now writes to the promoted replica.
	if got, err := s.c.Do(ctx, "ROLE").Slice(); err != nil || got[0] != "master" {
		t.Fatalf("the store's Redis after the failover: %v %v", got, err)
	}
	if ref, _, err := s.Checkpoint(ctx, chains.Ethereum); err != nil || ref.Number != 100+total {
		t.Fatalf("checkpoint %d (%v), want %d", ref.Number, err, 100+total)
	}
	// No seq names two alerts: every alert in the stream is the one
	// acknowledged with its seq.
	recs, err := s.AlertsSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if want := "0xtx" + itoa(w.acked[r.Alert.Seq]); r.Alert.Tx != want {
			t.Fatalf("seq %d holds block %s, acknowledged with block %d", r.Alert.Seq, r.Alert.Tx, w.acked[r.Alert.Seq])
		}
	}
	if got, _ := s.LastAlertSeq(ctx); got != w.last || recs[len(recs)-1].Alert.Seq != w.last {
		t.Fatalf("counter %d, stream ends at %d, want %d", got, recs[len(recs)-1].Alert.Seq, w.last)
	}
	t.Logf("%d alerts acknowledged, %d in the promoted replica's stream", w.last, len(recs))
	if !s.Active() {
		t.Fatal("the replica lost its term across the failover")
	}
}

// seqWriter writes blocks with one alert each, as the daemon would: seqs
// above the last one acknowledged, over a counter a failover set back
// (alerts.Log), and a new term when the store lost the last write.
type seqWriter struct {
	s     *Store
	last  uint64
	acked map[uint64]uint64 // seq → block of the write acknowledged with it; nil: not kept
	t     testing.TB        // logs what a failover did, when set
}

func (w *seqWriter) write(number uint64) error {
	blk := blockWithAlerts(w.last+1, 1, number)
	var err error
	for try := 0; try < 3; try++ {
		err = w.s.WriteBlock(ctx, blk)
		var taken *alerts.SeqTakenError
		switch {
		case errors.As(err, &taken) && taken.Last < w.last:
			if w.t != nil {
				w.t.Logf("block %d: the store went back to seq %d below %d acknowledged", number, taken.Last, w.last)
			}
			blk.Alerts.Regressed = true
			continue
		case errors.Is(err, ErrLeaseLost) && strings.Contains(err.Error(), "lost this replica's last write"):
			if w.t != nil {
				w.t.Logf("block %d: %v; a new term", number, err)
			}
			if ok, _, aerr := w.s.Acquire(ctx); !ok || aerr != nil {
				return fmt.Errorf("acquire after a lost write: %v %w", ok, aerr)
			}
			continue
		}
		break
	}
	if err != nil {
		return fmt.Errorf("block %d: %w", number, err)
	}
	w.last++
	if w.acked != nil {
		w.acked[w.last] = number
	}
	return nil
}

// BenchmarkBlockWriteWait is the cost of store.wait_replicas: a block's
// write (a tracer put, one alert, the checkpoint) on a master with two
// replicas, without WAIT and with WAIT 1 in the same round trip, beside a
// bare PING.
func BenchmarkBlockWriteWait(b *testing.B) {
	rs := testnodes.StartRedisSentinel(b)
	for _, n := range []int{0, 1, 2} {
		s := sentinelReplica(b, rs, n)
		if n == 0 {
			b.Run("ping", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if err := s.c.Ping(ctx).Err(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		w := &seqWriter{s: s}
		b.Run(fmt.Sprintf("block-wait=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := w.write(uint64(1000 + w.last)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSentinelFailover measures, per SENTINEL FAILOVER, the time from
// the command to the first block written on the promoted replica, with a
// block written every 10 ms meanwhile (wait_replicas 1). Run it with
// -benchtime 1x: each failover leaves the sentinel a while to settle.
func BenchmarkSentinelFailover(b *testing.B) {
	rs := testnodes.StartRedisSentinel(b)
	s := sentinelReplica(b, rs, 1)
	w := &seqWriter{s: s}
	port := func() string {
		v, err := s.c.ConfigGet(ctx, "port").Result()
		if err != nil {
			return ""
		}
		return v["port"]
	}
	if err := w.write(1); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for i := 0; i < b.N; i++ {
		before := port()
		sc := goredis.NewSentinelClient(&goredis.Options{Addr: rs.Sentinel})
		start := time.Now()
		if err := sc.Failover(ctx, rs.Name).Err(); err != nil {
			b.Fatal(err)
		}
		sc.Close()
		for {
			if err := w.write(uint64(2 + i*10000 + int(w.last))); err != nil {
				b.Fatal(err)
			}
			if p := port(); p != "" && p != before {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		total += time.Since(start)
		if i+1 < b.N {
			time.Sleep(15 * time.Second) // the sentinel's failover timeout, before the next
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/failover")
}
