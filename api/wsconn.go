package api

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// wsConn is one subscriber's connection. It owns a single goroutine for
// its whole life, the reader (pongs, the close handshake, the frame
// limit). Writing has no goroutine of its own while there is nothing to
// write: the hub pushes alerts onto a bounded queue, and a writer
// goroutine is started only when the queue (or a ping, or a kick) has
// work, and exits once it is drained. An idle subscriber therefore costs
// one goroutine stack, not two, which halves the stacks the garbage
// collector scans on every cycle.
//
// At most one goroutine writes at a time: whoever sets writing (the
// handshake goroutine during the catch-up, then drain) owns the
// connection's write side until it clears it.
type wsConn struct {
	s      *Server
	conn   *websocket.Conn
	sub    *subscriber
	slot   *wsSlot // its place in the per-key and per-tenant counts
	ctx    context.Context
	cancel context.CancelFunc // called when the reader ends
	ping   *time.Timer        // sets pingDue every PingInterval

	mu      sync.Mutex
	q       []*fanMsg // pending alerts, q[head:]; at most QueueSize
	head    int
	writing bool // a goroutine owns the write side
	pingDue bool
	kicked  int  // kickSlow or kickShutdown, set by the hub
	closed  bool // a close frame went out or the reader ended: queue nothing more

	lastSent uint64 // the last alert written; owned by the writer
}

// push queues m without blocking and starts a writer if none runs. It
// reports false when the queue is full: the subscriber is too slow.
func (c *wsConn) push(m *fanMsg) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return true // going away anyway; nothing to queue
	}
	if len(c.q)-c.head >= c.s.cfg.QueueSize {
		return false
	}
	if c.head > 0 && len(c.q) == cap(c.q) {
		n := copy(c.q, c.q[c.head:])
		clear(c.q[n:])
		c.q, c.head = c.q[:n], 0
	}
	c.q = append(c.q, m)
	c.startWriterLocked()
	return true
}

// kick is the hub dropping the subscriber (it has left the hub's set).
func (c *wsConn) kick(reason int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kicked == 0 {
		c.kicked = reason
	}
	c.startWriterLocked()
}

// pingTimer fires every PingInterval until the connection closes (end
// and close set closed under mu before stopping it, so it is never
// re-armed after).
func (c *wsConn) pingTimer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.ping.Reset(c.s.cfg.PingInterval)
	c.pingDue = true
	c.startWriterLocked()
}

func (c *wsConn) startWriterLocked() {
	if c.writing || c.closed {
		return
	}
	c.writing = true
	go c.drain()
}

// pop takes the next thing to do; the caller owns the write side. A
// kick comes first (a slow subscriber is closed at once, not after its
// backlog), then a due ping, then the oldest alert. done means the queue
// is empty and the write side is released.
func (c *wsConn) pop() (m *fanMsg, kick int, ping, done bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		c.writing = false
		return nil, 0, false, true
	case c.kicked != 0:
		return nil, c.kicked, false, false
	case c.pingDue:
		c.pingDue = false
		return nil, 0, true, false
	case c.head < len(c.q):
		m = c.q[c.head]
		c.q[c.head] = nil
		c.head++
		if c.head == len(c.q) {
			c.head = 0
			if cap(c.q) > 8 {
				c.q = nil // a burst is over: give its queue back
			} else {
				c.q = c.q[:0]
			}
		}
		return m, 0, false, false
	}
	c.writing = false
	return nil, 0, false, true
}

// drain writes until there is nothing left, then returns; it runs on a
// goroutine of its own (started by push, kick or the ping timer) or on
// the handshake goroutine right after the catch-up.
func (c *wsConn) drain() {
	s := c.s
	for {
		m, kick, ping, done := c.pop()
		switch {
		case done:
			return
		case kick == kickSlow:
			c.close(CodeSlowConsumer.CloseCode(), SlowConsumerReason(c.lastSent))
			return
		case kick == kickRevoked:
			c.close(CodeUnauthorized.CloseCode(), RevokedReason)
			return
		case kick != 0:
			c.close(CodeUnavailable.CloseCode(), fmt.Sprintf("server shutting down; resume with since=%d", c.lastSent))
			return
		case ping:
			if c.revoked() {
				c.close(CodeUnauthorized.CloseCode(), RevokedReason)
				return
			}
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.cfg.WriteWait)); err != nil {
				c.abort()
				return
			}
		case m.event:
			_ = c.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, m.data); err != nil {
				c.abort()
				return
			}
		case m.alert.Seq > c.lastSent:
			_ = c.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, m.data); err != nil {
				c.abort()
				return
			}
			c.lastSent = m.alert.Seq
		}
	}
}

// kickedFor reports whether the connection was kicked for reason.
func (c *wsConn) kickedFor(reason int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kicked == reason
}

// revoked looks the key up again: a key revoked or expired since the
// connection opened ends it at the next ping. A store error keeps it
// (the next ping looks again), as does a server closing down.
func (c *wsConn) revoked() bool {
	if !c.s.wsStore() {
		return false
	}
	defer c.s.wsStoreDone()
	k, ok, err := c.s.deps.Keys.KeyByHash(c.ctx, c.sub.key.Hash)
	return err == nil && (!ok || !k.Active())
}

// read handles pongs and the close handshake; clients have nothing else
// to say, so data frames are discarded, and one larger than MaxFrame
// closes the connection with 1009. When it ends, so does the connection.
func (c *wsConn) read() {
	defer c.end()
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

// end runs when the reader stops: the client went away, closed, did not
// answer pings, broke the frame limit, or a writer closed the socket. A
// writer still running sees closed and stops at its next step (a write
// on the closed socket fails at once).
func (c *wsConn) end() {
	c.mu.Lock()
	c.closed = true
	c.q, c.head = nil, 0
	c.mu.Unlock()
	c.ping.Stop()
	c.s.hub.leaveHub(c.sub)
	c.s.ws.release(c.slot)
	c.conn.Close()
	c.cancel()
}

// abort drops a connection whose write failed; the reader then ends.
func (c *wsConn) abort() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.conn.Close()
}

// close sends a close frame and gives the client a second to answer
// before the socket is dropped; the write side stays taken, so nothing
// is written after the close frame.
func (c *wsConn) close(code int, reason string) {
	c.mu.Lock()
	c.closed = true
	c.q, c.head = nil, 0
	c.mu.Unlock()
	msg := websocket.FormatCloseMessage(code, reason)
	if err := c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.s.cfg.WriteWait)); err != nil {
		c.conn.Close()
		return
	}
	time.AfterFunc(time.Second, func() { c.conn.Close() })
}
