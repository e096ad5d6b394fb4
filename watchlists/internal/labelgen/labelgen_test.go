package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// The committed label files are exactly what the generator builds from
// the shared data today.
func TestCommittedLabelsReproduce(t *testing.T) {
	data := os.Getenv("CHAINHOUND_SHARED_DATA")
	if data == "" {
		data = "/work/shared/data"
	}
	if _, err := os.Stat(filepath.Join(data, "README.md")); err != nil {
		t.Skipf("shared data not found at %s (set CHAINHOUND_SHARED_DATA): cannot check that the label files reproduce", data)
	}
	files, _, err := build(data)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := write(dir, files); err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob("../../labels/*.csv")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(committed) != len(names) {
		t.Fatalf("generator writes %v, committed %v", names, committed)
	}
	for _, n := range names {
		got, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("../../labels", n))
		if err != nil {
			t.Fatalf("%s generated but not committed: %v", n, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the committed file (%d vs %d bytes): run go generate ./watchlists", n, len(got), len(want))
		}
	}
}
