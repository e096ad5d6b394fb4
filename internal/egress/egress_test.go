package egress_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/egress"
)

func TestCheck(t *testing.T) {
	var p egress.Policy
	refused := map[string]string{
		"127.0.0.1":                "loopback",
		"127.255.0.9":              "loopback",
		"::1":                      "loopback",
		"::ffff:127.0.0.1":         "loopback",
		"::ffff:169.254.169.254":   "link-local",
		"169.254.169.254":          "link-local",
		"10.1.2.3":                 "private",
		"172.31.255.255":           "private",
		"192.168.0.1":              "private",
		"100.100.100.200":          "CGNAT",
		"0.0.0.0":                  "this network",
		"0.1.2.3":                  "this network",
		"::":                       "unspecified",
		"224.0.0.251":              "multicast",
		"ff02::1":                  "multicast",
		"255.255.255.255":          "broadcast",
		"240.0.0.1":                "reserved",
		"fe80::1":                  "link-local",
		"fe80::1%eth0":             "link-local",
		"fd00:ec2::254":            "unique local",
		"fc00::1":                  "unique local",
		"64:ff9b::7f00:1":          "loopback embedded in NAT64",
		"64:ff9b::a9fe:a9fe":       "link-local (cloud metadata) embedded in NAT64",
		"64:ff9b:1::1":             "local-use NAT64",
		"2002:7f00:1::1":           "loopback embedded in 6to4",
		"::7f00:1":                 "IPv4-compatible",
		"192.0.2.1":                "documentation",
		"198.18.0.1":               "benchmarking",
		"2001:db8::1":              "documentation",
		"100::1":                   "discard",
		"4000::1":                  "outside IPv6 global unicast",
		"192.0.0.170":              "IETF",
		"fec0::1":                  "site-local",
		"::ffff:10.0.0.1":          "private",
		"::ffff:0.0.0.0":           "this network",
		"64:ff9b::ffff:ffff":       "broadcast embedded in NAT64",
		"2001:0:4136:e378:8000::1": "IETF protocol",
	}
	for s, want := range refused {
		err := p.Check(netip.MustParseAddr(s))
		var r *egress.RefusedError
		if !errors.As(err, &r) || !strings.Contains(r.Error(), want) {
			t.Errorf("%s: %v, want a refusal naming %q", s, err, want)
		}
	}
	for _, s := range []string{"1.1.1.1", "8.8.8.8", "2606:4700:4700::1111", "::ffff:1.1.1.1", "64:ff9b::101:101", "2002:101:101::1", "100.128.0.1", "172.32.0.1", "192.169.0.1"} {
		if err := p.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	allow := egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}
	for _, s := range []string{"127.0.0.1", "::ffff:127.0.0.2", "fd00::1"} {
		if err := allow.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s refused despite the allow-list: %v", s, err)
		}
	}
	if err := allow.Check(netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Error("10.0.0.1 allowed by a list without it")
	}
}

func TestCheckHost(t *testing.T) {
	var p egress.Policy
	for host, want := range map[string]string{
		"127.0.0.1":        "loopback",
		"::1":              "loopback",
		"169.254.169.254":  "link-local",
		"0x7f000001":       "dotted quad",
		"0X7F000001":       "dotted quad",
		"2130706433":       "dotted quad",
		"0177.0.0.1":       "dotted quad",
		"127.1":            "dotted quad",
		"127.0.0.1.":       "dotted quad",
		"1.2.3.4.5":        "dotted quad",
		"example.0x10":     "dotted quad",
		"fe80::1%eth0":     "zone",
		"":                 "no host",
		"::ffff:127.0.0.1": "loopback",
	} {
		if err := p.CheckHost(host); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error naming %q", host, err, want)
		}
	}
	for _, host := range []string{"hooks.example.com", "cafe.be", "0x7f000001.example", "1.1.1.1", "2606:4700::1111", "localhost"} {
		if err := p.CheckHost(host); err != nil {
			t.Errorf("%q refused: %v", host, err)
		}
	}
}

// The client refuses on the address actually dialled: a name that
// resolves to loopback is refused at connect time, and nothing reaches the
// listener; with loopback allowed the request goes through.
func TestClientRefusesOnDial(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	url := "http://localhost:" + port + "/"

	req, _ := http.NewRequestWithContext(context.Background(), "POST", url, nil)
	_, err := egress.Policy{}.Client().Do(req)
	var r *egress.RefusedError
	if !errors.As(err, &r) || !r.Addr.IsLoopback() {
		t.Fatalf("got %v, want a RefusedError for loopback", err)
	}
	if hits != 0 {
		t.Fatalf("%d requests reached the listener", hits)
	}
	ok := egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	req, _ = http.NewRequestWithContext(context.Background(), "POST", url, nil)
	resp, err := ok.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits != 1 {
		t.Fatalf("%d requests reached the listener, want 1", hits)
	}
}

// Redirects are not followed, even to a public address: the 3xx is the
// answer.
func TestClientFollowsNoRedirect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	defer srv.Close()
	ok := egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	resp, err := ok.Client().Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want the 302 itself", resp.StatusCode)
	}
}

// No proxy from the environment: a proxy would do the dialling.
func TestClientIgnoresProxyEnv(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://1.1.1.1:3128")
	t.Setenv("http_proxy", "http://1.1.1.1:3128")
	if (egress.Policy{}).Transport().Proxy != nil {
		t.Fatal("transport takes a proxy")
	}
}
