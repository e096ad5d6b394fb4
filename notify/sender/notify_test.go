package sender_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/egress"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/notify"
	"github.com/chainhound/chainhound/notify/sender"
	"github.com/chainhound/chainhound/watchlists"
)

const (
	botToken   = "123456:ABC-telegram-bot-token"
	routingKey = "R0UT1NGK3Y0123456789abcdefabcdef"
	hookSecret = "0123456789abcdef-secret"
	console    = "https://hound.example.com/console"
)

// Every channel type gets the alert in the request shape its service
// documents, through the dispatcher's queue; a second tenant's channels
// get nothing of the first's alert.
func TestChannelsDeliverEachServiceShape(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	l := openLog(t, st)
	mailSrv := testnodes.StartSMTP(t, testnodes.SMTPOptions{})
	ch := sender.New(st, sender.Options{Egress: loopback, PublicURL: console, RootCAs: mailSrv.CertPool})

	recv := map[string]*receiver{}
	for _, typ := range []string{notify.Slack, notify.Discord, notify.Teams, notify.Telegram, notify.PagerDuty, notify.Webhook, "other"} {
		recv[typ] = newReceiver(t, nil)
	}
	add := func(c notify.Channel) notify.Channel {
		t.Helper()
		c, err := ch.Add(ctx, c)
		if err != nil {
			t.Fatalf("add %s: %v", c.Type, err)
		}
		return c
	}
	add(notify.Channel{Tenant: "binance", Type: notify.Slack, Target: recv[notify.Slack].srv.URL + "/services/T0/B0/xyz"})
	add(notify.Channel{Tenant: "binance", Type: notify.Discord, Target: recv[notify.Discord].srv.URL + "/api/webhooks/1/tok"})
	add(notify.Channel{Tenant: "binance", Type: notify.Teams, Target: recv[notify.Teams].srv.URL + "/workflows/abc"})
	add(notify.Channel{Tenant: "binance", Type: notify.Telegram, Target: "-1001234", Secret: botToken, URL: recv[notify.Telegram].srv.URL})
	add(notify.Channel{Tenant: "binance", Type: notify.PagerDuty, Target: routingKey, URL: recv[notify.PagerDuty].srv.URL + "/v2/enqueue"})
	add(notify.Channel{Tenant: "binance", Type: notify.Webhook, Target: recv[notify.Webhook].srv.URL + "/hook", Secret: hookSecret})
	add(notify.Channel{Tenant: "binance", Type: notify.Email, Target: "desk@binance.example, cso@binance.example",
		SMTP: &notify.SMTP{Server: mailSrv.Addr, Username: "hound", Password: "s3cret-smtp-pass", From: "chainhound@binance.example"}})
	// Another tenant's channel, and a filter that excludes the alert.
	add(notify.Channel{Tenant: "kraken", Type: notify.Slack, Target: recv["other"].srv.URL + "/kraken"})
	add(notify.Channel{Tenant: "binance", Type: notify.Slack, Target: recv["other"].srv.URL + "/bitcoin-only", Filter: notify.Filter{Chains: []string{"bitcoin"}}})

	cfg := fastRetry
	cfg.Channels = ch
	d := startDispatcher(t, l, st, cfg, theft("binance"))
	for typ, r := range recv {
		if typ != "other" {
			waitFor(t, typ+" receives the alert", func() bool { return len(r.requests()) == 1 })
		}
	}
	waitFor(t, "the email", func() bool { return len(mailSrv.Received()) == 1 })
	d.Close() // nothing more can arrive
	if got := recv["other"].requests(); len(got) != 0 {
		t.Fatalf("another tenant's channel, or one filtered out, received %d requests: %s", len(got), got[0].Path)
	}
	link := console + "/#/alerts/1"

	t.Run("slack", func(t *testing.T) {
		r := recv[notify.Slack].requests()[0]
		m := r.JSON(t)
		text, _ := m["text"].(string)
		blocks, _ := m["blocks"].([]any)
		if r.Path != "/services/T0/B0/xyz" || r.Header.Get("Content-Type") != "application/json" || !strings.Contains(text, "1.5 ETH") || len(blocks) != 3 {
			t.Fatalf("slack request %s %s", r.Path, r.Body)
		}
		if !strings.Contains(string(r.Body), link) || !strings.Contains(text, "0x1111…1111 → 0x2222…2222 → 0x3333…3333 (2 hops)") {
			t.Fatalf("slack message lacks the console link or the path: %s", r.Body)
		}
	})
	t.Run("discord", func(t *testing.T) {
		m := recv[notify.Discord].requests()[0].JSON(t)
		embeds, _ := m["embeds"].([]any)
		if len(embeds) != 1 || !strings.Contains(m["content"].(string), "1.5 ETH") {
			t.Fatalf("discord body %v", m)
		}
		e := embeds[0].(map[string]any)
		if e["url"] != link || !strings.Contains(e["description"].(string), "Binance deposit") || e["timestamp"] != "2026-12-07T00:30:00Z" {
			t.Fatalf("discord embed %v", e)
		}
	})
	t.Run("teams", func(t *testing.T) {
		m := recv[notify.Teams].requests()[0].JSON(t)
		att, _ := m["attachments"].([]any)
		if m["type"] != "message" || len(att) != 1 || att[0].(map[string]any)["contentType"] != "application/vnd.microsoft.card.adaptive" {
			t.Fatalf("teams body %v", m)
		}
		card := att[0].(map[string]any)["content"].(map[string]any)
		if card["type"] != "AdaptiveCard" || !strings.Contains(fmt.Sprint(card["body"]), "1.5 ETH") || !strings.Contains(fmt.Sprint(card["actions"]), link) {
			t.Fatalf("teams card %v", card)
		}
	})
	t.Run("telegram", func(t *testing.T) {
		r := recv[notify.Telegram].requests()[0]
		m := r.JSON(t)
		if r.Path != "/bot"+botToken+"/sendMessage" || m["chat_id"] != "-1001234" || !strings.Contains(m["text"].(string), "1.5 ETH") {
			t.Fatalf("telegram request %s %v", r.Path, m)
		}
	})
	t.Run("pagerduty", func(t *testing.T) {
		r := recv[notify.PagerDuty].requests()[0]
		m := r.JSON(t)
		p, _ := m["payload"].(map[string]any)
		if r.Path != "/v2/enqueue" || m["routing_key"] != routingKey || m["event_action"] != "trigger" || m["dedup_key"] != "chainhound-1" || p == nil {
			t.Fatalf("pagerduty request %s %v", r.Path, m)
		}
		if p["severity"] != "critical" || p["source"] != "chainhound" || !strings.Contains(p["summary"].(string), "1.5 ETH") || p["group"] != "inc_theft" {
			t.Fatalf("pagerduty payload %v", p)
		}
	})
	t.Run("webhook", func(t *testing.T) {
		r := recv[notify.Webhook].requests()[0]
		if err := alerts.Verify(hookSecret, r.Header.Get(alerts.HeaderTimestamp), r.Header.Get(alerts.HeaderSignature), r.Body, time.Now(), time.Minute); err != nil {
			t.Fatalf("signed webhook: %v", err)
		}
		var a alerts.Alert
		if err := json.Unmarshal(r.Body, &a); err != nil || a.Seq != 1 || a.Amount != "1500000000000000000" || r.Header.Get(alerts.HeaderSeq) != "1" {
			t.Fatalf("webhook alert %+v %v", a, err)
		}
	})
	t.Run("email", func(t *testing.T) {
		m := mailSrv.Received()[0]
		if !m.TLS || m.User != "hound" || m.From != "chainhound@binance.example" || fmt.Sprint(m.To) != "[desk@binance.example cso@binance.example]" {
			t.Fatalf("mail envelope %+v", m)
		}
		for _, want := range []string{"Subject: [critical] taint.exchange_deposit on ethereum: 1.5 ETH", "To: desk@binance.example, cso@binance.example", "Message-ID: <chainhound-alert-1@chainhound>", link, "Binance deposit"} {
			if !strings.Contains(m.Data, want) {
				t.Fatalf("mail lacks %q:\n%s", want, m.Data)
			}
		}
	})
	if s := d.Stats(); s.Delivered != 7 || s.Failures != 0 {
		t.Fatalf("stats %+v, want 7 delivered", s)
	}
}

