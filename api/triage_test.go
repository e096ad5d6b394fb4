package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/gorilla/websocket"
)

type triageAnswer struct {
	Seq      uint64
	Status   string
	Assignee string
	Comments []alerts.Comment
	History  []alerts.TriageChange
}

type alertsAnswer struct {
	Alerts []struct {
		Seq    uint64
		Tx     string
		Triage *triageAnswer
	}
	Next uint64
}

// A tenant's triage of an alert: set, commented, listed with the alert
// and filtered by status; another tenant's triage of the same alert is
// its own, an alert the key may not see is 404, and bad input names its
// field.
func TestTriage(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{Rate: 1000, Burst: 1000})
	binance, kraken := e.key(apikey.RoleExchange, "binance"), e.key(apikey.RoleExchange, "kraken")
	own := e.appendAlerts(1, "binance")[0]
	shared := e.appendAlerts(1, "binance", "kraken")[0]
	krakens := e.appendAlerts(1, "kraken")[0]
	path := func(a alerts.Alert) string { return "/v1/alerts/" + itoa(a.Seq) }

	st, body := e.do("PATCH", path(own), binance, `{"status":"acknowledged","assignee":"ana"}`)
	if st != 200 {
		t.Fatalf("PATCH: %d %s", st, body)
	}
	var tr triageAnswer
	if err := json.Unmarshal([]byte(body), &tr); err != nil {
		t.Fatal(err)
	}
	if tr.Seq != own.Seq || tr.Status != "acknowledged" || tr.Assignee != "ana" || len(tr.History) != 2 ||
		tr.History[0].From != "new" || tr.History[0].To != "acknowledged" || tr.History[0].By == "" || tr.History[0].Time.IsZero() {
		t.Fatalf("PATCH answer %s", body)
	}
	// The same again changes nothing and adds no history.
	if st, body = e.do("PATCH", path(own), binance, `{"status":"acknowledged"}`); st != 200 || strings.Count(body, `"field"`) != 2 {
		t.Fatalf("PATCH again: %d %s", st, body)
	}
	if st, body = e.do("POST", path(own)+"/comments", binance, `{"text":"asked the user for KYC"}`); st != 201 || !strings.Contains(body, "asked the user for KYC") {
		t.Fatalf("comment: %d %s", st, body)
	}
	if st, body = e.do("PATCH", path(shared), binance, `{"status":"investigating"}`); st != 200 {
		t.Fatalf("PATCH shared: %d %s", st, body)
	}

	for _, c := range []struct {
		name, method, path, key, body string
		status                        int
		field                         string
	}{
		{"another tenant's alert", "PATCH", path(own), kraken, `{"status":"resolved"}`, 404, "seq"},
		{"another tenant's alert, comment", "POST", path(own) + "/comments", kraken, `{"text":"x"}`, 404, "seq"},
		{"no such alert", "PATCH", "/v1/alerts/999", binance, `{"status":"resolved"}`, 404, "seq"},
		{"seq not a number", "PATCH", "/v1/alerts/abc", binance, `{"status":"resolved"}`, 400, "seq"},
		{"seq zero", "PATCH", "/v1/alerts/0", binance, `{"status":"resolved"}`, 400, "seq"},
		{"unknown status", "PATCH", path(own), binance, `{"status":"closed"}`, 400, "status"},
		{"status not a string", "PATCH", path(own), binance, `{"status":3}`, 400, "status"},
		{"unknown field", "PATCH", path(own), binance, `{"state":"resolved"}`, 400, "state"},
		{"nothing to change", "PATCH", path(own), binance, `{}`, 400, "status"},
		{"assignee too long", "PATCH", path(own), binance, `{"assignee":"` + strings.Repeat("a", 201) + `"}`, 400, "assignee"},
		{"empty comment", "POST", path(own) + "/comments", binance, `{"text":"  "}`, 400, "text"},
		{"no key", "PATCH", path(own), "", `{"status":"resolved"}`, 401, "Authorization"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, body := e.do(c.method, c.path, c.key, c.body)
			if st != c.status {
				t.Fatalf("%d %s, want %d", st, body, c.status)
			}
			if _, field := errorCode(t, body); field != c.field {
				t.Fatalf("field %q, want %q: %s", field, c.field, body)
			}
		})
	}

	list := func(key, query string) alertsAnswer {
		t.Helper()
		st, body := e.do("GET", "/v1/alerts"+query, key, "")
		if st != 200 {
			t.Fatalf("GET /v1/alerts%s: %d %s", query, st, body)
		}
		var a alertsAnswer
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	all := list(binance, "")
	if len(all.Alerts) != 2 || all.Alerts[0].Triage == nil || all.Alerts[0].Triage.Status != "acknowledged" ||
		len(all.Alerts[0].Triage.Comments) != 1 || all.Alerts[1].Triage.Status != "investigating" {
		t.Fatalf("binance's alerts: %+v", all)
	}
	if got := list(binance, "?status=acknowledged"); len(got.Alerts) != 1 || got.Alerts[0].Seq != own.Seq {
		t.Fatalf("status=acknowledged: %+v", got)
	}
	if got := list(binance, "?status=new"); len(got.Alerts) != 0 || got.Next != krakens.Seq {
		t.Fatalf("status=new for binance: %+v, want none (next %d, the last scanned)", got, krakens.Seq)
	}
	// kraken has not triaged the shared alert: both of its alerts are new,
	// without binance's triage.
	kr := list(kraken, "?status=new")
	if len(kr.Alerts) != 2 || kr.Alerts[0].Seq != shared.Seq || kr.Alerts[0].Triage != nil || kr.Alerts[1].Seq != krakens.Seq {
		t.Fatalf("kraken's new alerts: %+v", kr)
	}
	if st, body := e.do("GET", "/v1/alerts?status=closed", binance, ""); st != 400 {
		t.Fatalf("status=closed: %d %s", st, body)
	} else if _, f := errorCode(t, body); f != "status" {
		t.Fatalf("status=closed names %q", f)
	}
	// Kept across a restart.
	dir := e.dir
	e.stop()
	e = newEnv(t, dir, api.Config{Rate: 1000, Burst: 1000})
	if got := list(binance, "?status=investigating"); len(got.Alerts) != 1 || got.Alerts[0].Seq != shared.Seq {
		t.Fatalf("after a restart, status=investigating: %+v", got)
	}
}

