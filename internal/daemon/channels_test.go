package daemon_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// Two replicas on one Redis: a channel added through the standby's API is
// listed by the active one and delivered to by its dispatcher; once the
// key that added it is revoked, nothing more is sent to it.
func TestChannelsReachEveryReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and redis-server")
	}
	g := testnodes.StartGeth(t)
	r := testnodes.StartRedis(t)
	var mu sync.Mutex
	var texts []string
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m struct{ Text string }
		json.NewDecoder(req.Body).Decode(&m)
		mu.Lock()
		texts = append(texts, m.Text)
		mu.Unlock()
	}))
	defer slack.Close()
	got := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), texts...) }
	a, apiA, apiB := startReplicas(t, g, r, "webhooks: { allow_private: [127.0.0.0/8] }\n")
	admin := daemontest.Key(t, a, apikey.RoleAdmin, "ops")
	keyID, exch := createKey(t, apiA, admin, apikey.RoleExchange, "exch")
	var ch struct{ ID string }
	json.Unmarshal(mustCall(t, apiB, exch, "PUT", "/v1/channels", map[string]any{"type": "slack", "target": slack.URL + "/services/T/B/x"}, 201), &ch)
	if !strings.Contains(string(mustCall(t, apiA, exch, "GET", "/v1/channels", nil, 200)), ch.ID) {
		t.Fatal("the channel added through B is not listed by A")
	}
	first := raise(t, a, "exch")
	waitUntil(t, "the alert in the channel added through the standby", func() bool { return len(got()) == 1 })
	if !strings.Contains(got()[0], "taint.exchange_deposit") {
		t.Fatalf("message %q", got()[0])
	}
	mustCall(t, apiA, admin, "POST", "/v1/keys/"+keyID+"/revoke", nil, 200)
	second := raise(t, a, "exch")
	waitUntil(t, "the dispatcher past the second alert, its queue drained", func() bool {
		c, err := a.Store.DeliveryCursor(context.Background())
		return err == nil && c >= second && queueEmpty(t, a)
	})
	if n := len(got()); n != 1 {
		t.Fatalf("the channel of a revoked key got %d messages after alert %d", n, first)
	}
}
