package pebble

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// looseDataDir leaves a store in a fresh directory with the modes an older
// version left: directories 0755, files 0644.
func looseDataDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCheckpoint(context.Background(), chains.Ethereum, chains.BlockRef{Number: 7, Hash: "0x07"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	chmodAll(t, dir, 0o755, 0o644)
	return dir
}

func chmodAll(t *testing.T, dir string, dirMode, fileMode fs.FileMode) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(path, dirMode)
		}
		return os.Chmod(path, fileMode)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// assertPrivate checks that every directory under dir is 0700 and every
// file 0600, and that there are files at all.
func assertPrivate(t *testing.T, dir string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // pebble deletes obsolete files after opening
		}
		if err != nil {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		want := FileMode
		if d.IsDir() {
			want = DirMode
		} else {
			files++
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %#o, want %#o", path, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 3 {
		t.Fatalf("only %d files under %s: no store there?", files, dir)
	}
}

// A data directory an older version left readable by all is tightened
// at open, and the store still reads what it held.
func TestOpenTightensLooseDataDir(t *testing.T) {
	dir := looseDataDir(t)
	var log bytes.Buffer
	s, err := OpenWith(dir, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	assertPrivate(t, dir)
	if ref, ok, err := s.Checkpoint(context.Background(), chains.Ethereum); err != nil || !ok || ref.Number != 7 {
		t.Errorf("checkpoint after tightening: %v %v %v", ref, ok, err)
	}
	if !strings.Contains(log.String(), "data directory modes tightened") || !strings.Contains(log.String(), "notes.txt (0644)") {
		t.Errorf("log does not tell what was tightened:\n%s", log.String())
	}
}

// What the store creates is private whatever the umask: with umask 0 an
// os.Create file would be 0666.
func TestNewFilesPrivateWhateverUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "fresh", "data")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := uint64(0); i < 100; i++ {
		if err := s.SaveCheckpoint(ctx, chains.Bitcoin, chains.BlockRef{Number: i, Hash: "h"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.db.Flush(); err != nil { // an sstable besides the WAL
		t.Fatal(err)
	}
	assertPrivate(t, dir)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertPrivate(t, dir)
}

// CheckDir names what is loose and changes nothing.
func TestCheckDirChangesNothing(t *testing.T) {
	dir := looseDataDir(t)
	loose, err := CheckDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(loose) < 4 || loose[0].Path != dir || loose[0].Mode != 0o755 || loose[0].Want != DirMode {
		t.Fatalf("loose: %v", loose)
	}
	info, err := os.Stat(filepath.Join(dir, "notes.txt"))
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("CheckDir changed a mode: %v %v", info.Mode(), err)
	}
	if loose, err := CheckDir(filepath.Join(dir, "absent")); err != nil || len(loose) != 0 {
		t.Errorf("absent directory: %v %v", loose, err)
	}
	if _, err := CheckDir(filepath.Join(dir, "notes.txt")); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("a file as data directory: %v", err)
	}
}

// A data directory that is a symbolic link to a directory is checked and
// tightened through the link.
func TestDataDirSymlink(t *testing.T) {
	real := looseDataDir(t)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	s, err := Open(link)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	assertPrivate(t, real)
}
