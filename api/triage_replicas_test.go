package api_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store/redis"
	"github.com/gorilla/websocket"
)

// Two replicas on one real Redis: a triage change made through one
// reaches the websocket subscribers of the other, and its triage is what
// the other lists.
func TestTriageAcrossReplicas(t *testing.T) {
	r := testnodes.StartRedis(t)
	ctx := context.Background()
	var servers [2]*httptest.Server
	var stores [2]*redis.Store
	var logs [2]*alerts.Log
	for i := range servers {
		st, err := redis.Open(ctx, r.URL, redis.Options{Prefix: "{triage}:"})
		if err != nil {
			t.Fatal(err)
		}
		lg, err := alerts.OpenLog(ctx, st, alerts.Retention{})
		if err != nil {
			t.Fatal(err)
		}
		srv := api.New(api.Config{Rate: 1000, Burst: 1000}, api.Deps{Keys: st, Alerts: lg, Triage: st, TriageBus: st})
		servers[i], stores[i], logs[i] = httptest.NewServer(srv.Handler()), st, lg
		t.Cleanup(func() { srv.Close(); servers[i].Close(); st.Close() })
	}
	secret, k, err := apikey.New(apikey.RoleExchange, "binance", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := stores[0].CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	as, err := logs[0].Append(ctx, []alerts.Alert{testAlert("binance")})
	if err != nil {
		t.Fatal(err)
	}
	seq := as[0].Seq

	h := map[string][]string{"Authorization": {"Bearer " + secret}}
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(servers[1].URL, "http")+"/v1/alerts/ws?since=0", h)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if m := readFrame(t, c); m["seq"] != float64(seq) {
		t.Fatalf("replica 1 sends %v first, want alert %d", m, seq)
	}
	a := &env{t: t, ts: servers[0]}
	if st, body := a.do("PATCH", "/v1/alerts/"+itoa(seq), secret, `{"status":"false_positive"}`); st != 200 {
		t.Fatalf("PATCH on replica 0: %d %s", st, body)
	}
	m := readFrame(t, c)
	if m["type"] != api.TriageEventType || m["alert"] != float64(seq) || m["status"] != "false_positive" {
		t.Fatalf("replica 1's subscriber got %v, want the triage event", m)
	}
	b := &env{t: t, ts: servers[1]}
	if st, body := b.do("GET", "/v1/alerts?status=false_positive", secret, ""); st != 200 || !strings.Contains(body, `"status":"false_positive"`) {
		t.Fatalf("replica 1 lists %d %s", st, body)
	}
}
