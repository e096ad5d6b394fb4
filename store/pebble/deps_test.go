package pebble_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainLayersHoldNoHTTP checks decision 0028: the packages of this
// module that store/pebble depends on (the domain types and the store
// interfaces) import no HTTP, websocket or metrics package, and none of
// the packages that do (api, the senders, the dispatcher, the egress
// dialler).
//
// `go list -deps ./store/pebble` still lists net/http: the storage engine
// brings it (github.com/cockroachdb/pebble imports cockroachdb/errors,
// which imports getsentry/sentry-go, and the Prometheus client), not a
// package of chainhound.
func TestDomainLayersHoldNoHTTP(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const module = "github.com/chainhound/chainhound"
	forbidden := func(imp string) bool {
		switch {
		case imp == "net/http", strings.HasPrefix(imp, "net/http/"),
			strings.HasPrefix(imp, "github.com/gorilla/websocket"),
			strings.HasPrefix(imp, "github.com/prometheus/"):
			return true
		}
		for _, p := range []string{"/api", "/notify/sender", "/alerts/deliver", "/internal/egress"} {
			if imp == module+p || strings.HasPrefix(imp, module+p+"/") {
				return true
			}
		}
		return false
	}
	ours := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || (f[0] != module && !strings.HasPrefix(f[0], module+"/")) {
			continue
		}
		ours++
		if forbidden(f[0]) {
			t.Errorf("store/pebble depends on %s", f[0])
		}
		for _, imp := range f[1:] {
			if forbidden(imp) {
				t.Errorf("%s imports %s", f[0], imp)
			}
		}
	}
	if ours < 5 {
		t.Fatalf("go list found %d packages of %s among store/pebble's dependencies; the check looked at nothing", ours, module)
	}
}
