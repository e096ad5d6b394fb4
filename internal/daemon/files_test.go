package daemon

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/store/pebble"
)

// A data directory that an older version left with directories 0755 and
// files 0644 is 0700 and 0600 throughout once the daemon has opened its
// store, and the daemon's log says what it tightened.
func TestOpenTightensDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	setModes(t, dir, 0o755, 0o644)

	cfg, err := config.Parse("t.yaml", []byte("data_dir: "+dir+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	d, err := Open(context.Background(), cfg, Options{Listener: ln, NoShippedLabels: true, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		want := pebble.FileMode
		if e.IsDir() {
			want = pebble.DirMode
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %#o, want %#o", path, got, want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 4 {
		t.Fatalf("only %d paths under %s", n, dir)
	}
	if !strings.Contains(log.String(), "data directory modes tightened") {
		t.Errorf("the log does not say what was tightened:\n%s", log.String())
	}
}

func setModes(t *testing.T, dir string, dirMode, fileMode fs.FileMode) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return os.Chmod(path, dirMode)
		}
		return os.Chmod(path, fileMode)
	})
	if err != nil {
		t.Fatal(err)
	}
}
