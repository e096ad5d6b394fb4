package redis

import (
	"errors"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/tracer"
)

// Two replicas on one Redis: one holds the leases, renewed past their
// lifetime; the standby writes no chain state. The holder stalls (its
// renewal paused, as a stopped process's), the standby takes over within
// the lease, and the stalled one's next write is refused by the fence:
// nothing of it lands, and it stands by.
func TestLeaseFencing(t *testing.T) {
	leaseFencing(t, testnodes.StartRedis(t).URL)
}

// The same on a three-node Redis Cluster: the leases, fences and the
// guarded writes share the prefix's slot.
func TestLeaseFencingCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node Redis Cluster")
	}
	leaseFencing(t, testnodes.StartRedisCluster(t).URL)
}

func leaseFencing(t *testing.T, url string) {
	p := freshPrefix()
	both := []chains.Chain{chains.Ethereum, chains.Bitcoin}
	const ttl = 600 * time.Millisecond
	openReplica := func(id string, cs []chains.Chain) *Store {
		s, err := Open(ctx, url, Options{Prefix: p, Replica: id, Chains: cs, Lease: ttl})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := openReplica("A", both), openReplica("B", both)
	if ok, _, err := a.Acquire(ctx); !ok || err != nil {
		t.Fatalf("A acquire: %v %v", ok, err)
	}
	time.Sleep(3 * ttl) // renewed meanwhile
	if ok, holder, err := b.Acquire(ctx); ok || err != nil || holder != "A" {
		t.Fatalf("B acquired leases A holds: ok %v holder %q err %v", ok, holder, err)
	}
	// All or none: a replica of one chain cannot take it either.
	if ok, _, _ := openReplica("C", []chains.Chain{chains.Bitcoin}).Acquire(ctx); ok {
		t.Fatal("C took the bitcoin lease A holds")
	}
	ref := func(n uint64) chains.BlockRef { return chains.BlockRef{Number: n, Hash: "0x1"} }
	if err := b.SaveCheckpoint(ctx, chains.Ethereum, ref(1)); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("standby saved a checkpoint: %v", err)
	}
	if err := a.SaveCheckpoint(ctx, chains.Ethereum, ref(1)); err != nil {
		t.Fatal(err)
	}
	lost := a.Lost()

	a.ls.mu.Lock()
	a.ls.paused = true
	a.ls.mu.Unlock()
	start := time.Now()
	for {
		ok, _, err := b.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Since(start) > 3*ttl {
			t.Fatalf("B did not take over within %s", 3*ttl)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if took := time.Since(start); took > ttl+200*time.Millisecond {
		t.Errorf("takeover after %s, lease %s", took, ttl)
	}
	if !a.Active() {
		t.Fatal("A knew of its loss before writing: the test pauses nothing")
	}
	// A resumes: its block write is refused whole by the fence.
	err := a.WriteBlock(ctx, store.Block{Chain: chains.Ethereum, Puts: []tracer.KV{{Key: []byte("x"), Value: []byte("1")}},
		Alerts:     &alerts.AlertWrite{Records: []alerts.Record{{Alert: alerts.Alert{Seq: 1, Type: alerts.TypeTreasuryOutflow, Severity: alerts.High, Chain: "ethereum"}}}, Last: 1},
		Checkpoint: &chains.BlockRef{Number: 2, Hash: "0x2"}})
	if !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("stalled replica's write: %v, want ErrLeaseLost", err)
	}
	select {
	case <-lost:
	default:
		t.Fatal("refused write did not end A's term")
	}
	if a.Active() || a.Roles()[chains.Ethereum] != "standby" || b.Roles()[chains.Bitcoin] != "active" {
		t.Fatalf("roles: A %v, B %v", a.Roles(), b.Roles())
	}
	if cp, _, _ := b.Checkpoint(ctx, chains.Ethereum); cp.Number != 1 {
		t.Fatalf("checkpoint %d after the refused write, want 1", cp.Number)
	}
	if last, _ := b.LastAlertSeq(ctx); last != 0 {
		t.Fatalf("refused write appended alerts through %d", last)
	}
	n := 0
	b.ScanTracer(ctx, func(k, v []byte) error { n++; return nil })
	if n != 0 {
		t.Fatal("refused write stored tracer state")
	}
	// Later writes of A are refused without reaching Redis; B writes.
	w := a.Writes()
	if err := a.SaveTracer(ctx, []tracer.KV{{Key: []byte("x"), Value: []byte("1")}}, nil); !errors.Is(err, ErrLeaseLost) || a.Writes() != w {
		t.Fatalf("standby tracer write: %v (writes %d → %d)", err, w, a.Writes())
	}
	if err := b.SaveCheckpoint(ctx, chains.Ethereum, ref(3)); err != nil {
		t.Fatal(err)
	}
	// A resumes renewing: it does not get the leases back.
	a.ls.mu.Lock()
	a.ls.paused = false
	a.ls.mu.Unlock()
	if ok, holder, _ := a.Acquire(ctx); ok || holder != "B" {
		t.Fatalf("A took the leases back from B: ok %v holder %q", ok, holder)
	}
	// B releases on close: A takes over at once.
	b.Close()
	if ok, _, err := a.Acquire(ctx); !ok || err != nil {
		t.Fatalf("A after B released: %v %v", ok, err)
	}
}
