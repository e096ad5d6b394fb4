package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/store/redis"
	"github.com/chainhound/chainhound/tracer"
	"github.com/prometheus/client_golang/prometheus"
)

// openStore opens the configured backend. On Redis the process is a
// replica: it writes chain state only while it holds its chains' leases
// (Daemon.lead), and the store is wrapped so that a block's writes reach
// it in as few round trips as the write order allows (blockStore).
func openStore(ctx context.Context, cfg *config.Config, lg *slog.Logger) (store.Backend, *redis.Store, error) {
	if cfg.Store.Backend == "redis" {
		var cs []chains.Chain // their leases, in the registration order
		for _, sp := range registered {
			if sp.section(cfg) != nil {
				cs = append(cs, sp.chain)
			}
		}
		s, err := redis.Open(ctx, cfg.Store.URL, redis.Options{
			Replica: redis.NewReplicaID(), Chains: cs, Lease: cfg.Store.Lease, Logger: lg,
			Sentinel: RedisSentinel(cfg.Store.Sentinel), WaitReplicas: cfg.Store.WaitReplicas, WaitTimeout: cfg.Store.WaitTimeout,
		})
		if err != nil {
			return nil, nil, err
		}
		return &blockStore{Backend: s, saved: map[chains.Chain]chains.BlockRef{}}, s, nil
	}
	s, err := pebble.OpenWith(cfg.DataDir, pebble.Options{Logger: lg})
	if err != nil {
		return nil, nil, err // not a nil *pebble.Store in a non-nil Backend
	}
	return s, nil, nil
}

// replicaInfo is what /healthz says of the replica: nil when not one.
func (d *Daemon) replicaInfo() api.Replica {
	if d.rs == nil {
		return nil
	}
	return d.rs
}

// blockStore holds back the writes made while one block is handled (a
// context from withBlock): the tracer's batches, and for a connected block
// its findings too (the daemon raises them once the tracer is done with the
// block, see Daemon.handler). The block's alerts are then written with the
// held tracer batches and its checkpoint in one write, one round trip;
// a block without alerts writes its batches with its checkpoint. A
// disconnected block's retractions are written with its held batches at
// once and its checkpoint after (two round trips; reorgs are rare). Alert
// writes are never held past their own call: subscribers see alerts when
// the write returns, and alerts of two chains must reach the log in seq
// order. All of a block's held writes are lost together when it fails,
// like a crash before them, and the failure stops the daemon: the follower
// resumes from the previous checkpoint after a restart.
type blockStore struct {
	store.Backend

	mu    sync.Mutex
	saved map[chains.Chain]chains.BlockRef // checkpoints written with their block
}

type pendingKey struct{}

// pending is what one block's handling has held back.
type pending struct {
	chain       chains.Chain
	puts        []tracer.KV
	dels        [][]byte
	findings    []tracer.Finding
	retractions []tracer.Finding
	// connected: a connected block, whose findings are held
	connected bool
	// checkpoint goes with the block's last write (set once the tracer
	// is done with it).
	checkpoint *chains.BlockRef
}

// withBlock returns ctx marked as handling a block of chain.
func withBlock(ctx context.Context, chain chains.Chain, connected bool) (context.Context, *pending) {
	p := &pending{chain: chain, connected: connected}
	return context.WithValue(ctx, pendingKey{}, p), p
}

// holdFindings keeps fs for the end of the block when ctx is handling a
// connected one.
func holdFindings(ctx context.Context, fs []tracer.Finding) bool {
	p := pendingOf(ctx)
	if p == nil || !p.connected {
		return false
	}
	p.findings = append(p.findings, fs...)
	return true
}

// holdRetractions keeps fs for the end of the block when ctx is handling
// a connected one (the engine retracts there the findings of blocks it
// applied again).
func holdRetractions(ctx context.Context, fs []tracer.Finding) bool {
	p := pendingOf(ctx)
	if p == nil || !p.connected {
		return false
	}
	p.retractions = append(p.retractions, fs...)
	return true
}

func pendingOf(ctx context.Context) *pending {
	p, _ := ctx.Value(pendingKey{}).(*pending)
	return p
}

// add merges a tracer batch (deletes before puts) into what is held: a
// key deleted now loses an earlier put.
func (p *pending) add(puts []tracer.KV, dels [][]byte) {
	if len(dels) > 0 && len(p.puts) > 0 {
		gone := make(map[string]struct{}, len(dels))
		for _, d := range dels {
			gone[string(d)] = struct{}{}
		}
		kept := p.puts[:0]
		for _, kv := range p.puts {
			if _, ok := gone[string(kv.Key)]; !ok {
				kept = append(kept, kv)
			}
		}
		p.puts = kept
	}
	for _, d := range dels {
		p.dels = append(p.dels, bytes.Clone(d))
	}
	for _, kv := range puts {
		p.puts = append(p.puts, tracer.KV{Key: bytes.Clone(kv.Key), Value: bytes.Clone(kv.Value)})
	}
}

