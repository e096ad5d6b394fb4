package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/alerts"
)

// An exchange key reads the incident its alerts cite — title, chain, the
// seeds' tx hashes, the path of each citing alert — and nothing else of
// it (owner, the compromised wallet seed, the victim's treasury, the
// summary); another exchange, whose alerts cite another incident, gets
// 404 for it, and so does an incident no alert cites.
func TestExchangeReadsCitedIncident(t *testing.T) {
	w := newIsolation(t)
	incAcme, incGlobex := w.incidents["acme"], w.incidents["globex"]
	// acme's second incident seeds its (private) treasury address too.
	st, body := w.do("POST", "/v1/incidents", w.keys["acme"], `{"title":"acme drain","chain":"ethereum","seeds":[{"tx":"`+theftTx+`"},{"address":"`+acmeAddr+`","from_block":1}]}`)
	if st != 201 {
		t.Fatalf("open: %d %s", st, body)
	}
	var second struct{ ID string }
	json.Unmarshal([]byte(body), &second)

	hopTx := "0x" + strings.Repeat("ab", 32)
	cite := func(inc string, audience ...string) alerts.Alert {
		a := testAlert(audience...)
		a.Incident, a.Incidents = inc, []string{inc}
		a.Hops = 2
		a.Path = []alerts.Hop{
			{Chain: "ethereum", Tx: theftTx, From: acmeAddr, To: newAddr, Amount: "5"},
			{Chain: "ethereum", Tx: hopTx, From: newAddr, To: binanceAddr, Amount: "5"},
		}
		if _, err := w.log.Append(t.Context(), []alerts.Alert{a}); err != nil {
			t.Fatal(err)
		}
		return a
	}
	cite(incAcme, "binance", "acme")
	cite(second.ID, "binance", "acme")
	cite(incGlobex, "kraken", "globex")

	st, body = w.do("GET", "/v1/incidents/"+second.ID, w.keys["binance"], "")
	if st != 200 {
		t.Fatalf("binance reads the incident its alert cites: %d %s", st, body)
	}
	var v struct {
		ID, Title, Chain, Status string
		Seeds                    []map[string]string
		Alerts                   []struct {
			Seq  uint64
			Path []alerts.Hop
		}
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != second.ID || v.Title != "acme drain" || v.Chain != "ethereum" || v.Status != "open" ||
		len(v.Seeds) != 1 || v.Seeds[0]["tx"] != theftTx || len(v.Alerts) != 1 || len(v.Alerts[0].Path) != 2 || v.Alerts[0].Path[1].Tx != hopTx {
		t.Fatalf("cited view %s", body)
	}
	low := strings.ToLower(body)
	for _, secret := range []string{`"owner"`, "acme\"", `"summary"`, `"from_block"`, `"address"`, `"policy"`, globexAddr} {
		if strings.Contains(low, strings.ToLower(secret)) {
			t.Errorf("the cited view shows %s: %s", secret, body)
		}
	}
	// The path names acme's treasury (it is where the funds came from);
	// the seeds do not name it as a seed.
	for _, c := range []struct{ who, id string }{
		{"binance", incGlobex}, // kraken's alert cites it, not binance's
		{"kraken", incAcme},
		{"kraken", second.ID},
		{"binance", "inc_nope"},
	} {
		if st, body := w.do("GET", "/v1/incidents/"+c.id, w.keys[c.who], ""); st != 404 {
			t.Errorf("%s reads %s: %d %s, want 404", c.who, c.id, st, body)
		}
	}
	if st, body := w.do("GET", "/v1/incidents/"+incGlobex, w.keys["kraken"], ""); st != 200 || !strings.Contains(body, "globex theft") {
		t.Errorf("kraken reads globex's cited incident: %d %s", st, body)
	}
	// Listing stays closed to exchanges.
	if st, _ := w.do("GET", "/v1/incidents", w.keys["binance"], ""); st != 403 {
		t.Errorf("binance lists incidents: %d", st)
	}
}
