package api_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/gorilla/websocket"
)

// Bad input gets one clear error naming what was wrong, and nothing
// stored changes.
func TestBadInput(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{MaxBodyBytes: 4096, Rate: 1000, Burst: 1000})
	admin := e.key(apikey.RoleAdmin, "ops")
	revoked := e.key(apikey.RoleAdmin, "ops")
	rk, _, _ := e.store.KeyByHash(context.Background(), apikey.Hash(revoked))
	if _, err := e.store.RevokeKey(context.Background(), rk.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if st, body := e.do("POST", "/v1/watchlist", admin, `{"chain":"ethereum","address":"`+acmeAddr+`","kind":"treasury","owner":"acme"}`); st != 201 {
		t.Fatal(st, body)
	}
	e.appendAlerts(2)
	before := e.reg.List(watchlists.Filter{})
	lastBefore := e.log.Last()

	for _, tc := range []struct {
		name, method, path, key, body string
		status                        int
		code, field                   string
	}{
		{"malformed JSON", "POST", "/v1/watchlist", admin, `{"chain":"ethereum",`, 400, "invalid_json", ""},
		{"not an object", "POST", "/v1/watchlist", admin, `[1,2]`, 400, "invalid_json", ""},
		{"wrong type", "POST", "/v1/watchlist", admin, `{"chain":1}`, 400, "invalid_json", "chain"},
		{"unknown field", "POST", "/v1/watchlist", admin, `{"chain":"ethereum","adress":"x"}`, 400, "invalid_json", "adress"},
		{"trailing data", "POST", "/v1/watchlist", admin, `{"chain":"ethereum"} {}`, 400, "invalid_json", ""},
		{"oversized body", "POST", "/v1/watchlist", admin, `{"chain":"ethereum","label":"` + strings.Repeat("x", 5000) + `"}`, 413, "too_large", ""},
		{"oversized incident", "POST", "/v1/incidents", admin, `{"chain":"ethereum","seeds":[` + strings.Repeat(`{"tx":"`+theftTx+`"},`, 100) + `{}]}`, 413, "too_large", ""},
		{"invalid address", "POST", "/v1/watchlist", admin, `{"chain":"ethereum","address":"0x12","kind":"treasury"}`, 400, "invalid_address", "address"},
		{"bad checksum", "POST", "/v1/watchlist", admin, `{"chain":"ethereum","address":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD","kind":"treasury"}`, 400, "invalid_address", "address"},
		{"NUL in a label", "POST", "/v1/watchlist", admin, `{"chain":"ethereum","address":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed","kind":"treasury","label":"a\u0000b"}`, 400, "invalid", "label"},
		{"oversized source", "POST", "/v1/watchlist", admin, `{"chain":"ethereum","address":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed","kind":"treasury","source":"` + strings.Repeat("s", 1025) + `"}`, 400, "invalid", "source"},
		{"unknown chain", "POST", "/v1/watchlist", admin, `{"chain":"dogecoin","address":"x","kind":"treasury"}`, 400, "invalid_chain", "chain"},
		{"unknown kind", "POST", "/v1/watchlist", admin, `{"chain":"ethereum","address":"` + newAddr + `","kind":"friend"}`, 400, "invalid", "kind"},
		{"bad owner", "POST", "/v1/watchlist", admin, `{"chain":"ethereum","address":"` + newAddr + `","kind":"treasury","owner":"A B"}`, 400, "invalid", "owner"},
		{"incident without seeds", "POST", "/v1/incidents", admin, `{"chain":"ethereum","seeds":[]}`, 400, "invalid", "seeds"},
		{"incident bad tx", "POST", "/v1/incidents", admin, `{"chain":"ethereum","seeds":[{"tx":"0x12"}]}`, 400, "invalid", "seeds[0].tx"},
		{"incident bad dust", "POST", "/v1/incidents", admin, `{"chain":"ethereum","seeds":[{"tx":"` + theftTx + `"}],"dust":"-5"}`, 400, "invalid", "dust"},
		{"incident bad policy", "POST", "/v1/incidents", admin, `{"chain":"ethereum","seeds":[{"tx":"` + theftTx + `"}],"policy":"lifo"}`, 400, "invalid", "policy"},
		{"incident hops", "POST", "/v1/incidents", admin, `{"chain":"ethereum","seeds":[{"tx":"` + theftTx + `"}],"max_hops":1000}`, 400, "invalid", "max_hops"},
		{"incident confidence floor", "POST", "/v1/incidents", admin, `{"chain":"ethereum","seeds":[{"tx":"` + theftTx + `"}],"confidence_floor":1.5}`, 400, "invalid", "confidence_floor"},
		{"delete invalid address", "DELETE", "/v1/watchlist/ethereum/0xzz", admin, "", 400, "invalid_address", "address"},
		{"alerts unknown type", "GET", "/v1/alerts?type=taint.nope", admin, "", 400, "invalid_filter", "type"},
		{"alerts bad since", "GET", "/v1/alerts?since=-1", admin, "", 400, "invalid_filter", "since"},
		{"alerts bad limit", "GET", "/v1/alerts?limit=0", admin, "", 400, "invalid_filter", "limit"},
		{"alerts unknown parameter", "GET", "/v1/alerts?sinse=3", admin, "", 400, "invalid_filter", "sinse"},
		{"ws unknown type", "GET", "/v1/alerts/ws?type=taint.nope", admin, "", 400, "invalid_filter", "type"},
		{"ws unknown chain", "GET", "/v1/alerts/ws?chain=solana", admin, "", 400, "invalid_filter", "chain"},
		{"ws unknown severity", "GET", "/v1/alerts/ws?min_severity=urgent", admin, "", 400, "invalid_filter", "min_severity"},
		{"ws unknown incident", "GET", "/v1/alerts/ws?incident=inc_NOPE", admin, "", 400, "invalid_filter", "incident"},
		{"ws without upgrade", "GET", "/v1/alerts/ws", admin, "", 400, "invalid", "Upgrade"},
		{"trace bad tx", "GET", "/v1/trace/ethereum/0x12", admin, "", 400, "invalid", "tx"},
		{"trace bad format", "GET", "/v1/trace/ethereum/" + theftTx + "?format=png", admin, "", 400, "invalid", "format"},
		{"no key", "GET", "/v1/alerts", "", "", 401, "unauthorized", "Authorization"},
		{"bad key", "GET", "/v1/alerts", "chk_notakey", "", 401, "unauthorized", "Authorization"},
		{"not our key format", "GET", "/v1/alerts", "hunter2", "", 401, "unauthorized", "Authorization"},
		{"revoked key", "GET", "/v1/alerts", revoked, "", 401, "unauthorized", "Authorization"},
		{"revoked key on ws", "GET", "/v1/alerts/ws", revoked, "", 401, "unauthorized", "Authorization"},
		{"key create bad role", "POST", "/v1/keys", admin, `{"role":"root","tenant":"x"}`, 400, "invalid", "role"},
		{"key revoke absent", "POST", "/v1/keys/key_nope/revoke", admin, "", 404, "not_found", ""},
		{"no such endpoint", "GET", "/v2/alerts", admin, "", 404, "not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := e.do(tc.method, tc.path, tc.key, tc.body)
			if st != tc.status {
				t.Fatalf("%d %s, want %d", st, body, tc.status)
			}
			code, field := errorCode(t, body)
			if code != tc.code || field != tc.field {
				t.Fatalf("code %q field %q, want %q %q: %s", code, field, tc.code, tc.field, body)
			}
		})
	}

	t.Run("ws origin not allowed", func(t *testing.T) {
		h := http.Header{"Authorization": {"Bearer " + admin}, "Origin": {"https://evil.example"}}
		_, resp, err := websocket.DefaultDialer.Dial(e.wsURL(""), h)
		if err == nil || resp == nil || resp.StatusCode != 403 {
			t.Fatalf("foreign origin: %v %v", err, resp)
		}
		h.Set("Origin", e.ts.URL) // same origin
		c, _, err := websocket.DefaultDialer.Dial(e.wsURL(""), h)
		if err != nil {
			t.Fatalf("same origin refused: %v", err)
		}
		c.Close()
	})
	t.Run("oversized client frame", func(t *testing.T) {
		c := e.mustDial(admin, "?since=0")
		readAlerts(t, c, 2)
		if err := c.WriteMessage(websocket.TextMessage, make([]byte, 8192)); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err := c.ReadMessage()
		if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
			t.Fatalf("after an oversized frame: %v, want close 1009", err)
		}
	})

	if after := e.reg.List(watchlists.Filter{}); !reflect.DeepEqual(after, before) {
		t.Fatalf("watchlist changed:\n%v\n%v", before, after)
	}
	if got := len(e.book.List("*", "")); got != 0 {
		t.Fatalf("%d incidents stored by bad requests", got)
	}
	if e.log.Last() != lastBefore {
		t.Fatalf("alert log moved from %d to %d", lastBefore, e.log.Last())
	}
	if ks, _ := e.store.Keys(context.Background()); len(ks) != 2 {
		t.Fatalf("%d keys, want 2", len(ks))
	}
}

