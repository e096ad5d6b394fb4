package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chainhound/chainhound/watchlists"
	"github.com/gorilla/websocket"
)

// catchUpPage is how many stored alerts a joining subscriber reads at a
// time.
const catchUpPage = 500

var writeBufferPool = &sync.Pool{}

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
func (s *Server) alertsWS(w http.ResponseWriter, r *http.Request, k Key) {
	q := r.URL.Query()
	f, e := ParseFilter(q, "since")
	if e != nil {
		writeError(w, e)
		return
	}
	since, e := parseSeq(q, "since")
	if e != nil {
		writeError(w, e)
		return
	}
	// An incident filter must name an incident the key can read; an
	// exchange reads none, so its filter is only checked for form.
	if f.Incident != "" && s.deps.Incidents != nil && k.Role != RoleExchange {
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
	up := websocket.Upgrader{
		ReadBufferSize:   512,
		WriteBufferPool:  writeBufferPool,
		HandshakeTimeout: s.cfg.WriteWait,
		CheckOrigin:      func(*http.Request) bool { return true }, // checked above
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, &Error{Code: CodeInvalid, Field: "Upgrade", Message: reason.Error()})
		},
	}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered already
	}
	sub := &subscriber{
		key:    k,
		filter: f,
		send:   make(chan *fanMsg, s.cfg.QueueSize),
		kicked: make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &wsConn{s: s, conn: conn, sub: sub, readerDone: make(chan struct{}), cancel: cancel}
	s.log.Debug("websocket subscriber connected", "key", k.ID, "tenant", k.Tenant, "since", since, "filter", f.String())
	go c.read()
	// The catch-up runs on this (the handshake's) goroutine, whose stack
	// is large anyway and goes away; the writer that stays for the live
	// phase starts small.
	lastSent, ok := c.catchUp(ctx, since)
	if !ok {
		c.finish()
		return
	}
	go c.live(ctx, lastSent)
}

// wsConn is one subscriber's connection: one reader, one writer.
type wsConn struct {
	s          *Server
	conn       *websocket.Conn
	sub        *subscriber
	readerDone chan struct{}
	cancel     context.CancelFunc // called when the reader ends
}

// read handles pongs and the close handshake; clients have nothing else
// to say, so data frames are discarded, and one larger than MaxFrame
// closes the connection with 1009.
func (c *wsConn) read() {
	defer close(c.readerDone)
	defer c.cancel()
	c.conn.SetReadLimit(c.s.cfg.MaxFrame)
	_ = c.conn.SetReadDeadline(time.Now().Add(c.s.cfg.PongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(c.s.cfg.PongWait))
	})
	for {
		_, r, err := c.conn.NextReader()
		if err != nil {
			return
		}
		// Read it through, so the limit holds across fragments.
		if _, err := io.Copy(io.Discard, r); err != nil {
			return
		}
	}
}

// finish leaves the hub and closes the connection.
func (c *wsConn) finish() {
	c.s.hub.leaveHub(c.sub)
	c.conn.Close()
	<-c.readerDone
	c.cancel()
}

// catchUp sends the stored alerts after since at the client's pace, then
// joins the hub, which replays from its ring what was appended after the
// last page. It returns the last seq sent, or ok=false when the
// connection is over.
func (c *wsConn) catchUp(ctx context.Context, since uint64) (lastSent uint64, ok bool) {
	s, sub := c.s, c.sub
	lastSent, pos := since, since
	for {
		page, err := s.deps.Alerts.Since(ctx, pos, catchUpPage)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("websocket catch-up: read alert log", "after", pos, "err", err)
				c.close(CloseInternal, fmt.Sprintf("alert log unavailable; resume with since=%d", lastSent))
			}
			return lastSent, false
		}
		if len(page) == 0 {
			joined, closed := s.hub.joinHub(sub, pos)
			if closed {
				c.close(CloseGoingAway, fmt.Sprintf("server shutting down; resume with since=%d", lastSent))
				return lastSent, false
			}
			if joined {
				return lastSent, true
			}
			continue
		}
		for i := range page {
			a := &page[i]
			pos = a.Seq
			if !seesAlert(sub.key, a.Audience) || !sub.filter.Match(a) {
				continue
			}
			data, err := json.Marshal(a)
			if err != nil {
				s.log.Error("websocket catch-up: encode alert", "seq", a.Seq, "err", err)
				continue
			}
			_ = c.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, data); err != nil {
				return lastSent, false
			}
			lastSent = a.Seq
		}
	}
}

// live sends the hub's alerts and pings until the connection ends.
func (c *wsConn) live(ctx context.Context, lastSent uint64) {
	s, sub := c.s, c.sub
	defer c.finish()
	ping := time.NewTicker(s.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case m := <-sub.send:
			if m.alert.Seq <= lastSent {
				continue
			}
			_ = c.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
			if err := c.conn.WritePreparedMessage(m.pm); err != nil {
				return
			}
			lastSent = m.alert.Seq
		case <-sub.kicked:
			switch sub.kickReason {
			case kickSlow:
				c.close(CloseSlowConsumer, SlowConsumerReason(lastSent))
			default:
				c.close(CloseGoingAway, fmt.Sprintf("server shutting down; resume with since=%d", lastSent))
			}
			return
		case <-ping.C:
			if k, ok, err := s.deps.Keys.KeyByHash(ctx, sub.key.Hash); err == nil && (!ok || !k.Active()) {
				c.close(CloseUnauthorized, "API key revoked")
				return
			}
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.cfg.WriteWait)); err != nil {
				return
			}
		case <-c.readerDone:
			return
		}
	}
}

// close sends a close frame and gives the client a moment to answer.
func (c *wsConn) close(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	if err := c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.s.cfg.WriteWait)); err != nil {
		return
	}
	select {
	case <-c.readerDone:
	case <-time.After(time.Second):
	}
}
