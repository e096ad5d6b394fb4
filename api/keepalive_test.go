package api_test

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/gorilla/websocket"
)

// Idle subscribers are pinged every PingInterval (the server has no
// writer running for them between alerts: the ping timer starts one).
// One that answers stays past PongWait and still gets live alerts; one
// that never reads, so never answers, is dropped after PongWait.
func TestWebsocketKeepalive(t *testing.T) {
	const ping, pongWait = 40 * time.Millisecond, 200 * time.Millisecond
	e := newEnv(t, t.TempDir(), api.Config{PingInterval: ping, PongWait: pongWait})
	key := e.key(apikey.RoleExchange, "binance")

	live := e.mustDial(key, "")
	var pings atomic.Int64
	live.SetPingHandler(func(data string) error {
		pings.Add(1)
		return live.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	frames := make(chan []byte, 16)
	go func() {
		defer close(frames)
		for {
			_, data, err := live.ReadMessage()
			if err != nil {
				return
			}
			frames <- data
		}
	}()
	dead := e.mustDial(key, "") // never read: pings pile up unanswered
	_ = dead

	waitMetric := func(line string) {
		t.Helper()
		var m string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, m = e.do("GET", "/metrics", "", ""); strings.Contains(m, line) {
				return
			}
		}
		t.Fatalf("metrics lack %q:\n%s", line, grepLines(m, "websocket"))
	}
	waitMetric("chainhound_websocket_subscribers 2")
	waitMetric("chainhound_websocket_subscribers 1") // the silent one is gone
	for deadline := time.Now().Add(5 * time.Second); pings.Load() <= int64(pongWait/ping); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d pings in 5 s at a %s interval", pings.Load(), ping)
		}
	}

	e.appendAlerts(1, "binance")
	select {
	case data, ok := <-frames:
		var a alerts.Alert
		if !ok || json.Unmarshal(data, &a) != nil || a.Seq != 1 {
			t.Fatalf("live subscriber after %d pings: %q (open %v), want alert 1", pings.Load(), data, ok)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("live subscriber got no alert after the pings")
	}
}
