package web_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/web"
)

// The committed bundle is built from the committed sources: its
// SOURCES.sha256 is the digest of src/, package.json, package-lock.json
// and the build program as they are now. Editing a source without
// `go generate ./web` fails here.
func TestDistMatchesSources(t *testing.T) {
	want, err := sourcesDigest(".")
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(web.Dist(), "SOURCES.sha256")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != want {
		t.Fatalf("web/dist was built from other sources (dist %s, sources %s): run `go generate ./web` and commit web/dist", bytes.TrimSpace(got), want)
	}
}

// index.html names assets that are in dist, by content hash, and dist
// carries the third-party licences of what it bundles.
func TestDistIsWhole(t *testing.T) {
	d := web.Dist()
	page, err := fs.ReadFile(d, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?:src|href)="(assets/[a-z]+-[A-Z0-9]{8}\.(?:js|css))"`).FindAllSubmatch(page, -1)
	if len(refs) != 2 {
		t.Fatalf("index.html names %d hashed assets, want 2:\n%s", len(refs), page)
	}
	for _, r := range refs {
		if _, err := fs.Stat(d, string(r[1])); err != nil {
			t.Errorf("index.html names %s: %v", r[1], err)
		}
	}
	if bytes.Contains(page, []byte("{{")) {
		t.Error("index.html keeps a placeholder")
	}
	notices, err := fs.ReadFile(d, "THIRD_PARTY_NOTICES.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"cytoscape 3.", "cytoscape-dagre 4.", "@dagrejs/dagre", "Permission is hereby granted"} {
		if !bytes.Contains(notices, []byte(pkg)) {
			t.Errorf("THIRD_PARTY_NOTICES.txt does not name %q", pkg)
		}
	}
}

// The bundle is exactly what the generator makes from the sources:
// rebuilt in memory (esbuild is deterministic) and compared file by file.
// It needs the npm packages: with web/node_modules present it uses them,
// else it runs npm ci when npm is on PATH (not with -short).
func TestDistRebuildsIdentically(t *testing.T) {
	args := []string{"run", "-C", "build", ".", "-web", "..", "-check", "-no-npm"}
	if _, err := os.Stat("node_modules"); err != nil {
		if _, err := exec.LookPath("npm"); err != nil {
			t.Skip("no web/node_modules and no npm to install them: the digest test still checks dist")
		}
		if testing.Short() {
			t.Skip("-short: not running npm ci")
		}
		npm := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
		if out, err := npm.CombinedOutput(); err != nil {
			// The registry out of reach says nothing of the bundle.
			t.Skipf("npm ci failed, cannot rebuild (the digest test still checks dist): %v\n%s", err, out)
		}
	}
	cmd := exec.Command("go", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		abs, _ := filepath.Abs(".")
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), abs, err, out)
	}
}
