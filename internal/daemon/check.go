package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/store/redis"
)

// CheckTimeout bounds each node's answer to Check.
const CheckTimeout = 10 * time.Second

// Check verifies, for `serve --check`, what Open and Run need before they
// start anything: the data directory can be kept private (what an older
// version left looser is logged; serve tightens it), its store is free and
// of a schema this build reads (with store.backend redis: the Redis
// answers and is of a schema this build reads; other replicas on it are
// no obstacle), the API's address can be listened on, and
// each configured node answers on the configured network. It changes
// nothing and starts no follower. cfg is already validated (config.Load).
func Check(ctx context.Context, cfg *config.Config, opts Options) error {
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	if cfg.Store.Backend == "redis" {
		pctx, cancel := context.WithTimeout(ctx, CheckTimeout)
		err := redis.Probe(pctx, cfg.Store.URL, redis.Options{Sentinel: RedisSentinel(cfg.Store.Sentinel)})
		cancel()
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
	} else {
		if err := checkDataDir(cfg.DataDir, lg); err != nil {
			return err
		}
		if err := pebble.Probe(cfg.DataDir); err != nil {
			return fmt.Errorf("data_dir: %w", err)
		}
	}
	if opts.Listener == nil {
		ln, err := net.Listen("tcp", cfg.API.Listen)
		if err != nil {
			return fmt.Errorf("api.listen %s: %w", cfg.API.Listen, err)
		}
		ln.Close()
	}
	return checkNodes(ctx, cfg, lg)
}

// checkDataDir checks that the data directory, or the directory it will be
// made in, is one chainhound can write and keep private.
func checkDataDir(dir string, lg *slog.Logger) error {
	loose, err := pebble.CheckDir(dir)
	if err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	if len(loose) > 0 {
		lg.Warn("data directory modes are looser than 0700/0600; serve will tighten them",
			"dir", dir, "paths", len(loose), "first", loose[0].String())
	}
	// The directory, or its nearest existing parent, must be writable.
	at := dir
	for {
		if _, err := os.Stat(at); err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
		parent := filepath.Dir(at)
		if parent == at {
			break
		}
		at = parent
	}
	if err := syscall.Access(at, 0o2|0o1); err != nil { // W_OK|X_OK
		return fmt.Errorf("data_dir %s: %s is not writable: %w", dir, at, err)
	}
	return nil
}

// checkNodes asks each configured node what its follower asks first.
func checkNodes(ctx context.Context, cfg *config.Config, lg *slog.Logger) error {
	fs, err := openBackends(cfg, nil, lg) // block readers: they never run
	defer closeBackends(fs)
	if err != nil {
		return err
	}
	for _, f := range fs {
		name := string(f.spec.chain)
		cctx, cancel := context.WithTimeout(ctx, CheckTimeout)
		err := f.b.Check(cctx)
		cancel()
		if err != nil {
			// The follower names its chain already ("ethereum: …"):
			// once is enough.
			return &prefixed{prefix: "chains." + name, err: err, msg: strings.TrimPrefix(err.Error(), name+": ")}
		}
	}
	return nil
}

// prefixed is err said under prefix, with msg as err's text (err's own
// prefix taken off), still unwrapping to err.
type prefixed struct {
	prefix, msg string
	err         error
}

func (e *prefixed) Error() string { return e.prefix + ": " + e.msg }
func (e *prefixed) Unwrap() error { return e.err }
