package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// rpcGate is a reverse proxy to a node's RPC that the test can hold: the
// daemon's follower (and every call it makes to that node) waits until it
// is released, so one chain's follower falls behind the other's.
type rpcGate struct {
	URL  string
	mu   sync.RWMutex
	held atomic.Bool
	down atomic.Bool // the node vanished: connections are dropped
}

func newRPCGate(t *testing.T, target string) *rpcGate {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	g := &rpcGate{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.RLock()
		//lint:ignore SA2001 a held gate makes the request wait above until released
		g.mu.RUnlock()
		if g.down.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			http.Error(w, "node gone", http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { // before Close, which waits for held requests
		if g.held.Load() {
			g.release()
		}
	})
	g.URL = srv.URL
	return g
}

func (g *rpcGate) hold() { g.mu.Lock(); g.held.Store(true) }

func (g *rpcGate) release() { g.held.Store(false); g.mu.Unlock() }

// vanish makes the node unreachable: every request's connection is
// dropped (what a killed node looks like to a client that was talking to
// it), until the test ends.
func (g *rpcGate) vanish() { g.down.Store(true) }
