package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/crypto"
)

// slackReceiver is a local HTTP server speaking Slack's incoming-webhook
// side: it takes {"text","blocks"} and answers "ok".
type slackReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []map[string]any
	bad  []string
}

func newSlackReceiver(t *testing.T) *slackReceiver {
	r := &slackReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var m map[string]any
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := json.Unmarshal(b, &m); err != nil || req.Header.Get("Content-Type") != "application/json" || m["text"] == nil {
			r.bad = append(r.bad, string(b))
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		r.msgs = append(r.msgs, m)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// texts returns the text of each message taken.
func (r *slackReceiver) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.msgs {
		out = append(out, m["text"].(string))
	}
	return out
}

// Issue 18's "done when", the channels half: a real theft on geth --dev,
// followed by the binary, reaches the exchange's Slack channel and its
// compliance desk by email (a real SMTP server, STARTTLS and AUTH), the
// same alert in both, linked to the console; another tenant's channel
// gets nothing; the channels are managed with the CLI through the API.
func TestTheftReachesSlackAndEmail(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	mailSrv := testnodes.StartSMTP(t, testnodes.SMTPOptions{Mechs: []string{"LOGIN", "PLAIN"}})
	slack, krakenSlack := newSlackReceiver(t), newSlackReceiver(t)
	t.Setenv("SSL_CERT_FILE", mailSrv.CertFile) // the daemon trusts the mail server's certificate

	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	treasury := g.NewAccount(t, eth(1000))
	thief, hop := newEthKey(t), newEthKey(t)
	deposit := crypto.PubkeyToAddress(newEthKey(t).PublicKey)

	d := newTestDaemon(t, `webhooks: { allow_private: [127.0.0.0/8] }
chains:
`+devEthereum(g.WS, 2)+`tracer:
  dust: { ethereum: "1000000000000000" }
  drain:
    amount: { ethereum: "100000000000000000000" }
  auto_incident: true
`)
	// The console's address, for the links in the messages.
	cfg, err := os.ReadFile(d.cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, d.cfg, strings.Replace(string(cfg), "api: { listen: ", "api: { public_url: 'https://hound.example.com', listen: ", 1))
	runBin(t, bin, 0, "--config", d.cfg, "keys", "create", "--role", "admin", "--tenant", "ops")
	exch := d.key(t, bin, "exchange", "exch")
	kraken := d.key(t, bin, "exchange", "kraken")
	runBin(t, bin, 0, "--config", d.cfg, "watch", "add", "--chain", "ethereum", "--kind", "treasury", "--address", crypto.PubkeyToAddress(treasury.PublicKey).Hex(), "--label", "ACME treasury", "--owner", "acme")
	runBin(t, bin, 0, "--config", d.cfg, "watch", "add", "--chain", "ethereum", "--kind", "exchange", "--address", deposit.Hex(), "--label", "Exch deposit", "--owner", "exch")
	startDaemon(t, bin, d.cfg, d.api)

	cli := func(key string, want int, args ...string) string {
		t.Helper()
		return runBin(t, bin, want, append([]string{"--api", d.api, "--api-key", key, "channels"}, args...)...)
	}
	slackURL := slack.srv.URL + "/services/T0EXCH/B0EXCH/s3cretpath"
	var sc, mc struct{ ID string }
	json.Unmarshal([]byte(cli(exch, 0, "add", "--type", "slack", "--target", slackURL, "--filter", "min_severity=high", "--format", "json")), &sc)
	json.Unmarshal([]byte(cli(exch, 0, "add", "--type", "email", "--target", "desk@exch.example", "--smtp-server", mailSrv.Addr,
		"--smtp-user", mailSrv.User, "--smtp-password", mailSrv.Password, "--from", "chainhound@exch.example", "--format", "json")), &mc)
	if sc.ID == "" || mc.ID == "" {
		t.Fatalf("channels add printed no id: %q %q", sc.ID, mc.ID)
	}
	cli(kraken, 0, "add", "--type", "slack", "--target", krakenSlack.srv.URL+"/services/K/K/k")
	// Bad input: exit 2, one line naming the field.
	if out := cli(exch, 2, "add", "--type", "slack", "--target", "not a url"); out != "" {
		t.Fatalf("a refused add printed %q", out)
	}

	ls := cli(exch, 0, "ls", "--format", "table")
	if !strings.Contains(ls, sc.ID) || !strings.Contains(ls, mc.ID) || !strings.Contains(ls, "min_severity=high") {
		t.Fatalf("channels ls:\n%s", ls)
	}
	if strings.Contains(ls, "s3cretpath") || strings.Contains(cli(exch, 0, "ls", "--format", "json"), mailSrv.Password) {
		t.Fatalf("channels ls shows a secret:\n%s", ls)
	}
	if strings.Contains(ls, "kraken") || strings.Contains(ls, "/services/K/") {
		t.Fatalf("exch lists kraken's channel:\n%s", ls)
	}
	cli(exch, 0, "test", sc.ID)
	testnodes.WaitFor(t, time.Minute, "the test message in Slack", func() bool { return len(slack.texts()) == 1 })
	if !strings.Contains(slack.texts()[0], "chainhound test message") {
		t.Fatalf("test message %q", slack.texts()[0])
	}

	// The theft: the treasury drained to the thief, who hops and deposits.
	g.SendETH(t, treasury, crypto.PubkeyToAddress(thief.PublicKey), eth(500))
	g.SendETH(t, thief, crypto.PubkeyToAddress(hop.PublicKey), eth(300))
	dep := g.SendETH(t, hop, deposit, eth(299))

	var slackText string
	testnodes.WaitFor(t, time.Minute, "the deposit alert in Slack", func() bool {
		for _, s := range slack.texts() {
			if strings.Contains(s, "taint.exchange_deposit") {
				slackText = s
				return true
			}
		}
		return false
	})
	var mailText string
	testnodes.WaitFor(t, time.Minute, "the deposit alert by email", func() bool {
		for _, m := range mailSrv.Received() {
			if strings.Contains(m.Data, "taint.exchange_deposit") {
				mailText = m.Data
				return true
			}
		}
		return false
	})
	short := dep.TxHash.Hex()
	for name, text := range map[string]string{"slack": slackText, "email": mailText} {
		if !strings.Contains(text, "299 ETH") || !strings.Contains(strings.ReplaceAll(text, "=\r\n", ""), short) || !strings.Contains(text, "Exch deposit") {
			t.Errorf("%s message lacks the amount, the tx or the label:\n%s", name, text)
		}
	}
	// The same alert: one seq, one console link.
	var seq int
	if _, err := fmt.Sscanf(mailText[strings.Index(mailText, "Message-ID: <chainhound-alert-"):], "Message-ID: <chainhound-alert-%d@", &seq); err != nil {
		t.Fatalf("mail without its alert's Message-ID: %v\n%s", err, mailText)
	}
	link := fmt.Sprintf("https://hound.example.com/#/alerts/%d", seq)
	if !strings.Contains(slackText, link) || !strings.Contains(mailText, link) {
		t.Fatalf("want %s in both messages:\nslack: %s\nemail: %s", link, slackText, mailText)
	}
	if m := mailSrv.Received()[0]; !m.TLS || m.User != mailSrv.User || m.To[0] != "desk@exch.example" {
		t.Fatalf("mail envelope %+v", m)
	}
	// Low-severity alerts stayed out of Slack (min_severity=high); kraken
	// got nothing of exch's.
	for _, s := range slack.texts()[1:] {
		if strings.Contains(s, "[low]") || strings.Contains(s, "[info]") || strings.Contains(s, "[medium]") {
			t.Errorf("Slack got an alert below its filter: %s", s)
		}
	}
	if got := krakenSlack.texts(); len(got) != 0 {
		t.Fatalf("kraken's channel received %d messages: %v", len(got), got)
	}
	if len(slack.bad) > 0 {
		t.Fatalf("Slack refused payloads: %v", slack.bad)
	}

	cli(exch, 0, "rm", sc.ID)
	if ls := cli(exch, 0, "ls", "--format", "table"); strings.Contains(ls, sc.ID) {
		t.Fatalf("removed channel still listed:\n%s", ls)
	}
	cli(exch, 1, "rm", sc.ID) // gone: 404, a runtime failure
}
