package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the repository's root, the parent of docs/.
const repoRoot = ".."

// walkRepo calls fn for every regular file of the repository outside
// .git, with its path relative to the root.
func walkRepo(t *testing.T, fn func(rel string)) {
	t.Helper()
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(repoRoot, p)
			if err != nil {
				return err
			}
			fn(filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var metricName = regexp.MustCompile(`"(chainhound_[a-z_]+)"`)

// TestMetricsDocumented fails when the code registers a chainhound_*
// metric that docs/operations.md does not name, or the page names one
// the code does not have.
func TestMetricsDocumented(t *testing.T) {
	raw, err := os.ReadFile("operations.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	inCode := map[string]string{}
	walkRepo(t, func(rel string) {
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return
		}
		b, err := os.ReadFile(filepath.Join(repoRoot, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range metricName.FindAllStringSubmatch(string(b), -1) {
			inCode[m[1]] = rel
		}
	})
	if len(inCode) < 15 {
		t.Fatalf("found only %d metric names in the code: %v", len(inCode), inCode)
	}
	for name, file := range inCode {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/operations.md does not name the metric %s (registered in %s)", name, file)
		}
	}
	for _, m := range regexp.MustCompile("`(chainhound_[a-z_]+)`").FindAllStringSubmatch(doc, -1) {
		if _, ok := inCode[m[1]]; !ok {
			t.Errorf("docs/operations.md names the metric %s, which the code does not register", m[1])
		}
	}
}
