// Command wsbench measures websocket alert delivery on loopback: N
// subscribers (in a child process, so each side has its own open-files
// limit), alerts appended to a real alert log on pebble at a fixed rate,
// latency from just before Append to receipt (p50/p99/max), and server
// memory per subscriber. The bare cost, Append alone, is measured in the
// same run.
//
//	go run ./api/wsbench -subscribers 10000 -rate 1000 -duration 30s
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/store/pebble"
	dto "github.com/prometheus/client_model/go"
)

func main() {
	var (
		subs     = flag.Int("subscribers", 10000, "websocket subscribers")
		tenants  = flag.Int("tenants", 1000, "exchange tenants (one key each); subscribers are spread over them")
		admins   = flag.Int("admins", 0, "of the subscribers, how many use an admin key (receive every alert)")
		rate     = flag.Int("rate", 1000, "alerts per second")
		audience = flag.Int("audience", 1, "tenants each alert is addressed to")
		duration = flag.Duration("duration", 30*time.Second, "how long to append")
		client   = flag.Bool("client", false, "internal: run the subscriber side")
		url      = flag.String("url", "", "internal: API URL")
		cpuProf  = flag.String("cpuprofile", "", "write the server's CPU profile of the append phase to this file")
		pingIvl  = flag.Duration("ping", 0, "server ping interval (0: the server's default, 30 s)")
		memProf  = flag.String("memprofile", "", "write the server's allocation profile (after the run) to this file")
	)
	flag.Parse()
	profiles = struct{ cpu, mem string }{*cpuProf, *memProf}
	pingInterval = *pingIvl
	raiseNoFile()
	if *client {
		runClient(*url)
		return
	}
	if err := runServer(*subs, *tenants, *admins, *rate, *audience, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "wsbench:", err)
		os.Exit(1)
	}
}

// profiles are the -cpuprofile and -memprofile paths (server side only).
var profiles struct{ cpu, mem string }

// pingInterval is -ping.
var pingInterval time.Duration

func raiseNoFile() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func memInUse() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

