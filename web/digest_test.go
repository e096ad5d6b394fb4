package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// sourcesDigest is the SHA-256 of the console's inputs under webDir
// (package.json, package-lock.json, src/ and the build program), as
// web/build writes it to dist/SOURCES.sha256.
func sourcesDigest(webDir string) (string, error) {
	names := []string{"package.json", "package-lock.json", "build/main.go", "build/go.mod", "build/go.sum"}
	err := filepath.WalkDir(filepath.Join(webDir, "src"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(webDir, p)
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("web sources: %w", err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(webDir, filepath.FromSlash(n)))
		if err != nil {
			return "", fmt.Errorf("web sources: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
