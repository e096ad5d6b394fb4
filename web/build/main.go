// Command build bundles chainhound's web console: it installs the npm
// packages that package-lock.json pins (npm ci), bundles web/src with the
// esbuild library, and writes web/dist: index.html, the assets named by
// their content hash, the third-party notices, and SOURCES.sha256, the
// digest of every input, which a test compares with the sources.
//
// It is its own module so that esbuild is a dependency of the build, not
// of the daemon: `go build` of chainhound needs neither node nor esbuild,
// because web/dist is committed. Run it with `go generate ./web`, or
// `go run -C web/build .` from the repository's root.
//
//	-check  build into a temporary directory and fail if it differs from web/dist
//	-no-npm skip npm ci (node_modules already installed)
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

func main() {
	webDir := flag.String("web", "..", "the web directory (package.json, src/)")
	check := flag.Bool("check", false, "build into a temporary directory and compare it with dist")
	noNPM := flag.Bool("no-npm", false, "do not run npm ci")
	flag.Parse()
	if err := run(*webDir, *check, !*noNPM); err != nil {
		fmt.Fprintln(os.Stderr, "web/build:", err)
		os.Exit(1)
	}
}

func run(webDir string, check, npm bool) error {
	webDir, err := filepath.Abs(webDir)
	if err != nil {
		return err
	}
	if npm {
		cmd := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
		cmd.Dir, cmd.Stdout, cmd.Stderr = webDir, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("npm ci in %s: %w", webDir, err)
		}
	}
	files, err := bundle(webDir)
	if err != nil {
		return err
	}
	dist := filepath.Join(webDir, "dist")
	if check {
		return compare(dist, files)
	}
	if err := os.RemoveAll(dist); err != nil {
		return err
	}
	for name, data := range files {
		p := filepath.Join(dist, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	fmt.Fprintf(os.Stderr, "web/build: wrote %d files to %s\n", len(files), dist)
	return nil
}

// bundle returns dist's files by their path under dist.
func bundle(webDir string) (map[string][]byte, error) {
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:     webDir,
		EntryPoints:       []string{"src/main.js", "src/console.css"},
		Bundle:            true,
		MinifyWhitespace:  true,
		MinifySyntax:      true,
		MinifyIdentifiers: true,
		Target:            api.ES2020,
		Format:            api.FormatIIFE,
		Outdir:            "dist/assets",
		EntryNames:        "[name]-[hash]",
		AssetNames:        "[name]-[hash]",
		LegalComments:     api.LegalCommentsEndOfFile,
		Metafile:          true,
		Write:             false,
		LogLevel:          api.LogLevelWarning,
	})
	if len(res.Errors) > 0 {
		var b strings.Builder
		for _, m := range res.Errors {
			loc := ""
			if m.Location != nil {
				loc = fmt.Sprintf("%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
			}
			fmt.Fprintf(&b, "\n%s%s", loc, m.Text)
		}
		return nil, fmt.Errorf("esbuild:%s", b.String())
	}
	files := map[string][]byte{}
	names := map[string]string{} // entry point → its hashed name under dist
	for _, f := range res.OutputFiles {
		rel, err := filepath.Rel(filepath.Join(webDir, "dist"), f.Path)
		if err != nil {
			return nil, err
		}
		rel = filepath.ToSlash(rel)
		files[rel] = f.Contents
	}
	var meta struct {
		Outputs map[string]struct {
			EntryPoint string `json:"entryPoint"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(res.Metafile), &meta); err != nil {
		return nil, fmt.Errorf("esbuild metafile: %w", err)
	}
	for out, o := range meta.Outputs {
		if o.EntryPoint != "" {
			names[o.EntryPoint] = strings.TrimPrefix(out, "dist/")
		}
	}
	page, err := os.ReadFile(filepath.Join(webDir, "src", "index.html"))
	if err != nil {
		return nil, err
	}
	for entry, out := range names {
		ph := "{{" + strings.TrimPrefix(entry, "src/") + "}}"
		if !bytes.Contains(page, []byte(ph)) {
			return nil, fmt.Errorf("src/index.html does not name %s", ph)
		}
		page = bytes.ReplaceAll(page, []byte(ph), []byte(out))
	}
	files["index.html"] = page
	notices, err := thirdParty(webDir)
	if err != nil {
		return nil, err
	}
	files["THIRD_PARTY_NOTICES.txt"] = notices
	sum, err := digest(webDir)
	if err != nil {
		return nil, err
	}
	files["SOURCES.sha256"] = []byte(sum + "\n")
	return files, nil
}

// thirdParty gathers the licence of every package package-lock.json
// installs, with the packages their own bundles embed.
func thirdParty(webDir string) ([]byte, error) {
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
			License string `json:"license"`
			Dev     bool   `json:"dev"`
		} `json:"packages"`
	}
	b, err := os.ReadFile(filepath.Join(webDir, "package-lock.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("package-lock.json: %w", err)
	}
	var paths []string
	for p, pkg := range lock.Packages {
		if p != "" && !pkg.Dev {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out bytes.Buffer
	out.WriteString("chainhound's web console bundles these npm packages (web/package-lock.json).\n")
	out.WriteString("cytoscape-dagre's own bundle embeds @dagrejs/dagre and @dagrejs/graphlib (MIT, Chris Pettitt).\n")
	for _, p := range paths {
		pkg := lock.Packages[p]
		name := strings.TrimPrefix(p, "node_modules/")
		fmt.Fprintf(&out, "\n==== %s %s (%s) ====\n\n", name, pkg.Version, pkg.License)
		lic, err := licence(filepath.Join(webDir, filepath.FromSlash(p)))
		if err != nil {
			return nil, fmt.Errorf("licence of %s: %w", name, err)
		}
		out.Write(bytes.TrimSpace(lic))
		out.WriteString("\n")
	}
	return out.Bytes(), nil
}

// licence reads the package's licence file (LICENSE, LICENCE, with or
// without an extension, in any case).
func licence(dir string) ([]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if n := strings.ToUpper(e.Name()); !e.IsDir() && (strings.HasPrefix(n, "LICENSE") || strings.HasPrefix(n, "LICENCE")) {
			return os.ReadFile(filepath.Join(dir, e.Name()))
		}
	}
	return nil, fmt.Errorf("no licence file in %s", dir)
}

// compare reports how files differ from what dist holds.
func compare(dist string, files map[string][]byte) error {
	var diffs []string
	seen := map[string]bool{}
	err := filepath.WalkDir(dist, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dist, p)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		want, ok := files[rel]
		if !ok {
			diffs = append(diffs, rel+" is in dist but the build does not make it")
			return nil
		}
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			diffs = append(diffs, rel+" differs from the build's")
		}
		return nil
	})
	if err != nil {
		return err
	}
	for name := range files {
		if !seen[name] {
			diffs = append(diffs, name+" is missing from dist")
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return fmt.Errorf("web/dist is not what `go generate ./web` makes; rerun it and commit:\n  %s", strings.Join(diffs, "\n  "))
	}
	return nil
}

// digest is the SHA-256 of the bundle's inputs: package.json,
// package-lock.json, every file under src/ and this program. The web
// package's test computes the same (web/digest_test.go) to tell a stale dist.
func digest(webDir string) (string, error) {
	names := []string{"package.json", "package-lock.json", "build/main.go", "build/go.mod", "build/go.sum"}
	err := filepath.WalkDir(filepath.Join(webDir, "src"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(webDir, p)
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(webDir, filepath.FromSlash(n)))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