func TestRateLimitPerKey(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{Rate: 0.5, Burst: 3})
	a := e.key(apikey.RoleAdmin, "ops")
	b := e.key(apikey.RoleExchange, "binance")
	for i := 0; i < 3; i++ {
		if st, body := e.do("GET", "/v1/alerts", a, ""); st != 200 {
			t.Fatalf("request %d: %d %s", i, st, body)
		}
	}
	st, body := e.do("GET", "/v1/alerts", a, "")
	if st != 429 {
		t.Fatalf("fourth request: %d %s, want 429", st, body)
	}
	if code, _ := errorCode(t, body); code != "rate_limited" {
		t.Fatal(body)
	}
	if st, _ := e.do("GET", "/v1/alerts", b, ""); st != 200 {
		t.Fatalf("another key was limited too: %d", st)
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	status := map[chains.Chain]chains.Status{
		chains.Ethereum: {Network: "mainnet", Head: 100, Processed: 98, Connected: true, LastBlockTime: time.Date(2025, 2, 21, 14, 13, 35, 0, time.UTC)},
	}
	e := newEnv(t, t.TempDir(), api.Config{DegradedLag: 5}, func(d *api.Deps) {
		d.Health = api.HealthFunc(func() map[chains.Chain]chains.Status { return status })
	})
	st, body := e.do("GET", "/healthz", "", "")
	want := `{"status":"ok","chains":{"ethereum":{"network":"mainnet","head":100,"processed":98,"lag":2,"last_block_time":"2025-02-21T14:13:35Z","connected":true}}}`
	if st != 200 || strings.TrimSpace(body) != want {
		t.Fatalf("healthz: %d %s\nwant %s", st, body, want)
	}
	status[chains.Bitcoin] = chains.Status{Network: "regtest", Head: 50, Processed: 10, Connected: true}
	if st, body := e.do("GET", "/healthz", "", ""); st != 503 || !strings.Contains(body, `"status":"degraded"`) {
		t.Fatalf("lagging bitcoin: %d %s", st, body)
	}
	key := e.key(apikey.RoleAdmin, "ops")
	c := e.mustDial(key, "")
	e.appendAlerts(3)
	readAlerts(t, c, 3)
	e.srv.Metrics().BlocksProcessed.WithLabelValues("ethereum").Add(7)
	var m string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, m = e.do("GET", "/metrics", "", ""); strings.Contains(m, "chainhound_websocket_subscribers 1") {
			break // the subscriber has joined the hub after its catch-up
		}
	}
	for _, line := range []string{
		`chainhound_chain_lag_blocks{chain="bitcoin",network="regtest"} 40`,
		`chainhound_chain_head{chain="ethereum",network="mainnet"} 100`,
		`chainhound_blocks_processed_total{chain="ethereum"} 7`,
		`chainhound_alerts_total{type="taint.exchange_deposit"} 3`,
		`chainhound_websocket_subscribers 1`,
	} {
		if !strings.Contains(m, line) {
			t.Errorf("metrics lack %s\n%s", line, grepLines(m, "chainhound_"))
		}
	}
}

