package pebble

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cockroachdb/pebble/vfs"
)

// The modes of the data directory (docs/security.md, "Files"): only the
// user running chainhound may read what the store holds.
const (
	DirMode  fs.FileMode = 0o700
	FileMode fs.FileMode = 0o600
)

// privateFS is pebble's file system on disk with every file it creates
// set to FileMode and every directory to DirMode, whatever the umask: the
// umask is the process's, which a library does not change. Between a
// file's creation and its chmod only the owner can reach it, for its
// directory is already DirMode.
type privateFS struct{ vfs.FS }

var _ vfs.FS = privateFS{}

func (p privateFS) Create(name string) (vfs.File, error) {
	return chmodOpened(name)(p.FS.Create(name))
}

func (p privateFS) OpenReadWrite(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	return chmodOpened(name)(p.FS.OpenReadWrite(name, opts...))
}

func (p privateFS) ReuseForWrite(oldname, newname string) (vfs.File, error) {
	return chmodOpened(newname)(p.FS.ReuseForWrite(oldname, newname))
}

func (p privateFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := p.FS.MkdirAll(dir, DirMode); err != nil {
		return err
	}
	return os.Chmod(dir, DirMode)
}

func (p privateFS) Lock(name string) (io.Closer, error) {
	c, err := p.FS.Lock(name)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(name, FileMode); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// chmodOpened sets a file just opened for writing to FileMode, closing
// it if that fails.
func chmodOpened(name string) func(vfs.File, error) (vfs.File, error) {
	return func(f vfs.File, err error) (vfs.File, error) {
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(name, FileMode); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
}

// Loose is a path of the data directory whose mode lets others than its
// owner in.
type Loose struct {
	Path string
	Mode fs.FileMode // its permission bits
	Want fs.FileMode // DirMode or FileMode
}

func (l Loose) String() string { return fmt.Sprintf("%s (%#o)", l.Path, l.Mode) }

// CheckDir lists what in the data directory dir lets others than its
// owner in (to be set to DirMode or FileMode), changing nothing. A directory
// that does not exist yet has nothing loose. It fails if dir is not a
// directory, or if a loose path belongs to another user: chainhound could
// not tighten it.
func CheckDir(dir string) ([]Loose, error) {
	var loose []Loose
	// A data directory may be a symbolic link to one: walk its target.
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			if path == dir {
				return filepath.SkipAll
			}
			return nil // removed meanwhile: a running store deletes obsolete files
		}
		if err != nil {
			return err
		}
		if path == dir && !d.IsDir() {
			return fmt.Errorf("data directory %s is not a directory", dir)
		}
		want, ok := wantMode(d)
		if !ok {
			return nil // a symlink, socket or device: not the store's
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o077 == 0 {
			return nil // only its owner gets in
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() && os.Geteuid() != 0 {
			return fmt.Errorf("%s has mode %#o and belongs to uid %d, not to this user (uid %d): it cannot be set to %#o", path, info.Mode().Perm(), st.Uid, os.Geteuid(), want)
		}
		loose = append(loose, Loose{Path: path, Mode: info.Mode().Perm(), Want: want})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check data directory modes: %w", err)
	}
	return loose, nil
}

// wantMode is the mode a directory entry of the data directory should
// have, and false for what is neither a directory nor a regular file.
func wantMode(d fs.DirEntry) (fs.FileMode, bool) {
	switch {
	case d.IsDir():
		return DirMode, true
	case d.Type().IsRegular():
		return FileMode, true
	}
	return 0, false
}

// tightenDir creates the data directory dir as DirMode if needed (and
// sets it so: MkdirAll's mode passes through the umask) and sets every
// directory in it to DirMode and every file to FileMode where an older
// version, the umask or a hand let others in, logging what it changed.
func tightenDir(dir string, lg *slog.Logger) error {
	if _, err := os.Stat(dir); err != nil {
		if err := os.MkdirAll(dir, DirMode); err != nil {
			return fmt.Errorf("create data directory %s: %w", dir, err)
		}
		if err := os.Chmod(dir, DirMode); err != nil {
			return fmt.Errorf("create data directory %s: %w", dir, err)
		}
	}
	loose, err := CheckDir(dir)
	if err != nil {
		return err
	}
	for _, l := range loose {
		if err := os.Chmod(l.Path, l.Want); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("tighten %s from %#o to %#o: %w", l.Path, l.Mode, l.Want, err)
		}
	}
	if len(loose) > 0 {
		shown := loose[:min(len(loose), 10)]
		lg.Warn("data directory modes tightened to 0700 for directories and 0600 for files",
			"dir", dir, "paths", len(loose), "were", fmt.Sprint(shown))
	}
	return nil
}
