package deliver_test

import (
	"errors"
	"math"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/alerts/deliver"
	"github.com/chainhound/chainhound/internal/egress"
)

// FuzzWebhookURL checks webhook URL validation (Webhooks.CheckURL, what
// registration runs) against independent oracles: an accepted URL is an
// absolute http(s) URL without user information; its host, read as
// browsers and inet_aton read hosts (the WHATWG IPv4 parser), is never a
// special-purpose address, and if it is an IP at all it is written
// canonically; an error never repeats the URL's user information.
func FuzzWebhookURL(f *testing.F) {
	for _, s := range []string{
		"https://hooks.example.com/chainhound",
		"http://127.0.0.1:8080/hook",
		"http://[::1]:8080/",
		"http://0x7f000001/",
		"http://2130706433/",
		"http://0177.0.0.1/",
		"http://127.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:169.254.169.254]/",
		"http://[64:ff9b::7f00:1]/",
		"http://[fe80::1%25eth0]/",
		"http://user:pass@hooks.example.com/",
		"http://user@hooks.example.com/",
		"http://cafe.be/",
		"http://1.1.1.1/",
		"http://localhost/",
		"http://0x7f.0.0.1/",
		"http://127.0.0.1./",
		"ftp://x/",
		"http://[::1",
		"http:///path",
	} {
		f.Add(s)
	}
	hooks := deliver.NewWebhooks(nil, egress.Policy{})
	// The fixed texts of the refusals that do not depend on the URL: user
	// information found in them is a coincidence, not a leak.
	fixed := hooks.CheckURL("http://someone@hooks.example.com/").Error() + hooks.CheckURL("ftp://x").Error()
	f.Fuzz(func(t *testing.T, raw string) {
		err := hooks.CheckURL(raw)
		u, perr := url.Parse(raw)
		if err != nil {
			if perr == nil && u.User != nil {
				info := u.User.String()
				if len(info) >= 4 && !strings.Contains(u.Host, info) && !strings.Contains(fixed, info) && strings.Contains(err.Error(), info) {
					t.Fatalf("error %q repeats the user information %q", err, info)
				}
			}
			return
		}
		if perr != nil {
			t.Fatalf("accepted %q, which does not parse: %v", raw, perr)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" {
			t.Fatalf("accepted %q: scheme %q host %q", raw, u.Scheme, u.Hostname())
		}
		if u.User != nil {
			t.Fatalf("accepted %q with user information", raw)
		}
		host := u.Hostname()
		if a, err := netip.ParseAddr(host); err == nil {
			if cerr := (egress.Policy{}).Check(a); cerr != nil {
				t.Fatalf("accepted %q whose host is refused: %v", raw, cerr)
			}
			return
		}
		if a, ok := whatwgIPv4(host); ok {
			var r *egress.RefusedError
			if cerr := (egress.Policy{}).Check(a); errors.As(cerr, &r) {
				t.Fatalf("accepted %q, which a browser or inet_aton reads as %s: %v", raw, a, cerr)
			}
			if a.String() != host {
				t.Fatalf("accepted %q, the number %s written non-canonically", raw, a)
			}
		}
	})
}

// whatwgIPv4 is the WHATWG URL IPv4 parser: up to four dot-separated
// numbers, each decimal, octal (leading 0) or hex (0x), the last filling
// the remaining bytes.
func whatwgIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		base := 10
		switch {
		case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
			p, base = p[2:], 16
		case len(p) >= 2 && p[0] == '0':
			p, base = p[1:], 8
		}
		if p == "" {
			nums[i] = 0
			continue
		}
		n, err := strconv.ParseUint(p, base, 64)
		if err != nil {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	last := nums[len(nums)-1]
	if last >= uint64(math.Pow(256, float64(5-len(nums)))) {
		return netip.Addr{}, false
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}