// readFrame reads one websocket message as a map.
func readFrame(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("frame %q: %v", data, err)
	}
	return m
}

// A triage change is an event on its tenant's websockets (no seq, so
// resuming by since is untouched), not on another tenant's; a status
// filter selects the catch-up's alerts by their triage and the events
// to or from its statuses.
func TestTriageWebsocket(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{Rate: 1000, Burst: 1000})
	binance, kraken := e.key(apikey.RoleExchange, "binance"), e.key(apikey.RoleExchange, "kraken")
	a1 := e.appendAlerts(1, "binance", "kraken")[0]
	a2 := e.appendAlerts(1, "binance")[0]
	if st, body := e.do("PATCH", "/v1/alerts/"+itoa(a2.Seq), binance, `{"status":"resolved"}`); st != 200 {
		t.Fatalf("PATCH: %d %s", st, body)
	}

	all := e.mustDial(binance, "?since=0")
	resolved := e.mustDial(binance, "?since=0&status=resolved")
	krak := e.mustDial(kraken, "?since=0")
	if m := readFrame(t, all); m["seq"] != float64(a1.Seq) || m["triage"] != nil {
		t.Fatalf("first alert %v, want %d without triage", m, a1.Seq)
	}
	if m := readFrame(t, all); m["seq"] != float64(a2.Seq) || m["triage"].(map[string]any)["status"] != "resolved" {
		t.Fatalf("second alert %v, want %d resolved", m, a2.Seq)
	}
	if m := readFrame(t, resolved); m["seq"] != float64(a2.Seq) {
		t.Fatalf("status=resolved first sends %v, want alert %d", m, a2.Seq)
	}
	if m := readFrame(t, krak); m["seq"] != float64(a1.Seq) {
		t.Fatalf("kraken first gets %v", m)
	}
	// A live alert (new) reaches the unfiltered subscriber, not the
	// status=resolved one.
	live := e.appendAlerts(1, "binance")[0]
	if m := readFrame(t, all); m["seq"] != float64(live.Seq) {
		t.Fatalf("live alert: %v", m)
	}
	// binance triages a1: both its subscribers hear of it (to resolved);
	// kraken does not.
	if st, body := e.do("PATCH", "/v1/alerts/"+itoa(a1.Seq), binance, `{"status":"resolved","assignee":"bo"}`); st != 200 {
		t.Fatalf("PATCH: %d %s", st, body)
	}
	for name, c := range map[string]*websocket.Conn{"unfiltered": all, "status=resolved": resolved} {
		m := readFrame(t, c)
		if m["type"] != api.TriageEventType || m["alert"] != float64(a1.Seq) || m["status"] != "resolved" || m["assignee"] != "bo" {
			t.Fatalf("%s: event %v", name, m)
		}
		if _, has := m["seq"]; has {
			t.Fatalf("%s: a triage event carries a seq: %v", name, m)
		}
		if ch := m["changes"].([]any); len(ch) != 2 {
			t.Fatalf("%s: changes %v", name, ch)
		}
	}
	// A comment is an event too.
	if st, body := e.do("POST", "/v1/alerts/"+itoa(a1.Seq)+"/comments", binance, `{"text":"frozen"}`); st != 201 {
		t.Fatalf("comment: %d %s", st, body)
	}
	if m := readFrame(t, all); m["type"] != api.TriageEventType || m["comment"].(map[string]any)["text"] != "frozen" {
		t.Fatalf("comment event %v", m)
	}
	// kraken's next frame is the next alert it may see, not binance's
	// triage.
	next := e.appendAlerts(1, "kraken")[0]
	if m := readFrame(t, krak); m["seq"] != float64(next.Seq) {
		t.Fatalf("kraken got %v, want alert %d", m, next.Seq)
	}
}