// Keys made through the API work at once; revoked ones stop at once,
// also on an open websocket at its next ping.
func TestKeysThroughAPI(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{PingInterval: 50 * time.Millisecond})
	admin := e.key(apikey.RoleAdmin, "ops")
	st, body := e.do("POST", "/v1/keys", admin, `{"role":"exchange","tenant":"binance"}`)
	if st != 201 {
		t.Fatal(st, body)
	}
	var ck api.CreatedKey
	if err := jsonUnmarshal([]byte(body), &ck); err != nil || !strings.HasPrefix(ck.Secret, "chk_") || ck.Role != "exchange" {
		t.Fatalf("created: %s", body)
	}
	if st, _ := e.do("GET", "/v1/alerts", ck.Secret, ""); st != 200 {
		t.Fatalf("new key: %d", st)
	}
	st, body = e.do("GET", "/v1/keys", admin, "")
	if st != 200 || strings.Contains(body, ck.Secret) || strings.Contains(body, apikey.Hash(ck.Secret)) || !strings.Contains(body, ck.ID) {
		t.Fatalf("list shows a secret or lacks the id: %s", body)
	}
	c := e.mustDial(ck.Secret, "")
	if st, body := e.do("POST", "/v1/keys/"+ck.ID+"/revoke", admin, ""); st != 200 {
		t.Fatal(st, body)
	}
	if st, _ := e.do("GET", "/v1/alerts", ck.Secret, ""); st != 401 {
		t.Fatalf("revoked key: %d", st)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, api.CloseUnauthorized) {
		t.Fatalf("open websocket of a revoked key: %v, want close %d", err, api.CloseUnauthorized)
	}
}

