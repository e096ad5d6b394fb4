package api_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/gorilla/websocket"
)

// A subscriber disconnects, alerts keep coming, the daemon restarts (the
// store is reopened), more alerts come; it reconnects with since and gets
// exactly the missed alerts, in order, once, then live ones.
func TestResumeAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, dir, api.Config{})
	key := e.key(apikey.RoleExchange, "binance")
	e.appendAlerts(3, "binance")

	c := e.mustDial(key, "?since=0")
	got := readAlerts(t, c, 3)
	if want := seqRange(1, 3); !equalSeqs(seqs(got), want) {
		t.Fatalf("first connection: %v, want %v", seqs(got), want)
	}
	e.appendAlerts(2, "binance")
	readAlerts(t, c, 2) // live: 4, 5
	c.Close()

	e.appendAlerts(4, "binance") // missed while away: 6..9
	e.appendAlerts(2, "kraken")  // not ours: 10, 11
	e.stop()

	e = newEnv(t, dir, api.Config{})
	e.appendAlerts(2, "binance") // after the restart: 12, 13
	c = e.mustDial(key, "?since=5")
	got = readAlerts(t, c, 6)
	if want := []uint64{6, 7, 8, 9, 12, 13}; !equalSeqs(seqs(got), want) {
		t.Fatalf("after restart: %v, want %v", seqs(got), want)
	}
	e.appendAlerts(1, "binance")
	if got := readAlerts(t, c, 1); got[0].Seq != 14 {
		t.Fatalf("live after resume: %d, want 14", got[0].Seq)
	}
}

// Alerts appended while a subscriber pages its backlog and joins the hub
// arrive exactly once, in order: the catch-up/live hand-off has no gap.
func TestResumeWhileAppending(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{RingSize: 64})
	key := e.key(apikey.RoleAdmin, "ops")
	e.appendAlerts(1200) // a backlog of several pages
	const extra = 600
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < extra; i += 3 {
			e.appendAlerts(3)
		}
	}()
	c := e.mustDial(key, "?since=100")
	got := readAlerts(t, c, 1200+extra-100)
	wg.Wait()
	if want := seqRange(101, 1200+extra); !equalSeqs(seqs(got), want) {
		t.Fatalf("got %d alerts %v…, want %d in order", len(got), seqs(got)[:10], len(want))
	}
}

// A subscriber that does not read is closed with 4008 and a reason that
// says where to resume, while a fast one receives everything; resuming
// from the reason's seq delivers the rest exactly.
func TestSlowConsumerDropped(t *testing.T) {
	// A long write deadline: the slow subscriber stays unread for as long
	// as the fast one needs (long under -race).
	e := newEnv(t, t.TempDir(), api.Config{QueueSize: 16, WriteWait: time.Minute})
	key := e.key(apikey.RoleAdmin, "ops")
	fast := e.mustDial(key, "?since=0")
	slow := e.mustDial(key, "?since=0")

	// Big alerts so that the socket buffers fill and the slow queue
	// overflows.
	big := strings.Repeat("x", 16<<10)
	const n = 1500
	var fastGot []alerts.Alert
	var progress atomic.Uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		fast.SetReadDeadline(time.Now().Add(20 * time.Second))
		for len(fastGot) < n {
			_, data, err := fast.ReadMessage()
			if err != nil {
				t.Errorf("fast subscriber after %d: %v", len(fastGot), err)
				return
			}
			var a alerts.Alert
			if err := jsonUnmarshal(data, &a); err != nil {
				t.Error(err)
				return
			}
			fastGot = append(fastGot, a)
			progress.Store(a.Seq)
		}
	}()
	// The producer runs at the fast subscriber's pace: at most one batch
	// ahead of it.
	for i := 0; i < n; i += 10 {
		for progress.Load() < uint64(i) {
			select {
			case <-done:
				t.Fatal("fast subscriber stopped")
			case <-time.After(time.Millisecond):
			}
		}
		as := make([]alerts.Alert, 10)
		for j := range as {
			as[j] = testAlert()
			as[j].Label.Name = big
		}
		if _, err := e.log.Append(t.Context(), as); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if want := seqRange(1, n); !equalSeqs(seqs(fastGot), want) {
		t.Fatalf("fast subscriber got %d alerts, want all %d in order", len(fastGot), n)
	}

	// Now the slow one reads what was queued for it, then the close.
	var last uint64
	slow.SetReadDeadline(time.Now().Add(20 * time.Second))
	var closeErr *websocket.CloseError
	for {
		_, data, err := slow.ReadMessage()
		if err != nil {
			ce, ok := err.(*websocket.CloseError)
			if !ok {
				t.Fatalf("slow subscriber: %v, want a close frame", err)
			}
			closeErr = ce
			break
		}
		var a alerts.Alert
		if err := jsonUnmarshal(data, &a); err != nil {
			t.Fatal(err)
		}
		if a.Seq != last+1 {
			t.Fatalf("slow subscriber: seq %d after %d", a.Seq, last)
		}
		last = a.Seq
	}
	if closeErr.Code != api.CloseSlowConsumer || closeErr.Text != api.SlowConsumerReason(last) {
		t.Fatalf("close %d %q, want %d %q", closeErr.Code, closeErr.Text, api.CloseSlowConsumer, api.SlowConsumerReason(last))
	}
	if last >= n {
		t.Fatalf("slow subscriber received everything (%d); it was never slow", last)
	}
	// Resume where the reason says.
	c := e.mustDial(key, "?since="+itoa(last))
	got := readAlerts(t, c, int(n-last))
	if want := seqRange(last+1, n); !equalSeqs(seqs(got), want) {
		t.Fatalf("resume: %d alerts, want %d..%d", len(got), last+1, n)
	}
	_, body := e.do("GET", "/metrics", "", "")
	if !strings.Contains(body, "chainhound_websocket_dropped_total 1") {
		t.Fatalf("metrics do not count the dropped subscriber:\n%s", grepLines(body, "websocket"))
	}
}

