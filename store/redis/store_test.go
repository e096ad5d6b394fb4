package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/tracer"
)

var ctx = context.Background()

// A second locking Open is refused, naming the holder; the lock returns
// at Close; a store whose lock passed to another process writes nothing.
func TestLock(t *testing.T) {
	r := testnodes.StartRedis(t)
	p := freshPrefix()
	a, err := Open(ctx, r.URL, Options{Prefix: p, Lock: true, LockTTL: 600 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, r.URL, Options{Prefix: p, Lock: true})
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), p+"lock") || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second open: %v, want ErrInUse naming the lock and its holder", err)
	}
	// Without the lock (the CLI's key commands): allowed.
	cli, err := Open(ctx, r.URL, Options{Prefix: p})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	// Renewed past its TTL.
	time.Sleep(1500 * time.Millisecond)
	if err := a.SaveCheckpoint(ctx, chains.Ethereum, chains.BlockRef{Number: 1, Hash: "0x1"}); err != nil {
		t.Fatalf("write after the TTL passed, lock renewed: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, r.URL, Options{Prefix: p, Lock: true})
	if err != nil {
		t.Fatalf("open after the holder closed: %v", err)
	}
	// b stalls; its lock expires and another process takes it.
	c := r.Client(t)
	if err := c.Set(ctx, p+"lock", "someone else", 0).Err(); err != nil {
		t.Fatal(err)
	}
	err = b.WriteBlock(ctx, store.Block{Chain: chains.Ethereum, Puts: []tracer.KV{{Key: []byte("k"), Value: []byte("v")}}, Checkpoint: &chains.BlockRef{Number: 2, Hash: "0x2"}})
	if !errors.Is(err, ErrLockLost) {
		t.Fatalf("write without the lock: %v, want ErrLockLost", err)
	}
	if ref, _, _ := cli.Checkpoint(ctx, chains.Ethereum); ref.Number != 1 {
		t.Fatalf("a refused write moved the checkpoint to %d", ref.Number)
	}
	if n, _ := c.HLen(ctx, p+"t").Result(); n != 0 {
		t.Fatalf("a refused write left %d tracer keys", n)
	}
	b.Close()
	if v, _ := c.Get(ctx, p+"lock").Result(); v != "someone else" {
		t.Fatalf("Close released a lock it did not hold: %q", v)
	}
}

// Alerts whose seqs another process took, or out of order, are refused,
// and the block they came with is not written at all.
func TestBlockRefusedWhole(t *testing.T) {
	r := testnodes.StartRedis(t)
	s, err := Open(ctx, r.URL, Options{Prefix: freshPrefix(), Lock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := func(seq uint64) alerts.Record {
		return alerts.Record{Alert: alerts.Alert{Seq: seq, Type: alerts.TypeTreasuryOutflow, Severity: alerts.High, Chain: "ethereum"}}
	}
	if err := s.WriteAlerts(ctx, alerts.AlertWrite{Records: []alerts.Record{rec(1), rec(2)}, Last: 2}); err != nil {
		t.Fatal(err)
	}
	ref := chains.BlockRef{Number: 9, Hash: "0x9"}
	for _, c := range []struct {
		seqs []uint64
		want string
	}{
		{[]uint64{2, 3}, "alert seqs taken by another process (the log is at 2)"},
		{[]uint64{3, 3}, "alert 3 is not above alert 3 of the same write"},
	} {
		var recs []alerts.Record
		for _, seq := range c.seqs {
			recs = append(recs, rec(seq))
		}
		err = s.WriteBlock(ctx, store.Block{
			Chain: chains.Ethereum, Puts: []tracer.KV{{Key: []byte("l/ethereum"), Value: []byte("9")}},
			Alerts:     &alerts.AlertWrite{Records: recs, Last: 3, SetFindings: []alerts.FindingSeq{{ID: "f", Seq: 3}}},
			Checkpoint: &ref,
		})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("block with alerts %v: %v, want %q", c.seqs, err, c.want)
		}
	}
	if _, ok, _ := s.AlertFinding(ctx, "f"); ok {
		t.Fatal("refused block indexed its finding")
	}
	if _, ok, _ := s.Checkpoint(ctx, chains.Ethereum); ok {
		t.Fatal("refused block saved its checkpoint")
	}
	if last, _ := s.LastAlertSeq(ctx); last != 2 {
		t.Fatalf("refused block moved the counter to %d", last)
	}
	if rs, _ := s.AlertsSince(ctx, 2, 0); len(rs) != 0 {
		t.Fatalf("refused block appended %d alerts", len(rs))
	}
	n := 0
	s.ScanTracer(ctx, func(k, v []byte) error { n++; return nil })
	if n != 0 {
		t.Fatalf("refused block wrote %d tracer keys", n)
	}
}

// Every key the store writes carries the prefix's hash tag: one slot.
func TestKeysShareOneSlot(t *testing.T) {
	r := testnodes.StartRedis(t)
	s, err := Open(ctx, r.URL, Options{Lock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ref := chains.BlockRef{Number: 1, Hash: "0x1"}
	if err := s.WriteBlock(ctx, store.Block{Chain: chains.Bitcoin, Puts: []tracer.KV{{Key: []byte("a"), Value: []byte("b")}},
		Alerts:     &alerts.AlertWrite{Records: []alerts.Record{{Alert: alerts.Alert{Seq: 1, Chain: "bitcoin"}}}, Last: 1, SetFindings: []alerts.FindingSeq{{ID: "f", Seq: 1}}, AddBlocks: []alerts.BlockSeq{{Chain: chains.Bitcoin, Hash: "0x1", Seq: 1}}},
		Checkpoint: &ref}); err != nil {
		t.Fatal(err)
	}
	c := r.Client(t)
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 7 {
		t.Fatalf("keys %v", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, DefaultPrefix) {
			t.Errorf("key %q outside the prefix %s", k, DefaultPrefix)
		}
	}
	// Cluster hashes the first {…} of a key: the same tag, the same slot.
	for _, k := range keys {
		i := strings.IndexByte(k, '{')
		j := strings.IndexByte(k, '}')
		if i != 0 || j < 0 || k[:j+1] != "{ch}" {
			t.Errorf("key %q: hash tag is not {ch}", k)
		}
	}
	if _, err := Open(ctx, r.URL, Options{Prefix: "ch:"}); err == nil || !strings.Contains(err.Error(), "hash tag") {
		t.Fatalf("a prefix without hash tag: %v", err)
	}
}