// replicaInfo is a replica's identity and roles, as store/redis gives them.
type replicaInfo struct {
	id      string
	roles   map[chains.Chain]string
	err     error
	problem string
}

func (r *replicaInfo) Replica() string                { return r.id }
func (r *replicaInfo) Roles() map[chains.Chain]string { return r.roles }
func (r *replicaInfo) StandbyErr() error              { return r.err }
func (r *replicaInfo) Problem(context.Context) string { return r.problem }

// A replica's /healthz names it and each chain's role; a standby, whose
// follower does not run, is ok while it can take over.
func TestHealthzReplica(t *testing.T) {
	rep := &replicaInfo{id: "vm-1-ab", roles: map[chains.Chain]string{chains.Ethereum: "standby"}}
	e := newEnv(t, t.TempDir(), api.Config{DegradedLag: 5}, func(d *api.Deps) {
		d.Health = api.HealthFunc(func() map[chains.Chain]chains.Status {
			return map[chains.Chain]chains.Status{chains.Ethereum: {Network: "mainnet", Head: 100, Processed: 10}}
		})
		d.Replica = rep
	})
	st, body := e.do("GET", "/healthz", "", "")
	want := `{"status":"ok","replica":"vm-1-ab","chains":{"ethereum":{"network":"mainnet","head":100,"processed":10,"lag":90,"last_block_time":null,"connected":false,"role":"standby"}}}`
	if st != 200 || strings.TrimSpace(body) != want {
		t.Fatalf("standby healthz: %d %s\nwant %s", st, body, want)
	}
	rep.err = errors.New("take leases: connection refused")
	if st, body := e.do("GET", "/healthz", "", ""); st != 503 || !strings.Contains(body, `"reason":"ethereum standby cannot take over: take leases: connection refused"`) {
		t.Fatalf("standby that cannot reach Redis: %d %s", st, body)
	}
	rep.err, rep.roles[chains.Ethereum] = nil, "active"
	if st, body := e.do("GET", "/healthz", "", ""); st != 503 || !strings.Contains(body, `"role":"active"`) || !strings.Contains(body, `"reason":"ethereum 90 blocks behind its node; ethereum node not connected"`) {
		t.Fatalf("active replica 90 blocks behind: %d %s", st, body)
	}
	// The shared store's problem degrades the replica and comes first.
	rep.problem = "redis unreachable: dial tcp 127.0.0.1:6379: connect: connection refused"
	if st, body := e.do("GET", "/healthz", "", ""); st != 503 || !strings.Contains(body, `"reason":"redis unreachable: dial tcp 127.0.0.1:6379: connect: connection refused; ethereum 90 blocks behind its node; ethereum node not connected"`) {
		t.Fatalf("active replica whose Redis is unreachable: %d %s", st, body)
	}
	rep.roles[chains.Ethereum] = "standby"
	if st, body := e.do("GET", "/healthz", "", ""); st != 503 || !strings.Contains(body, `"reason":"redis unreachable`) {
		t.Fatalf("standby whose Redis is unreachable: %d %s", st, body)
	}
	rep.problem = ""
	if st, body := e.do("GET", "/healthz", "", ""); st != 200 || strings.Contains(body, `"reason"`) {
		t.Fatalf("standby once Redis is back: %d %s", st, body)
	}
}