// A 429 with Retry-After is waited out (not the short backoff); a 500 is
// retried; a channel that keeps failing is dead-lettered after the limit
// with the channel named.
func TestChannelRetriesAndDeadLetters(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	l := openLog(t, st)
	ch := sender.New(st, sender.Options{Egress: loopback})
	flaky := newReceiver(t, func(n int, w http.ResponseWriter) {
		switch n {
		case 0:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	down := newReceiver(t, func(n int, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) })
	if _, err := ch.Add(ctx, notify.Channel{ID: "flaky", Tenant: "binance", Type: notify.Discord, Target: flaky.srv.URL + "/d"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Add(ctx, notify.Channel{ID: "down", Tenant: "binance", Type: notify.Slack, Target: down.srv.URL + "/s"}); err != nil {
		t.Fatal(err)
	}
	cfg := fastRetry
	cfg.Channels = ch
	startDispatcher(t, l, st, cfg, theft("binance"))
	waitFor(t, "the flaky channel's third attempt", func() bool { return len(flaky.requests()) == 3 })
	waitFor(t, "the dead letter", func() bool { dl, _ := st.DeadLetters(ctx, 0); return len(dl) == 1 })
	rs := flaky.requests()
	if gap := rs[1].At.Sub(rs[0].At); gap < 950*time.Millisecond {
		t.Fatalf("retried %s after a 429 with Retry-After: 1, want at least 1s", gap)
	}
	if gap := rs[2].At.Sub(rs[1].At); gap > 900*time.Millisecond {
		t.Fatalf("retried %s after a 500, want the short backoff", gap)
	}
	dl, _ := st.DeadLetters(ctx, 0)
	if dl[0].Channel != "down" || dl[0].Tenant != "binance" || dl[0].Attempts != 4 || !strings.Contains(dl[0].LastError, "status 500") {
		t.Fatalf("dead letter %+v", dl[0])
	}
	if strings.Contains(dl[0].LastError, down.srv.URL+"/s") {
		t.Fatalf("the dead letter repeats the Slack URL (a secret): %s", dl[0].LastError)
	}
	if n := len(down.requests()); n != 4 {
		t.Fatalf("down channel tried %d times, want 4", n)
	}
	if q, _ := st.PendingDeliveries(ctx); len(q) != 0 {
		t.Fatalf("queue not empty: %+v", q)
	}
}

// A channel removed while its delivery waits is dead-lettered with the
// reason, not sent.
func TestRemovedChannelDeadLetters(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	l := openLog(t, st)
	ch := sender.New(st, sender.Options{Egress: loopback})
	r := newReceiver(t, func(n int, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) })
	if _, err := ch.Add(ctx, notify.Channel{ID: "gone", Tenant: "binance", Type: notify.Slack, Target: r.srv.URL + "/s"}); err != nil {
		t.Fatal(err)
	}
	cfg := fastRetry
	cfg.MaxAttempts, cfg.InitialBackoff, cfg.MaxBackoff = 100, 200*time.Millisecond, 200*time.Millisecond
	cfg.Channels = ch
	startDispatcher(t, l, st, cfg, theft("binance"))
	waitFor(t, "a first attempt", func() bool { return len(r.requests()) >= 1 })
	if ok, err := ch.Remove(ctx, "binance", "gone"); !ok || err != nil {
		t.Fatalf("remove: %v %v", ok, err)
	}
	waitFor(t, "the dead letter", func() bool { dl, _ := st.DeadLetters(ctx, 0); return len(dl) == 1 })
	if dl, _ := st.DeadLetters(ctx, 0); dl[0].LastError != "channel removed" {
		t.Fatalf("dead letter %+v", dl[0])
	}
}

// Email: STARTTLS on the server's certificate, then AUTH PLAIN or, when
// the server offers only that, AUTH LOGIN; a server without STARTTLS
// gets nothing, the password least of all.
func TestEmailSTARTTLSAndAuth(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		mechs    []string
		starttls bool
		password string
		want     string // "" delivered, else in the error
	}{
		{"plain", []string{"PLAIN"}, true, "s3cret-smtp-pass", ""},
		{"login only", []string{"LOGIN"}, true, "s3cret-smtp-pass", ""},
		{"wrong password", []string{"PLAIN", "LOGIN"}, true, "wrong", "AUTH as hound"},
		{"no starttls", []string{"PLAIN"}, false, "s3cret-smtp-pass", "does not offer STARTTLS"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := testnodes.StartSMTP(t, testnodes.SMTPOptions{Mechs: c.mechs, NoTLS: !c.starttls})
			st := openStore(t)
			ch := sender.New(st, sender.Options{Egress: loopback, RootCAs: srv.CertPool})
			mc, err := ch.Add(ctx, notify.Channel{Tenant: "acme", Type: notify.Email, Target: "desk@acme.example",
				SMTP: &notify.SMTP{Server: srv.Addr, Username: "hound", Password: c.password, From: "Chainhound <hound@acme.example>"}})
			if err != nil {
				t.Fatal(err)
			}
			err = ch.Test(ctx, "acme", mc.ID)
			got := srv.Received()
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) || len(got) != 0 {
					t.Fatalf("err %v, %d mails; want an error with %q and no mail", err, len(got), c.want)
				}
				if strings.Contains(err.Error(), c.password) {
					t.Fatalf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil || len(got) != 1 || !got[0].TLS || got[0].From != "hound@acme.example" || !strings.Contains(got[0].Data, "chainhound test message") {
				t.Fatalf("err %v, mails %+v", err, got)
			}
		})
	}
	// A certificate the client does not trust: refused, nothing sent.
	srv := testnodes.StartSMTP(t, testnodes.SMTPOptions{})
	ch := sender.New(openStore(t), sender.Options{Egress: loopback})
	mc, err := ch.Add(ctx, notify.Channel{Tenant: "acme", Type: notify.Email, Target: "desk@acme.example",
		SMTP: &notify.SMTP{Server: srv.Addr, Username: "hound", Password: "s3cret-smtp-pass", From: "hound@acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Test(ctx, "acme", mc.ID); err == nil || !strings.Contains(err.Error(), "STARTTLS") || len(srv.Received()) != 0 {
		t.Fatalf("untrusted certificate: %v, %d mails", err, len(srv.Received()))
	}
}

// Add refuses bad input with the field named, and destinations the
// egress policy refuses (loopback, private) unless allowed.
func TestAddRefuses(t *testing.T) {
	ctx := context.Background()
	strict := sender.New(openStore(t), sender.Options{})
	ch := sender.New(openStore(t), sender.Options{Egress: loopback})
	smtpOK := &notify.SMTP{Server: "smtp.example.com:587", From: "a@example.com"}
	cases := []struct {
		name  string
		c     notify.Channel
		field string
		want  string
	}{
		{"unknown type", notify.Channel{Type: "irc", Target: "x"}, "type", "unknown channel type"},
		{"no target", notify.Channel{Type: notify.Slack}, "target", "empty"},
		{"slack not a URL", notify.Channel{Type: notify.Slack, Target: "hooks.slack.com/x"}, "target", "absolute"},
		{"slack with user info", notify.Channel{Type: notify.Slack, Target: "https://u:p@hooks.slack.com/x"}, "target", "user information"},
		{"slack with a secret", notify.Channel{Type: notify.Slack, Target: "https://hooks.slack.com/x", Secret: "s"}, "secret", "takes none"},
		{"webhook short secret", notify.Channel{Type: notify.Webhook, Target: "https://h.example/x", Secret: "short"}, "secret", "at least 16"},
		{"telegram bad token", notify.Channel{Type: notify.Telegram, Target: "-100", Secret: "nope"}, "secret", "bot token"},
		{"pagerduty spaces", notify.Channel{Type: notify.PagerDuty, Target: "a key"}, "target", "routing key"},
		{"email bad recipient", notify.Channel{Type: notify.Email, Target: "desk", SMTP: smtpOK}, "target", "not an email address"},
		{"email no smtp", notify.Channel{Type: notify.Email, Target: "a@example.com"}, "smtp", "smtp.server"},
		{"email no port", notify.Channel{Type: notify.Email, Target: "a@example.com", SMTP: &notify.SMTP{Server: "smtp.example.com", From: "a@example.com"}}, "smtp.server", "host:port"},
		{"email in clear", notify.Channel{Type: notify.Email, Target: "a@example.com", SMTP: &notify.SMTP{Server: "smtp.example.com:25", TLS: "none", From: "a@example.com"}}, "smtp.tls", "never sent in clear"},
		{"email bad from", notify.Channel{Type: notify.Email, Target: "a@example.com", SMTP: &notify.SMTP{Server: "smtp.example.com:587", From: "me"}}, "smtp.from", "not an email"},
		{"smtp on slack", notify.Channel{Type: notify.Slack, Target: "https://hooks.slack.com/x", SMTP: smtpOK}, "smtp", "takes none"},
		{"unknown alert type", notify.Channel{Type: notify.Slack, Target: "https://hooks.slack.com/x", Filter: notify.Filter{Types: []string{"taint.nope"}}}, "filter.types[0]", "unknown alert type"},
		{"bad severity", notify.Channel{Type: notify.Slack, Target: "https://hooks.slack.com/x", Filter: notify.Filter{MinSeverity: "urgent"}}, "filter.min_severity", "unknown severity"},
		{"bad chain", notify.Channel{Type: notify.Slack, Target: "https://hooks.slack.com/x", Filter: notify.Filter{Chains: []string{"dogecoin"}}}, "filter.chains[0]", ""},
		{"bad template", notify.Channel{Type: notify.Slack, Target: "https://hooks.slack.com/x", Template: "{{.Nope}}"}, "template", "Nope"},
		{"bad id", notify.Channel{ID: "Has Space", Type: notify.Slack, Target: "https://hooks.slack.com/x"}, "id", "channel id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.c.Tenant = "acme"
			_, err := ch.Add(ctx, c.c)
			var fe *watchlists.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want field %s with %q", err, c.field, c.want)
			}
		})
	}
	// Egress: loopback and private destinations need allow_private.
	for _, c := range []notify.Channel{
		{Type: notify.Slack, Target: "http://127.0.0.1:9/x"},
		{Type: notify.Telegram, Target: "-1", Secret: botToken, URL: "http://10.0.0.8"},
		{Type: notify.Email, Target: "a@example.com", SMTP: &notify.SMTP{Server: "192.168.1.10:587", From: "a@example.com"}},
	} {
		c.Tenant = "acme"
		var re *egress.RefusedError
		if _, err := strict.Add(ctx, c); !errors.As(err, &re) {
			t.Errorf("%s to a special address: %v, want a refusal naming allow_private", c.Type, err)
		}
	}
	if _, err := ch.Add(ctx, notify.Channel{Tenant: "acme", Type: notify.Slack, Target: "http://127.0.0.1:9/x"}); err != nil {
		t.Fatalf("loopback allowed by the policy: %v", err)
	}
}

// A name that resolves to loopback at delivery is refused on the address
// dialled and dead-lettered at once (no retries).
func TestEgressRefusedAtDelivery(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	l := openLog(t, st)
	r := newReceiver(t, nil)
	u, _ := url.Parse(r.srv.URL)
	ch := sender.New(st, sender.Options{}) // nothing private allowed
	if _, err := ch.Add(ctx, notify.Channel{ID: "rebind", Tenant: "acme", Type: notify.Slack, Target: "http://localhost:" + u.Port() + "/x"}); err != nil {
		t.Fatal(err) // a name passes registration
	}
	cfg := fastRetry
	cfg.Egress, cfg.Channels = egress.Policy{}, ch
	d := startDispatcher(t, l, st, cfg, theft("acme"))
	waitFor(t, "the dead letter", func() bool { dl, _ := st.DeadLetters(ctx, 0); return len(dl) == 1 })
	dl, _ := st.DeadLetters(ctx, 0)
	if dl[0].Attempts != 1 || !strings.Contains(dl[0].LastError, "loopback") || len(r.requests()) != 0 {
		t.Fatalf("dead letter %+v, %d requests reached the receiver", dl[0], len(r.requests()))
	}
	if s := d.Stats(); s.Refused != 1 {
		t.Fatalf("stats %+v, want 1 refused", s)
	}
}

// View never shows a secret: not the Slack URL's path, the bot token,
// the routing key, the SMTP password nor the webhook secret.
func TestViewRedactsSecrets(t *testing.T) {
	secrets := []string{"T0SECRET/B0SECRET/xoxsecret", botToken, routingKey, "s3cret-smtp-pass", hookSecret, "disc-tok"}
	for _, c := range []notify.Channel{
		{Type: notify.Slack, Target: "https://hooks.slack.com/services/T0SECRET/B0SECRET/xoxsecret"},
		{Type: notify.Discord, Target: "https://discord.com/api/webhooks/1/disc-tok"},
		{Type: notify.Teams, Target: "https://prod.westeurope.logic.azure.com/workflows/xoxsecret?sig=T0SECRET/B0SECRET/xoxsecret"},
		{Type: notify.Telegram, Target: "-1001", Secret: botToken, URL: "https://api.telegram.org"},
		{Type: notify.PagerDuty, Target: routingKey},
		{Type: notify.Email, Target: "a@example.com", SMTP: &notify.SMTP{Server: "smtp.example.com:587", Username: "u", Password: "s3cret-smtp-pass", From: "a@example.com"}},
		{Type: notify.Webhook, Target: "https://h.example/hook?token=" + hookSecret, Secret: hookSecret},
	} {
		b, _ := json.Marshal(c.View())
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s view shows %q: %s", c.Type, s, b)
			}
		}
	}
	v := notify.Channel{Type: notify.PagerDuty, Target: routingKey}.View()
	if v.Target != "R0UT…" {
		t.Fatalf("pagerduty target shown as %q", v.Target)
	}
	if v := (notify.Channel{Type: notify.Slack, Target: "https://hooks.slack.com/services/T/B/x"}).View(); v.Target != "https://hooks.slack.com/…" {
		t.Fatalf("slack target shown as %q", v.Target)
	}
}

