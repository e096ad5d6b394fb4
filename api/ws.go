package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/gorilla/websocket"
)

// A joining subscriber reads the stored alerts catchUpFirst at first
// (most have little or nothing to catch up on, and a reconnect storm of
// thousands should not each buffer a large page), then pages of up to
// catchUpPage.
const (
	catchUpFirst = 16
	catchUpPage  = 500
)

var writeBufferPool = &sync.Pool{}

// firstPing is when a new connection is first pinged: at a random point
// in the first interval, so that the thousands of subscribers that
// reconnect together after a restart are not pinged (and their keys
// looked up) in one burst every interval ever after, but evenly. Later
// pings follow every interval.
func firstPing(interval time.Duration) time.Duration {
	return 1 + rand.N(interval)
}

// RevokedReason is the close reason of code 4001 when the connection's
// key is revoked.
const RevokedReason = "API key revoked"

// SlowConsumerReason is the close reason of code 4008.
func SlowConsumerReason(last uint64) string {
	return fmt.Sprintf("slow consumer; resume with since=%d", last)
}

// originAllowed: no Origin (a non-browser client), the API's own origin,
// or one of cfg.AllowedOrigins.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if o == "*" || strings.EqualFold(strings.TrimRight(o, "/"), origin) {
			return true
		}
	}
	return false
}

// alertsWS answers GET /v1/alerts/ws: everything is checked before the
// upgrade, so a bad request gets an HTTP error in the contract's shape.
func (s *Server) alertsWS(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	q := r.URL.Query()
	f, since, e := s.alertsQuery(q)
	if e != nil {
		writeError(w, e)
		return
	}
	// An incident filter must name an incident the key can read; an
	// exchange reads none, so its filter is only checked for form.
	if f.Incident != "" && s.deps.Incidents != nil && k.Role != apikey.RoleExchange {
		inc, err := s.deps.Incidents.Get(f.Incident)
		if err != nil && !errors.Is(err, watchlists.ErrNotFound) {
			s.fail(w, r, err)
			return
		}
		if err != nil || !seesIncident(k, inc) {
			writeError(w, Errorf(CodeInvalidFilter, "incident", "no incident %q", f.Incident))
			return
		}
	}
	if !websocket.IsWebSocketUpgrade(r) {
		writeError(w, Errorf(CodeInvalid, "Upgrade", "this endpoint is a websocket: send a GET with Connection: Upgrade and Upgrade: websocket"))
		return
	}
	if !s.originAllowed(r) {
		writeError(w, Errorf(CodeForbidden, "Origin", "origin %q may not open this websocket", r.Header.Get("Origin")))
		return
	}
	slot, reason, e := s.ws.admit(k)
	if e != nil {
		s.metrics.WSRefused.WithLabelValues(reason).Inc()
		s.log.Info("websocket refused", "key", k.ID, "tenant", k.Tenant, "reason", reason)
		writeError(w, e)
		return
	}
	up := websocket.Upgrader{
		ReadBufferSize:   512,
		WriteBufferPool:  writeBufferPool,
		HandshakeTimeout: s.cfg.WriteWait,
		Subprotocols:     []string{WSProtocol},                     // a browser's key offer (wsProtocolKey) is never echoed
		CheckOrigin:      func(*http.Request) bool { return true }, // checked above
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, &Error{Code: CodeInvalid, Field: "Upgrade", Message: reason.Error()})
		},
	}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.ws.release(slot)
		return // Upgrade answered already
	}
	c := &wsConn{s: s, conn: conn, slot: slot, writing: true}
	c.sub = &subscriber{key: k, filter: f, out: c}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.mu.Lock()
	c.ping = time.AfterFunc(firstPing(s.cfg.PingInterval), c.pingTimer)
	c.mu.Unlock()
	s.log.Debug("websocket subscriber connected", "key", k.ID, "tenant", k.Tenant, "since", since, "filter", f.String())
	go c.read()
	if !s.ws.attach(slot, c) {
		c.kick(kickRevoked) // revoked during the handshake
	}
	// The catch-up runs on this (the handshake's) goroutine, which owns
	// the write side until it has joined the hub and drained what the
	// hub queued meanwhile; after that a writer runs only while there is
	// something to write.
	if !c.catchUp(since) {
		return
	}
	c.drain()
}

// catchUp sends the stored alerts after since at the client's pace, then
// joins the hub, which replays from its ring what was appended after the
// last page. It reports false when the connection is over.
func (c *wsConn) catchUp(since uint64) bool {
	s, sub := c.s, c.sub
	c.lastSent = since
	pos, size := since, catchUpFirst
	for {
		if c.kickedFor(kickRevoked) {
			c.close(CodeUnauthorized.CloseCode(), RevokedReason)
			return false
		}
		if !s.wsStore() {
			c.close(CodeUnavailable.CloseCode(), fmt.Sprintf("server shutting down; resume with since=%d", c.lastSent))
			return false
		}
		page, err := s.deps.Alerts.Since(c.ctx, pos, size)
		s.wsStoreDone()
		if err != nil {
			if c.ctx.Err() == nil {
				s.log.Error("websocket catch-up: read alert log", "after", pos, "err", err)
				c.close(CodeInternal.CloseCode(), fmt.Sprintf("alert log unavailable; resume with since=%d", c.lastSent))
			}
			return false
		}
		if len(page) == 0 {
			joined, closed := s.hub.joinHub(sub, pos)
			if closed {
				c.close(CodeUnavailable.CloseCode(), fmt.Sprintf("server shutting down; resume with since=%d", c.lastSent))
				return false
			}
			if !joined {
				continue
			}
			// The reader may have ended (and left the hub) before the
			// hub took the join: leave again, so the set keeps no dead
			// connection.
			c.mu.Lock()
			ended := c.closed
			c.mu.Unlock()
			if ended {
				s.hub.leaveHub(sub)
				return false
			}
			return true
		}
		if len(page) == size {
			size = min(4*size, catchUpPage)
		}
		seen := page[:0:0]
		for i := range page {
			if a := &page[i]; seesAlert(sub.key, a.Audience) && sub.filter.Match(a) {
				seen = append(seen, *a)
			}
		}
		pos = page[len(page)-1].Seq
		var views []alertView
		if s.wsStore() {
			views, err = s.withTriage(c.ctx, sub.key, &sub.filter, seen)
			s.wsStoreDone()
		} else {
			err = errors.New("server shutting down")
		}
		if err != nil {
			if c.ctx.Err() == nil {
				s.log.Error("websocket catch-up: read triage", "after", c.lastSent, "err", err)
				c.close(CodeInternal.CloseCode(), fmt.Sprintf("alert triage unavailable; resume with since=%d", c.lastSent))
			}
			return false
		}
		for _, a := range views {
			data, err := json.Marshal(a)
			if err != nil {
				s.log.Error("websocket catch-up: encode alert", "seq", a.Seq, "err", err)
				continue
			}
			_ = c.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, data); err != nil {
				c.abort()
				return false
			}
			c.lastSent = a.Seq
		}
	}
}