// SaveTracer holds the batch back while a block is handled.
func (s *blockStore) SaveTracer(ctx context.Context, puts []tracer.KV, dels [][]byte) error {
	if p := pendingOf(ctx); p != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.add(puts, dels)
		return nil
	}
	return s.Backend.SaveTracer(ctx, puts, dels)
}

// WriteAlerts writes w with what the block holds back, in one write.
func (s *blockStore) WriteAlerts(ctx context.Context, w alerts.AlertWrite) error {
	p := pendingOf(ctx)
	if p == nil || len(p.puts)+len(p.dels) == 0 && p.checkpoint == nil {
		return s.Backend.WriteAlerts(ctx, w)
	}
	return s.write(ctx, p, &w)
}

// flush writes what p holds and its checkpoint, if any.
func (s *blockStore) flush(ctx context.Context, p *pending) error {
	if len(p.puts)+len(p.dels) == 0 && p.checkpoint == nil {
		return nil
	}
	return s.write(ctx, p, nil)
}

func (s *blockStore) write(ctx context.Context, p *pending, w *alerts.AlertWrite) error {
	if err := s.Backend.WriteBlock(ctx, store.Block{Chain: p.chain, Puts: p.puts, Deletes: p.dels, Alerts: w, Checkpoint: p.checkpoint}); err != nil {
		return err
	}
	if p.checkpoint != nil {
		s.mu.Lock()
		s.saved[p.chain] = *p.checkpoint
		s.mu.Unlock()
	}
	p.puts, p.dels, p.checkpoint = nil, nil, nil
	return nil
}

// SaveCheckpoint skips the checkpoint the block's own write saved.
func (s *blockStore) SaveCheckpoint(ctx context.Context, chain chains.Chain, ref chains.BlockRef) error {
	s.mu.Lock()
	saved, ok := s.saved[chain]
	delete(s.saved, chain)
	s.mu.Unlock()
	if ok && saved == ref {
		return nil
	}
	return s.Backend.SaveCheckpoint(ctx, chain, ref)
}

// registerStoreMetrics exposes the Redis store's write count
// (chainhound_store_writes_total, each write one round trip).
func registerStoreMetrics(m *api.Metrics, st store.Backend) error {
	bs, ok := st.(*blockStore)
	if !ok {
		return nil
	}
	rs, ok := bs.Backend.(*redis.Store)
	if !ok {
		return nil
	}
	c := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "chainhound_store_writes_total",
		Help: "Writes sent to the Redis store, each one round trip (a block without alerts is one).",
	}, func() float64 { return float64(rs.Writes()) })
	for _, c := range append([]prometheus.Collector{c}, rs.Collectors()...) {
		if err := m.Registry.Register(c); err != nil {
			return fmt.Errorf("register store metrics: %w", err)
		}
	}
	return nil
}

// GetTracer reads the backend's tracer key (tracer.IndexStore, when the
// backend is one).
func (s *blockStore) GetTracer(ctx context.Context, key []byte) ([]byte, error) {
	x, ok := s.Backend.(tracer.IndexStore)
	if !ok {
		return nil, fmt.Errorf("the %T store holds no transfer index", s.Backend)
	}
	return x.GetTracer(ctx, key)
}

// ScanTracerRange reads a range of the backend's tracer keys
// (tracer.IndexStore, when the backend is one).
func (s *blockStore) ScanTracerRange(ctx context.Context, lo, hi []byte, fn func(key, val []byte) error) error {
	x, ok := s.Backend.(tracer.IndexStore)
	if !ok {
		return fmt.Errorf("the %T store holds no transfer index", s.Backend)
	}
	return x.ScanTracerRange(ctx, lo, hi, fn)
}

// indexStore reports whether st can hold the transfer index.
func indexStore(st store.Backend) bool {
	if bs, ok := st.(*blockStore); ok {
		st = bs.Backend
	}
	_, ok := st.(tracer.IndexStore)
	return ok
}

// RedisSentinel returns the config's sentinel for redis.Options (nil when
// none): the store package does not read the config.
func RedisSentinel(cfg *config.Sentinel) *redis.Sentinel {
	if cfg == nil {
		return nil
	}
	return &redis.Sentinel{Master: cfg.Master, Addrs: cfg.Addrs, Password: cfg.Password}
}