func TestFormatAmount(t *testing.T) {
	usdc := "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
	for _, c := range []struct {
		amount string
		asset  *alerts.Asset
		chain  string
		want   string
	}{
		{"1500000000000000000", nil, "ethereum", "1.5 ETH"},
		{"1", nil, "ethereum", "0.000000000000000001 ETH"},
		{"12000", nil, "bitcoin", "0.00012 BTC"},
		{"2100000000000000", nil, "bitcoin", "21000000 BTC"},
		{"123456789", &alerts.Asset{Symbol: "USDC", Contract: &usdc, Decimals: 6}, "ethereum", "123.456789 USDC"},
		{"0", nil, "ethereum", "0 ETH"},
		{"115792089237316195423570985008687907853269984665640564039457584007913129639935", &alerts.Asset{Symbol: "X", Decimals: 0}, "ethereum", "115792089237316195423570985008687907853269984665640564039457584007913129639935 X"},
		{"n/a", nil, "ethereum", "n/a"},
	} {
		if got := sender.FormatAmount(c.amount, c.asset, c.chain); got != c.want {
			t.Errorf("FormatAmount(%s, %s) = %q, want %q", c.amount, c.chain, got, c.want)
		}
	}
}

// A custom template renders over sender.Message; the filter's severity
// and incidents narrow what a channel receives.
func TestTemplateAndFilter(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	l := openLog(t, st)
	r := newReceiver(t, nil)
	ch := sender.New(st, sender.Options{Egress: loopback, PublicURL: console + "/"})
	if _, err := ch.Add(ctx, notify.Channel{Tenant: "acme", Type: notify.Slack, Target: r.srv.URL + "/s",
		Template: "ALERT {{.Alert.Seq}} {{.Amount}} via {{.Path}} see {{.Link}}",
		Filter:   notify.Filter{MinSeverity: alerts.High, Incidents: []string{"inc_b"}}}); err != nil {
		t.Fatal(err)
	}
	cfg := fastRetry
	cfg.Channels = ch
	d := startDispatcher(t, l, st, cfg)
	low, other, hit := theft("acme"), theft("acme"), theft("acme")
	low.Severity, low.Incident = alerts.Low, "inc_b"
	other.Incident = "inc_a"
	hit.Incident, hit.Incidents = "inc_a", []string{"inc_a", "inc_b"} // carries inc_b's taint too
	if _, err := l.Append(ctx, []alerts.Alert{low, other, hit}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the matching alert", func() bool { return len(r.requests()) == 1 })
	d.Close()
	rs := r.requests()
	text := rs[0].JSON(t)["text"].(string)
	if len(rs) != 1 || !strings.Contains(text, "ALERT 3 1.5 ETH via 0x1111…1111 → 0x2222…2222 → 0x3333…3333 (2 hops) see "+console+"/#/alerts/3") {
		t.Fatalf("%d requests, text %q", len(rs), text)
	}
}
