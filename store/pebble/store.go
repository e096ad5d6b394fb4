package pebble

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

// SchemaVersion is the layout this build reads and writes.
const SchemaVersion = 1

// ErrInUse is returned by Open when another process holds the directory.
var ErrInUse = errors.New("data directory is in use by another chainhound process")

// ErrNewerSchema is returned by Open for a directory from a newer build.
var ErrNewerSchema = errors.New("data directory was written by a newer chainhound")

// Store is the embedded store.
type Store struct {
	dir string
	db  *pebble.DB

	triageMu sync.Mutex // serialises UpdateTriage's read-modify-write
}

// Options are Open's optional parameters.
type Options struct {
	// Logger tells which modes of the data directory were tightened;
	// default slog.Default().
	Logger *slog.Logger
}

// Open opens (creating if needed) the store in dir.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith opens (creating if needed) the store in dir. The directory is
// DirMode and its files FileMode: tightened first where an older version
// left them looser, and so created by the store whatever the umask.
func OpenWith(dir string, o Options) (*Store, error) {
	lg := o.Logger
	if lg == nil {
		lg = slog.Default()
	}
	if err := tightenDir(dir, lg); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "store")
	db, err := pebble.Open(path, &pebble.Options{Logger: quietLogger{}, FS: privateFS{vfs.Default}})
	if err != nil {
		if isLockErr(err) {
			return nil, fmt.Errorf("open %s: %w", dir, ErrInUse)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{dir: dir, db: db}
	if err := s.checkSchema(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func isLockErr(err error) bool {
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, fs.ErrPermission) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "lock") && (strings.Contains(msg, "temporarily unavailable") || strings.Contains(msg, "held"))
}

// Probe checks, changing nothing, that Open would open the store in dir:
// no other process holds it and its schema is one this build reads. A
// directory without a store passes: Open creates one.
func Probe(dir string) error {
	path := filepath.Join(dir, "store")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	db, err := pebble.Open(path, &pebble.Options{Logger: quietLogger{}, FS: privateFS{vfs.Default}, ReadOnly: true})
	if err != nil {
		if isLockErr(err) {
			return fmt.Errorf("open %s: %w", dir, ErrInUse)
		}
		return fmt.Errorf("open store %s: %w", path, err)
	}
	defer db.Close()
	s := &Store{dir: dir, db: db}
	_, err = s.readSchema()
	return err
}

func (s *Store) checkSchema() error {
	found, err := s.readSchema()
	if err != nil || found {
		return err
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], SchemaVersion)
	if err := s.db.Set(keySchema, b[:], pebble.Sync); err != nil {
		return fmt.Errorf("write schema version: %w", err)
	}
	return nil
}

// readSchema checks the stored schema version, if there is one.
func (s *Store) readSchema() (found bool, err error) {
	v, ok, err := s.get(keySchema)
	if err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	if !ok {
		return false, nil
	}
	if len(v) != 8 {
		return true, fmt.Errorf("data directory %s: corrupt schema version (%d bytes)", s.dir, len(v))
	}
	got := binary.BigEndian.Uint64(v)
	if got > SchemaVersion {
		return true, fmt.Errorf("data directory %s has schema version %d, this build reads up to %d: %w", s.dir, got, SchemaVersion, ErrNewerSchema)
	}
	return true, nil
}

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

// Close flushes and closes the store.
func (s *Store) Close() error {
	if err := s.db.Flush(); err != nil {
		s.db.Close()
		return fmt.Errorf("flush store: %w", err)
	}
	return s.db.Close()
}

// get returns a copy of the value at key, or ok=false.
func (s *Store) get(key []byte) (val []byte, ok bool, err error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	return append([]byte(nil), v...), true, nil
}

// scan calls fn for every key with prefix, in key order. fn must copy what
// it keeps.
func (s *Store) scan(ctx context.Context, prefix []byte, fn func(key, val []byte) error) error {
	return s.scanRange(ctx, prefix, prefixEnd(prefix), fn)
}

// scanRange calls fn for every key from lo up to hi (excluded), in key
// order, checking ctx every 4096 keys. fn must copy what it keeps.
func (s *Store) scanRange(ctx context.Context, lo, hi []byte, fn func(key, val []byte) error) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// prefixEnd returns the smallest key greater than every key with prefix.
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{})  {}
func (quietLogger) Errorf(string, ...interface{}) {}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	panic(fmt.Sprintf(format, args...))
}
