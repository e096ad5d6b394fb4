package testnodes

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy forwards TCP connections from a loopback port to a node's, and
// can make the node vanish for its clients: Stop closes the listener and
// every connection, Start listens on the same port again. It stands in
// for stopping a node that cannot be restarted with its chain: the
// simulated Ethereum backend keeps it in memory, and btcd --regtest
// deletes it when it starts.
type Proxy struct {
	Addr   string // host:port clients dial
	target string
	mu     sync.Mutex
	l      net.Listener
	conns  map[net.Conn]struct{}
}

// StartProxy forwards a free loopback port to target (host:port) until
// the test ends.
func StartProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	p := &Proxy{target: target, conns: map[net.Conn]struct{}{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testnodes: proxy listen: %v", err)
	}
	p.Addr = l.Addr().String()
	p.serve(l)
	tb.Cleanup(p.Stop)
	return p
}

func (p *Proxy) serve(l net.Listener) {
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *Proxy) forward(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.l == nil { // stopped meanwhile
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) { _, _ = io.Copy(dst, src); done <- struct{}{} }
	go pipe(up, c)
	go pipe(c, up)
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// Stop closes the listener and every forwarded connection (idempotent).
func (p *Proxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Start listens on the same port again after Stop.
func (p *Proxy) Start(tb testing.TB) {
	tb.Helper()
	var l net.Listener
	var err error
	for range 50 { // the port of a closed listener may take a moment to free
		if l, err = net.Listen("tcp", p.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("testnodes: proxy listen again on %s: %v", p.Addr, err)
	}
	p.serve(l)
}
