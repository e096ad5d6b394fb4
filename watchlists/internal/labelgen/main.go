// Command labelgen rebuilds chainhound's shipped label files
// (watchlists/labels/*.csv) from the permissively licensed sources in the
// shared data directory, reproducibly: the same inputs give the same bytes.
//
//	go generate ./watchlists            (runs: go run ./internal/labelgen -out labels)
//	go run ./watchlists/internal/labelgen -data /path/to/shared/data -out watchlists/labels
//
// The data directory comes from -data, else $CHAINHOUND_SHARED_DATA, else
// /work/shared/data. Sources used, and why each row's kind: see build.go.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
)

func main() {
	def := os.Getenv("CHAINHOUND_SHARED_DATA")
	if def == "" {
		def = "/work/shared/data"
	}
	data := flag.String("data", def, "shared data `DIR` (README.md there names sources and licences)")
	out := flag.String("out", "labels", "output `DIR` for the label CSV files")
	flag.Parse()
	files, skipped, err := build(*data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "labelgen:", err)
		os.Exit(1)
	}
	if err := write(*out, files); err != nil {
		fmt.Fprintln(os.Stderr, "labelgen:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		slog.Info("wrote", "file", filepath.Join(*out, n), "bytes", len(files[n]))
	}
	for _, s := range skipped {
		slog.Warn("skipped source row", "why", s)
	}
}

func write(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
