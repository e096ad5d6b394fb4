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

var (
	goTestCmd = regexp.MustCompile("`go (?:test|run) (\\./[^` ]*)([^`]*)`")
	benchFlag = regexp.MustCompile(`-bench '?([^ ']+)'?`)
	runFlag   = regexp.MustCompile(`-run '?([^ ']+)'?`)
	funcDecl  = regexp.MustCompile(`(?m)^func ((?:Benchmark|Test)\w*)\(`)
)

// TestBenchmarksCommandsExist fails when a `go test` or `go run` command
// in the README or docs/benchmarks.md names a package that does not
// exist, or a -bench or -run pattern that matches no function in it.
func TestBenchmarksCommandsExist(t *testing.T) {
	n := 0
	for _, page := range []string{"../README.md", "benchmarks.md"} {
		raw, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goTestCmd.FindAllStringSubmatch(string(raw), -1) {
			pkg, args := m[1], m[2]
			if strings.Contains(pkg, "...") {
				continue
			}
			dir := filepath.Join(repoRoot, filepath.FromSlash(pkg))
			files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
			if len(files) == 0 {
				t.Errorf("%s: `go … %s`: no Go package at %s", page, pkg, pkg)
				continue
			}
			var funcs []string
			for _, f := range files {
				if !strings.HasSuffix(f, "_test.go") {
					continue
				}
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range funcDecl.FindAllStringSubmatch(string(b), -1) {
					funcs = append(funcs, d[1])
				}
			}
			check := func(flag, pattern, prefix string) {
				if pattern == "^$" || pattern == "XXX" || pattern == "." {
					return
				}
				re, err := regexp.Compile(strings.Split(pattern, "/")[0])
				if err != nil {
					t.Errorf("%s: %s %s: %v", page, flag, pattern, err)
					return
				}
				for _, f := range funcs {
					if strings.HasPrefix(f, prefix) && re.MatchString(f) {
						n++
						return
					}
				}
				t.Errorf("%s: `go test %s %s %s` matches no %s function in %s", page, pkg, flag, pattern, prefix, pkg)
			}
			if b := benchFlag.FindStringSubmatch(args); b != nil {
				check("-bench", b[1], "Benchmark")
			} else if r := runFlag.FindStringSubmatch(args); r != nil {
				check("-run", r[1], "Test")
			}
		}
	}
	if n < 10 {
		t.Fatalf("checked only %d benchmark or test names", n)
	}
}

// mdRef is a path to a Markdown document as comments and pages cite it:
// README.md, docs/taint.md, ../tracer/README.md.
var mdRef = regexp.MustCompile(`[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b`)

// citing reports whether a file may cite documents: source, build,
// deployment and documentation files.
func citing(rel string) bool {
	base := filepath.Base(rel)
	switch base {
	case "Makefile", "Dockerfile":
		return true
	}
	switch filepath.Ext(base) {
	case ".go", ".md", ".yaml", ".yml", ".json", ".service", ".sh", ".txt":
		return true
	}
	return false
}

// TestCitedDocumentsExist fails when a file of the repository cites a
// Markdown document that a clone does not have: every path ending in .md
// must name a file relative to the repository's root or to the citing
// file's folder. (The project's design, contract and taint briefs were
// once cited by name from outside the repository; their content is in
// docs/.) A path in another repository is written owner/repo:path, and a
// URL is not checked.
func TestCitedDocumentsExist(t *testing.T) {
	exists := func(p string) bool {
		st, err := os.Stat(p)
		return err == nil && !st.IsDir()
	}
	cites := 0
	walkRepo(t, func(rel string) {
		if !citing(rel) || strings.Contains(rel, "/testdata/") {
			return
		}
		b, err := os.ReadFile(filepath.Join(repoRoot, rel))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, loc := range mdRef.FindAllStringIndex(line, -1) {
				ref := line[loc[0]:loc[1]]
				// Part of a URL (another site's page): not ours to check.
				word := line[:loc[0]]
				if k := strings.LastIndexAny(word, " \t(<\"'`["); k >= 0 {
					word = word[k+1:]
				}
				if strings.Contains(word, "://") || strings.HasPrefix(word, "github.com/") ||
					(strings.HasSuffix(word, ":") && strings.Contains(word, "/")) {
					continue
				}
				cites++
				ref = strings.TrimPrefix(ref, "./")
				if exists(filepath.Join(repoRoot, filepath.FromSlash(ref))) ||
					exists(filepath.Join(repoRoot, filepath.Dir(rel), filepath.FromSlash(ref))) {
					continue
				}
				t.Errorf("%s:%d cites %s, which is not in the repository", rel, i+1, ref)
			}
		}
	})
	if cites < 50 {
		t.Fatalf("found only %d citations of documents; is the walk broken?", cites)
	}
}
