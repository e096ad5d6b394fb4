package daemon

import (
	"context"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store/redis"
	"github.com/chainhound/chainhound/tracer"
)

// A block's tracer writes are held back and reach Redis with its alerts
// or its checkpoint, in the order they were made; the follower's own
// checkpoint write of that block is then not repeated.
func TestBlockStoreHoldsBlockWrites(t *testing.T) {
	ctx := context.Background()
	r := testnodes.StartRedis(t)
	rs, err := redis.Open(ctx, r.URL, redis.Options{Lock: true})
	if err != nil {
		t.Fatal(err)
	}
	bs := &blockStore{Backend: rs, saved: map[chains.Chain]chains.BlockRef{}}
	defer bs.Close()
	state := func() map[string]string {
		m := map[string]string{}
		bs.ScanTracer(ctx, func(k, v []byte) error { m[string(k)] = string(v); return nil })
		return m
	}
	kv := func(k, v string) tracer.KV { return tracer.KV{Key: []byte(k), Value: []byte(v)} }

	bctx, held := withBlock(ctx, chains.Ethereum, true)
	if err := bs.SaveTracer(bctx, []tracer.KV{kv("a", "1"), kv("b", "1")}, nil); err != nil {
		t.Fatal(err)
	}
	// Deleted after it was put in the same block: gone; put after its
	// delete: there.
	if err := bs.SaveTracer(bctx, []tracer.KV{kv("c", "1"), kv("b", "2")}, [][]byte{[]byte("a"), []byte("b")}); err != nil {
		t.Fatal(err)
	}
	if got := state(); len(got) != 0 || rs.Writes() != 0 {
		t.Fatalf("held writes reached Redis early: %v, %d writes", got, rs.Writes())
	}
	// Alerts go out at once, carrying what is held.
	rec := alerts.Record{Alert: alerts.Alert{Seq: 1, Type: alerts.TypeTreasuryOutflow, Severity: alerts.High, Chain: "ethereum"}}
	if err := bs.WriteAlerts(bctx, alerts.AlertWrite{Records: []alerts.Record{rec}, Last: 1}); err != nil {
		t.Fatal(err)
	}
	if got, want := state(), map[string]string{"b": "2", "c": "1"}; !reflect.DeepEqual(got, want) || rs.Writes() != 1 {
		t.Fatalf("after the alerts: %v in %d writes, want %v in 1", got, rs.Writes(), want)
	}
	if err := bs.SaveTracer(bctx, []tracer.KV{kv("d", "1")}, [][]byte{[]byte("c")}); err != nil {
		t.Fatal(err)
	}
	ref := chains.BlockRef{Number: 7, Hash: "0x7", Parent: "0x6"}
	held.checkpoint = &ref
	if err := bs.flush(bctx, held); err != nil {
		t.Fatal(err)
	}
	if got, want := state(), map[string]string{"b": "2", "d": "1"}; !reflect.DeepEqual(got, want) || rs.Writes() != 2 {
		t.Fatalf("after the block: %v in %d writes, want %v in 2", got, rs.Writes(), want)
	}
	if got, _, _ := bs.Checkpoint(ctx, chains.Ethereum); got != ref {
		t.Fatalf("checkpoint %+v, want %+v", got, ref)
	}
	// The follower's checkpoint of the same block: no second write.
	if err := bs.SaveCheckpoint(ctx, chains.Ethereum, ref); err != nil || rs.Writes() != 2 {
		t.Fatalf("follower's checkpoint: %v, %d writes", err, rs.Writes())
	}
	// Another checkpoint (a disconnect's parent), and writes outside a
	// block, go through.
	parent := chains.BlockRef{Number: 6, Hash: "0x6"}
	if err := bs.SaveCheckpoint(ctx, chains.Ethereum, parent); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := bs.Checkpoint(ctx, chains.Ethereum); got != parent {
		t.Fatalf("checkpoint %+v, want %+v", got, parent)
	}
	if err := bs.SaveTracer(ctx, []tracer.KV{kv("e", "1")}, nil); err != nil {
		t.Fatal(err)
	}
	if got := state(); got["e"] != "1" {
		t.Fatalf("a write outside a block was held: %v", got)
	}
	// A block whose alerts come last: alerts, held batches and checkpoint
	// in one write.
	bctx, held = withBlock(ctx, chains.Ethereum, true)
	if err := bs.SaveTracer(bctx, []tracer.KV{kv("g", "1")}, nil); err != nil {
		t.Fatal(err)
	}
	ref8 := chains.BlockRef{Number: 8, Hash: "0x8", Parent: "0x7"}
	held.checkpoint = &ref8
	w0 := rs.Writes()
	rec.Alert.Seq = 2
	if err := bs.WriteAlerts(bctx, alerts.AlertWrite{Records: []alerts.Record{rec}, Last: 2}); err != nil {
		t.Fatal(err)
	}
	if err := bs.flush(bctx, held); err != nil {
		t.Fatal(err)
	}
	if err := bs.SaveCheckpoint(ctx, chains.Ethereum, ref8); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := bs.Checkpoint(ctx, chains.Ethereum); got != ref8 || state()["g"] != "1" || rs.Writes()-w0 != 1 {
		t.Fatalf("block with alerts: checkpoint %+v, state %v, %d writes; want one write", got, state(), rs.Writes()-w0)
	}
	// A block whose handling failed is never flushed: its held writes go.
	bctx, _ = withBlock(ctx, chains.Ethereum, true)
	if err := bs.SaveTracer(bctx, []tracer.KV{kv("f", "1")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := state()["f"]; ok {
		t.Fatal("a held write of an unfinished block reached Redis")
	}
}
