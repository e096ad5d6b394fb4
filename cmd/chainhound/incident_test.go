package main

import (
	"encoding/json"
	"strings"
	"testing"
)

type incidentJSON struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Chain   string `json:"chain"`
	Status  string `json:"status"`
	Policy  string `json:"policy"`
	Dust    string `json:"dust"`
	MaxHops int    `json:"max_hops"`
	Closed  string `json:"closed"`
	Seeds   []struct {
		Tx        string `json:"tx"`
		Address   string `json:"address"`
		FromBlock uint64 `json:"from_block"`
	} `json:"seeds"`
}

func TestIncidentOpenShowClose(t *testing.T) {
	dir := t.TempDir()
	const tx = "0x46DEEF0F52E3A983B67ABF4714448A41DD7FFD6D32D32DA69D62081C68AD7882"
	out, msg, code := runCLI(t, "--data-dir", dir, "incident", "open", "--chain", "ethereum", "--tx", tx,
		"--title", "Bybit cold wallet", "--policy", "poison", "--dust", "1000000000000000", "--max-hops", "8", "--format", "json")
	if code != 0 {
		t.Fatalf("open: exit %d %s", code, msg)
	}
	var inc incidentJSON
	if err := json.Unmarshal([]byte(out), &inc); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if !strings.HasPrefix(inc.ID, "inc_") || len(inc.ID) != 30 || inc.Status != "open" || inc.Policy != "poison" ||
		inc.Dust != "1000000000000000" || inc.MaxHops != 8 || inc.Seeds[0].Tx != strings.ToLower(tx) {
		t.Fatalf("opened %+v", inc)
	}

	out, msg, code = runCLI(t, "--data-dir", dir, "incident", "open", "--chain", "bitcoin",
		"--address", "bc1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw", "--from-block", "880000", "--format", "json")
	if code != 0 {
		t.Fatalf("open by address: exit %d %s", code, msg)
	}
	var inc2 incidentJSON
	json.Unmarshal([]byte(out), &inc2)
	if inc2.Policy != "haircut" || inc2.Seeds[0].FromBlock != 880000 || inc2.ID <= inc.ID {
		t.Fatalf("second incident %+v (ids must sort by time after %s)", inc2, inc.ID)
	}

	// Bad input: exit 2 naming the flag, nothing opened.
	for name, args := range map[string][]string{
		"short tx":       {"--chain", "ethereum", "--tx", "0x46de"},
		"no seed":        {"--chain", "ethereum"},
		"tx and address": {"--chain", "ethereum", "--tx", tx, "--address", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", "--from-block", "1"},
		"no from-block":  {"--chain", "ethereum", "--address", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"},
		"bad address":    {"--chain", "bitcoin", "--address", "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KY", "--from-block", "1"},
		"bad policy":     {"--chain", "ethereum", "--tx", tx, "--policy", "lifo"},
		"negative dust":  {"--chain", "ethereum", "--tx", tx, "--dust", "-1"},
		"decimal dust":   {"--chain", "ethereum", "--tx", tx, "--dust", "0.5"},
		"too many hops":  {"--chain", "ethereum", "--tx", tx, "--max-hops", "1000"},
		"btc tx with 0x": {"--chain", "bitcoin", "--tx", tx},
	} {
		t.Run(name, func(t *testing.T) {
			_, msg, code := runCLI(t, append([]string{"--data-dir", dir, "incident", "open"}, args...)...)
			if code != 2 || !strings.HasPrefix(msg, "--") {
				t.Fatalf("exit %d %q; want 2 naming the flag", code, msg)
			}
		})
	}

	out, _, code = runCLI(t, "--data-dir", dir, "incident", "ls", "--format", "json")
	var list struct {
		Incidents []incidentJSON `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 || len(list.Incidents) != 2 || list.Incidents[0].ID != inc.ID {
		t.Fatalf("ls: exit %d %q %v", code, out, err)
	}

	out, msg, code = runCLI(t, "--data-dir", dir, "incident", "close", inc.ID, "--format", "json")
	var closed incidentJSON
	json.Unmarshal([]byte(out), &closed)
	if code != 0 || closed.Status != "closed" || closed.Closed == "" {
		t.Fatalf("close: exit %d %q %s", code, out, msg)
	}
	// A restart (a new process each run) keeps the record, closed.
	out, _, code = runCLI(t, "--data-dir", dir, "incident", "show", inc.ID)
	if code != 0 || !strings.Contains(out, "closed") || !strings.Contains(out, "Bybit cold wallet") || !strings.Contains(out, "1000000000000000") {
		t.Fatalf("show:\n%s", out)
	}
	out, _, _ = runCLI(t, "--data-dir", dir, "incident", "ls", "--status", "open", "--format", "json")
	json.Unmarshal([]byte(out), &list)
	if len(list.Incidents) != 1 || list.Incidents[0].ID != inc2.ID {
		t.Fatalf("open incidents: %+v", list.Incidents)
	}
	if _, msg, code := runCLI(t, "--data-dir", dir, "incident", "show", "inc_01NOSUCHINCIDENT0000000000"); code != 2 || !strings.Contains(msg, "no such incident") {
		t.Fatalf("show missing: exit %d %s", code, msg)
	}
}

// TestStrayArgumentCreatesNothing: `incident open` takes no argument; a
// stray one among its flags is refused before anything is stored.
func TestStrayArgumentCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	const a = "0x46deef0f52e3a983b67abf4714448a41dd7ffd6d32d32da69d62081c68ad7882"
	_, msg, code := runCLI(t, "--data-dir", dir, "incident", "open", "--chain", "ethereum", "--tx", a,
		"extra", "--title", "theft")
	if code != 2 || !strings.Contains(msg, `incident open: takes no arguments, got ["extra"]`) {
		t.Fatalf("open: exit %d %s", code, msg)
	}
	out, msg, code := runCLI(t, "--data-dir", dir, "incident", "ls", "--format", "json")
	if code != 0 {
		t.Fatalf("ls: exit %d %s", code, msg)
	}
	var list struct{ Incidents []incidentJSON }
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if len(list.Incidents) != 0 {
		t.Fatalf("incidents after a refused open: %+v", list.Incidents)
	}
}
