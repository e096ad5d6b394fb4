package daemon_test

import (
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/daemon/daemontest"
)

// apiCall makes one request to the daemon's API.
func apiCall(t *testing.T, base, method, path, key, body string) (int, string) {
	t.Helper()
	code, b := daemontest.Call(t, base, key, method, path, strings.NewReader(body))
	return code, string(b)
}

// mustCall makes one request to the API at base with key and body as JSON
// (nil: none), fails the test unless the answer's status is want, and
// returns its body.
func mustCall(t *testing.T, base, key, method, path string, body any, want int) []byte {
	t.Helper()
	code, out := daemontest.CallJSON(t, base, key, method, path, body)
	if code != want {
		t.Fatalf("%s %s on %s: %d %s, want %d", method, path, base, code, out, want)
	}
	return out
}
