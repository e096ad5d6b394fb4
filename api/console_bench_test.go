package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
)

// BenchmarkConsoleAlertToRow measures, per alert appended to the log,
// the time until a websocket client (gorilla, in this process) has read
// it — the websocket's own latency, the bare cost — and the time until
// the console in headless Chromium has put its row on the page (the page
// stamps the row's insertion with its own clock, the same machine's
// wall clock as the append's, and hands it over through a promise, so the
// browser is not polled meanwhile). Both start at the append. Reported: the
// medians and p99s of both and of their difference (goal: the page
// within 100 ms of the websocket). Needs /usr/bin/chromium.
//
//	go test ./api -run '^$' -bench ConsoleAlertToRow -benchtime 200x
func BenchmarkConsoleAlertToRow(b *testing.B) {
	e := newEnv(b, b.TempDir(), api.Config{})
	key := e.key(apikey.RoleAdmin, "ops")
	ctx := chromiumTab(b, e.ts.URL+"/")
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#signin-key"), key),
		chromedp.Click(chromedp.CSS(`#signin-form button[type="submit"]`)),
	); err != nil {
		b.Fatalf("chromium: %v", err)
	}
	poll := func(expr string) float64 {
		deadline := time.Now().Add(10 * time.Second)
		for {
			v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](expr+" || 0"))
			if err != nil {
				b.Fatalf("evaluate %s: %v", expr, err)
			}
			if v != 0 {
				return v
			}
			if time.Now().After(deadline) {
				b.Fatalf("timed out on %s", expr)
			}
			time.Sleep(time.Millisecond)
		}
	}
	poll(`document.getElementById('feed-state').dataset.state === 'live' ? 1 : 0`)

	h := http.Header{"Authorization": {"Bearer " + key}}
	ws, _, err := websocket.DefaultDialer.Dial(e.wsURL("?since=0"), h)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()

	var wsLat, pageLat, over []float64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		a := e.appendAlerts(1, "ops")[0]
		var got struct{ Seq uint64 }
		if err := ws.ReadJSON(&got); err != nil || got.Seq != a.Seq {
			b.Fatalf("websocket: seq %d, %v; want %d", got.Seq, err, a.Seq)
		}
		wsMs := float64(time.Since(start).Microseconds()) / 1000
		rowAt, err := chromedp.Run(ctx, chromedp.Evaluate[float64](fmt.Sprintf(`window.__ch.waitRow(%d)`, a.Seq), chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatalf("row %d: %v", a.Seq, err)
		}
		pageMs := rowAt - float64(start.UnixMicro())/1000
		wsLat, pageLat, over = append(wsLat, wsMs), append(pageLat, pageMs), append(over, pageMs-wsMs)
	}
	b.StopTimer()
	q := func(xs []float64, p float64) float64 {
		s := slices.Clone(xs)
		slices.Sort(s)
		return s[min(len(s)-1, int(p*float64(len(s))))]
	}
	b.ReportMetric(q(wsLat, 0.5), "ws-p50-ms")
	b.ReportMetric(q(wsLat, 0.99), "ws-p99-ms")
	b.ReportMetric(q(pageLat, 0.5), "row-p50-ms")
	b.ReportMetric(q(pageLat, 0.99), "row-p99-ms")
	b.ReportMetric(q(over, 0.5), "over-p50-ms")
	b.ReportMetric(q(over, 0.99), "over-p99-ms")
}
