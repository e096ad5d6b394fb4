package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// scriptedAPI stands in for the daemon's REST API (package api, written
// separately) with the request and error shapes of docs/interface.md, so the
// client side can be checked on its own: a scripted server, named as such.
func scriptedAPI(t *testing.T) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var log []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		log = append(log, r.Method+" "+r.URL.RequestURI()+" "+string(body))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer good-key" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"code":"unauthorized","message":"no or bad API key"}}`)
			return
		}
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1/watchlist":
			var in map[string]string
			json.Unmarshal(body, &in)
			if strings.HasSuffix(in["address"], "bad") {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"error":{"code":"invalid_address","message":"bad checksum","field":"address"}}`)
				return
			}
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]string{"chain": in["chain"], "address": in["address"], "kind": in["kind"], "label": in["label"], "owner": "tenant-a"})
		case r.Method == "GET" && r.URL.Path == "/v1/watchlist":
			io.WriteString(w, `{"entries":[{"chain":"ethereum","address":"0x28C6c06298d514Db089934071355E5743bf21d60","kind":"exchange","owner":"tenant-a","label":"Binance 14"}]}`)
		case r.Method == "DELETE" && strings.HasPrefix(r.URL.Path, "/v1/watchlist/"):
			w.WriteHeader(http.StatusNoContent)
		case r.Method == "POST" && r.URL.Path == "/v1/incidents":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"inc_01JM000000000000000000000"}`)
		case r.Method == "GET" && r.URL.Path == "/v1/incidents/inc_01JM000000000000000000000":
			io.WriteString(w, `{"id":"inc_01JM000000000000000000000","chain":"ethereum","seeds":[{"tx":"0x46deef0f52e3a983b67abf4714448a41dd7ffd6d32d32da69d62081c68ad7882"}],"policy":"haircut","status":"open","opened":"2025-02-21T14:13:35Z","dust":"1000"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"code":"not_found","message":"absent"}}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &log
}

func TestWatchThroughAPI(t *testing.T) {
	srv, log := scriptedAPI(t)
	dir := t.TempDir() // must stay untouched: --api-key selects the API
	api := []string{"--data-dir", dir, "--api", srv.URL, "--api-key", "good-key"}

	out, msg, code := runCLI(t, append(api, "watch", "add", "--chain", "ethereum", "--kind", "exchange", "--address", "0x28C6c06298d514Db089934071355E5743bf21d60", "--label", "Binance 14")...)
	if code != 0 || !strings.Contains(out, "tenant-a") {
		t.Fatalf("add: exit %d %q %s", code, out, msg)
	}
	if got := (*log)[0]; !strings.HasPrefix(got, `POST /v1/watchlist {"address":"0x28C6c06298d514Db089934071355E5743bf21d60","chain":"ethereum","kind":"exchange","label":"Binance 14","owner":""}`) {
		t.Fatalf("request %s", got)
	}
	_, msg, code = runCLI(t, append(api, "watch", "add", "--chain", "ethereum", "--kind", "exchange", "--address", "0xbad")...)
	if code != 2 || msg != "address: bad checksum" {
		t.Fatalf("400: exit %d %q; want 2 and the field", code, msg)
	}
	out, _, code = runCLI(t, append(api, "watch", "ls", "--kind", "exchange", "--format", "json")...)
	if code != 0 || !strings.Contains(out, "Binance 14") || !strings.HasSuffix((*log)[len(*log)-1], "GET /v1/watchlist?kind=exchange ") {
		t.Fatalf("ls: %q, last request %q", out, (*log)[len(*log)-1])
	}
	if _, msg, code := runCLI(t, append(api, "watch", "rm", "--chain", "ethereum", "--address", "0x28C6c06298d514Db089934071355E5743bf21d60")...); code != 0 {
		t.Fatalf("rm: %s", msg)
	}
	out, msg, code = runCLI(t, append(api, "incident", "open", "--chain", "ethereum", "--tx", "0x46deef0f52e3a983b67abf4714448a41dd7ffd6d32d32da69d62081c68ad7882", "--dust", "1000", "--format", "json")...)
	if code != 0 || !strings.Contains(out, `"id": "inc_01JM000000000000000000000"`) || !strings.Contains(out, `"dust": "1000"`) {
		t.Fatalf("incident open: exit %d %q %s", code, out, msg)
	}
	var posted map[string]any
	for _, l := range *log {
		if strings.HasPrefix(l, "POST /v1/incidents ") {
			json.Unmarshal([]byte(strings.TrimPrefix(l, "POST /v1/incidents ")), &posted)
		}
	}
	if posted["dust"] != "1000" || posted["chain"] != "ethereum" || posted["policy"] != nil {
		t.Fatalf("incident body %v", posted)
	}

	_, msg, code = runCLI(t, "--data-dir", dir, "--api", srv.URL, "--api-key", "wrong", "watch", "ls")
	if code != 1 || !strings.Contains(msg, "no or bad API key") {
		t.Fatalf("401: exit %d %q", code, msg)
	}
	// The data directory was never opened.
	if n := len(ls(t, dir).Entries); n != 0 {
		t.Fatalf("data dir holds %d entries", n)
	}
}