func runServer(subs, tenants, admins, rate, audience int, duration time.Duration) error {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	dir, err := os.MkdirTemp("", "wsbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := pebble.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	lg, err := alerts.OpenLog(ctx, st, alerts.Retention{})
	if err != nil {
		return err
	}
	// Keys: one per tenant, plus one admin.
	secrets := make([]string, tenants)
	for i := range secrets {
		s, k, _ := apikey.New(apikey.RoleExchange, "t"+strconv.Itoa(i), time.Now())
		if err := st.CreateKey(ctx, k); err != nil {
			return err
		}
		secrets[i] = s
	}
	adminKey, ak, _ := apikey.New(apikey.RoleAdmin, "ops", time.Now())
	if err := st.CreateKey(ctx, ak); err != nil {
		return err
	}
	// No caps: the benchmark may put every subscriber on one admin key.
	srv := api.New(api.Config{Rate: 1e6, Burst: 1e6, PingInterval: pingInterval, MaxWebsocketsPerKey: 1 << 30, MaxWebsocketsPerTenant: 1 << 30}, api.Deps{Keys: st, Alerts: lg})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(sctx, ln) }()
	// Stop the server (Serve closes it) before the store closes.
	defer func() { stop(); <-served }()

	base := memInUse()
	cmd := exec.Command(os.Args[0], "-client", "-url", "http://"+ln.Addr().String())
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	// Tell the client which key each subscriber uses.
	w := bufio.NewWriter(stdin)
	for i := 0; i < subs; i++ {
		if i < admins {
			fmt.Fprintln(w, adminKey)
		} else {
			fmt.Fprintln(w, secrets[i%tenants])
		}
	}
	fmt.Fprintln(w, "go")
	w.Flush()
	rd := bufio.NewScanner(stdout)
	rd.Buffer(make([]byte, 1<<20), 1<<20)
	if !rd.Scan() || rd.Text() != "ready" {
		return fmt.Errorf("client did not connect: %q", rd.Text())
	}
	// Wait for every subscriber to join the hub.
	for deadline := time.Now().Add(time.Minute); gauge(srv.Metrics(), "chainhound_websocket_subscribers") < float64(subs); {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %.0f of %d subscribers joined", gauge(srv.Metrics(), "chainhound_websocket_subscribers"), subs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	perSub := float64(memInUse()-base) / float64(subs)

	if profiles.cpu != "" {
		f, err := os.Create(profiles.cpu)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	// Append at the rate, one batch per millisecond tick.
	var appendLat []time.Duration
	tick := time.NewTicker(time.Millisecond)
	start := time.Now()
	sent := 0
	for n := 0; time.Since(start) < duration; n++ {
		<-tick.C
		want := int(time.Since(start).Seconds() * float64(rate))
		if want <= sent {
			continue
		}
		batch := make([]alerts.Alert, want-sent)
		now := time.Now().UTC()
		for i := range batch {
			aud := make([]string, audience)
			for j := range aud {
				aud[j] = "t" + strconv.Itoa((sent+i+j*7919)%tenants)
			}
			batch[i] = alerts.Alert{Type: alerts.TypeExchangeDeposit, Severity: alerts.Critical, Chain: "ethereum",
				Tx: fmt.Sprintf("0x%064x", sent+i), To: "0x28C6c06298d514Db089934071355E5743bf21d60",
				Amount: "10000000000000000000", Tainted: "9990000000000000000", Share: 0.999, Confidence: 1,
				Label: &alerts.Label{Kind: "exchange", Name: "Hot wallet", Owner: aud[0]}, Time: now, Audience: aud}
		}
		t0 := time.Now()
		if _, err := lg.Append(ctx, batch); err != nil {
			return err
		}
		appendLat = append(appendLat, time.Since(t0))
		sent += len(batch)
	}
	tick.Stop()
	elapsed := time.Since(start)
	time.Sleep(2 * time.Second) // let the last ones arrive
	stdin.Close()               // the client reports and exits
	var res clientResult
	if rd.Scan() {
		if err := json.Unmarshal(rd.Bytes(), &res); err != nil {
			return fmt.Errorf("client result %q: %w", rd.Text(), err)
		}
	}
	cmd.Wait()
	if profiles.mem != "" {
		f, err := os.Create(profiles.mem)
		if err != nil {
			return fmt.Errorf("-memprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return fmt.Errorf("-memprofile: %w", err)
		}
	}
	dropped := counter(srv.Metrics(), "chainhound_websocket_dropped_total")
	expected := 0.0
	recvPerAlert := float64(subs-admins)*float64(audience)/float64(tenants) + float64(admins)
	expected = float64(sent) * recvPerAlert
	slices.Sort(appendLat)
	fmt.Printf("machine: %s %d CPU, %s\n", runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Printf("subscribers %d (admins %d, %d tenants, audience %d/alert), %d alerts in %s (%.0f/s)\n",
		subs, admins, tenants, audience, sent, elapsed.Round(time.Millisecond), float64(sent)/elapsed.Seconds())
	fmt.Printf("deliveries %d of %.0f expected (%.0f/s); subscribers dropped (4008) %.0f; closed otherwise %d\n",
		res.Count, expected, float64(res.Count)/elapsed.Seconds(), dropped, res.Closed)
	fmt.Printf("latency append→receipt: p50 %s p99 %s max %s\n", res.P50, res.P99, res.Max)
	fmt.Printf("bare cost, Append alone (batch per ms, synced): p50 %s p99 %s\n", pct(appendLat, 50), pct(appendLat, 99))
	fmt.Printf("server memory per subscriber: %.1f KiB (heap+stacks in use after GC)\n", perSub/1024)
	return nil
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[(len(d)-1)*p/100]
}

func gauge(m *api.Metrics, name string) float64   { return metric(m, name) }
func counter(m *api.Metrics, name string) float64 { return metric(m, name) }

func metric(m *api.Metrics, name string) float64 {
	mfs, err := m.Registry.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() != name || len(mf.Metric) == 0 {
			continue
		}
		x := mf.Metric[0]
		switch mf.GetType() {
		case dto.MetricType_GAUGE:
			return x.GetGauge().GetValue()
		case dto.MetricType_COUNTER:
			return x.GetCounter().GetValue()
		}
	}
	return 0
}

type clientResult struct {
	Count  int
	Closed int
	P50    time.Duration
	P99    time.Duration
	Max    time.Duration
}