// Filters select by type, chain, min_severity and label owner.
func TestWebsocketFilters(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{})
	key := e.key(apikey.RoleAdmin, "ops")
	a1 := testAlert("binance")
	a2 := testAlert("kraken")
	a2.Type, a2.Severity = alerts.TypeMixerDeposit, alerts.Medium
	a3 := testAlert("binance")
	a3.Chain, a3.Severity = "bitcoin", alerts.Low
	if _, err := e.log.Append(t.Context(), []alerts.Alert{a1, a2, a3}); err != nil {
		t.Fatal(err)
	}
	var sentinels []uint64 // appended by earlier cases; they match every filter
	for _, tc := range []struct {
		name, query string
		want        []uint64
	}{
		{"all", "", []uint64{1, 2, 3}},
		{"type", "&type=taint.mixer_deposit", []uint64{2}},
		{"types repeated", "&type=taint.mixer_deposit&type=taint.exchange_deposit", []uint64{1, 2, 3}},
		{"chain", "&chain=bitcoin", []uint64{3}},
		{"min severity", "&min_severity=medium", []uint64{1, 2}},
		{"owner", "&owner=kraken", []uint64{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := append(append([]uint64(nil), tc.want...), sentinels...)
			c := e.mustDial(key, "?since=0"+tc.query)
			got := readAlerts(t, c, len(want))
			if !equalSeqs(seqs(got), want) {
				t.Fatalf("got %v, want %v", seqs(got), want)
			}
			// Nothing else: the next live alert that matches is next.
			more := testAlert("kraken")
			more.Type, more.Chain, more.Severity = alerts.TypeMixerDeposit, "bitcoin", alerts.Critical
			out, err := e.log.Append(t.Context(), []alerts.Alert{more})
			if err != nil {
				t.Fatal(err)
			}
			sentinels = append(sentinels, out[0].Seq)
			if got := readAlerts(t, c, 1); got[0].Seq != out[0].Seq {
				t.Fatalf("next frame seq %d, want %d", got[0].Seq, out[0].Seq)
			}
		})
	}
}

// TestStuckWebsocketBlocksNothing: subscribers that never read — one in
// its catch-up, one joined to the hub — make neither alert appends nor
// API reads wait, and the hub keeps serving a subscriber that reads.
func TestStuckWebsocketBlocksNothing(t *testing.T) {
	e := newEnv(t, t.TempDir(), api.Config{QueueSize: 16, WriteWait: time.Minute})
	key := e.key(apikey.RoleAdmin, "ops")
	big := strings.Repeat("x", 16<<10)
	appendBig := func(n int) error {
		as := make([]alerts.Alert, n)
		for i := range as {
			as[i] = testAlert()
			as[i].Label.Name = big
		}
		_, err := e.log.Append(t.Context(), as)
		return err
	}
	if err := appendBig(200); err != nil { // a backlog larger than the socket buffers
		t.Fatal(err)
	}
	e.mustDial(key, "?since=0")                   // stuck in its catch-up
	e.mustDial(key, "?since="+itoa(e.log.Last())) // stuck on the hub's live alerts
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 50; i++ {
			if err := appendBig(10); err != nil {
				done <- err
				return
			}
		}
		for _, path := range []string{"/v1/alerts?since=0&limit=5", "/v1/incidents", "/metrics"} {
			if code, body := e.do("GET", path, key, ""); code != 200 {
				done <- fmt.Errorf("GET %s: %d %s", path, code, body)
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("appends or API reads waited for subscribers that do not read")
	}
	live := e.mustDial(key, "?since="+itoa(e.log.Last()))
	want := e.appendAlerts(1)
	if got := readAlerts(t, live, 1); got[0].Seq != want[0].Seq {
		t.Fatalf("a reading subscriber got seq %d, want %d", got[0].Seq, want[0].Seq)
	}
}
