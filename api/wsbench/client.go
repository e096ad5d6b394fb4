package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// histogram of latencies in 50 µs buckets up to 10 s.
const bucket = 50 * time.Microsecond

type histogram struct {
	b   [200000]atomic.Int64
	max atomic.Int64
	n   atomic.Int64
}

func (h *histogram) add(d time.Duration) {
	i := int(d / bucket)
	if i < 0 {
		i = 0
	}
	if i >= len(h.b) {
		i = len(h.b) - 1
	}
	h.b[i].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			break
		}
	}
}

func (h *histogram) pct(p float64) time.Duration {
	target := int64(float64(h.n.Load()) * p / 100)
	var sum int64
	for i := range h.b {
		sum += h.b[i].Load()
		if sum > target {
			return time.Duration(i+1) * bucket
		}
	}
	return time.Duration(h.max.Load())
}

// runClient reads keys from stdin (one per subscriber, then "go"),
// connects them all, prints "ready", counts until stdin closes, then
// prints its result as JSON.
func runClient(url string) {
	// The client is the measuring instrument, not the system under test:
	// keep its collector out of the latencies.
	debug.SetGCPercent(800)
	in := bufio.NewScanner(os.Stdin)
	var keys []string
	for in.Scan() && in.Text() != "go" {
		keys = append(keys, in.Text())
	}
	wsURL := "ws" + strings.TrimPrefix(url, "http") + "/v1/alerts/ws"
	h := &histogram{}
	var closed atomic.Int64
	dialer := &websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 256}
	conns := make([]*websocket.Conn, len(keys))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var c *websocket.Conn
			var err error
			for try := 0; try < 5; try++ {
				c, _, err = dialer.Dial(wsURL, http.Header{"Authorization": {"Bearer " + k}})
				if err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "dial:", err)
				os.Exit(1)
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	for _, c := range conns {
		go func() {
			var a struct {
				Time time.Time `json:"time"`
			}
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					closed.Add(1)
					return
				}
				now := time.Now()
				if json.Unmarshal(data, &a) == nil {
					h.add(now.Sub(a.Time))
				}
			}
		}()
	}
	fmt.Println("ready")
	for in.Scan() {
	}
	res := clientResult{Count: int(h.n.Load()), Closed: int(closed.Load()), P50: h.pct(50), P99: h.pct(99), Max: time.Duration(h.max.Load())}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))

}
