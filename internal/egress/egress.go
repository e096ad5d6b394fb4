// Package egress guards chainhound's outbound connections to destinations
// that tenants choose (webhooks, later notification channels): they may
// reach public addresses only. Loopback, private, link-local (cloud
// metadata), CGNAT, multicast, unspecified, broadcast and the other
// special-purpose ranges of the IANA registries are refused unless the
// operator allows them (config webhooks.allow_private).
//
// The check runs on the address actually dialled, after name resolution
// (net.Dialer.Control), so a name that resolves to a public address at
// registration and to 127.0.0.1 at delivery (DNS rebinding) is still
// refused. The client takes no proxy from the environment and follows no
// redirect.
package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// RefusedError is a destination the policy refuses: Addr lies in Range, a
// special-purpose range not allowed by the operator.
type RefusedError struct {
	Addr  netip.Addr   // the address refused
	Range netip.Prefix // the special-purpose range it lies in
	Name  string       // what that range is ("loopback", "private", ...)
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("destination %s is %s (%s), not a public address; an operator may allow it with webhooks.allow_private", e.Addr, e.Name, e.Range)
}

// special is one special-purpose range.
type special struct {
	prefix netip.Prefix
	name   string
}

func sp(prefix, name string) special { return special{netip.MustParsePrefix(prefix), name} }

// IPv4 special-purpose ranges (IANA IPv4 Special-Purpose Address Registry,
// those not globally reachable, plus multicast and the reserved 240/4).
// The first match names the refusal, so narrower ranges come first.
var specials4 = []special{
	sp("0.0.0.0/8", "\"this network\" (0.0.0.0/8, unspecified)"),
	sp("10.0.0.0/8", "private"),
	sp("100.64.0.0/10", "shared address space (CGNAT)"),
	sp("127.0.0.0/8", "loopback"),
	sp("169.254.0.0/16", "link-local (cloud metadata)"),
	sp("172.16.0.0/12", "private"),
	sp("192.0.0.0/24", "IETF protocol assignments"),
	sp("192.0.2.0/24", "documentation (TEST-NET-1)"),
	sp("192.88.99.0/24", "6to4 relay anycast (deprecated)"),
	sp("192.168.0.0/16", "private"),
	sp("198.18.0.0/15", "benchmarking"),
	sp("198.51.100.0/24", "documentation (TEST-NET-2)"),
	sp("203.0.113.0/24", "documentation (TEST-NET-3)"),
	sp("224.0.0.0/4", "multicast"),
	sp("255.255.255.255/32", "broadcast"),
	sp("240.0.0.0/4", "reserved"),
}

// IPv6 special-purpose ranges. Whatever lies outside global unicast
// (2000::/3) and is not the NAT64 prefix is refused by the catch-all last.
var specials6 = []special{
	sp("::/128", "unspecified"),
	sp("::1/128", "loopback"),
	sp("::/96", "IPv4-compatible (deprecated)"),
	sp("64:ff9b:1::/48", "local-use NAT64"),
	sp("100::/64", "discard-only"),
	sp("2001:db8::/32", "documentation"),
	sp("2001::/23", "IETF protocol assignments"),
	sp("3fff::/20", "documentation"),
	sp("5f00::/16", "segment routing (SRv6) SIDs"),
	sp("fc00::/7", "unique local (private)"),
	sp("fe80::/10", "link-local"),
	sp("fec0::/10", "site-local (deprecated)"),
	sp("ff00::/8", "multicast"),
}

var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
)

// Policy decides which addresses may be dialled. The zero Policy refuses
// every special-purpose address.
type Policy struct {
	// Allow lists ranges that are reachable despite being special
	// (webhooks.allow_private), e.g. 127.0.0.0/8 for a receiver on the
	// same host.
	Allow []netip.Prefix
}

// Check returns nil if a may be dialled, else a *RefusedError. An
// IPv4-mapped IPv6 address is judged as its IPv4 address; one embedding
// an IPv4 address (NAT64 64:ff9b::/96, 6to4 2002::/16) is refused when the
// embedded address is.
func (p Policy) Check(a netip.Addr) error {
	a = a.WithZone("")
	if !a.IsValid() {
		return &RefusedError{Addr: a, Name: "not an IP address"}
	}
	if p.allowed(a) {
		return nil
	}
	if a.Is4In6() {
		return p.Check(a.Unmap())
	}
	if a.Is4() {
		return check(a, specials4)
	}
	if err := check(a, specials6); err != nil {
		return err
	}
	if v4, ok := embedded4(a); ok {
		if err := p.Check(v4); err != nil {
			var r *RefusedError
			errors.As(err, &r)
			return &RefusedError{Addr: a, Range: r.Range, Name: r.Name + " embedded in " + embeddedName(a)}
		}
		return nil
	}
	if !globalUnicast6.Contains(a) {
		return &RefusedError{Addr: a, Range: globalUnicast6, Name: "outside IPv6 global unicast"}
	}
	return nil
}

func (p Policy) allowed(a netip.Addr) bool {
	for _, pr := range p.Allow {
		if pr.Contains(a) || a.Is4In6() && pr.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

func check(a netip.Addr, ranges []special) error {
	for _, s := range ranges {
		if s.prefix.Contains(a) {
			return &RefusedError{Addr: a, Range: s.prefix, Name: s.name}
		}
	}
	return nil
}

// embedded4 returns the IPv4 address a NAT64 or 6to4 address carries.
func embedded4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

func embeddedName(a netip.Addr) string {
	if nat64.Contains(a) {
		return "NAT64 " + nat64.String()
	}
	return "6to4 " + sixToFour.String()
}

// Control is a net.Dialer Control function refusing what p refuses: it
// sees the address about to be connected, after resolution.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("egress: dial %s %q: not an IP address and port", network, address)
	}
	return p.Check(ap.Addr())
}

// Dialer returns a dialer that refuses what p refuses.
func (p Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.Control}
}

// Transport returns an HTTP transport that dials only what p allows and
// takes no proxy from the environment (a proxy would dial for us, out of
// reach of the check).
func (p Policy) Transport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           p.Dialer(10 * time.Second).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Client returns an HTTP client on p.Transport that follows no redirect:
// the 3xx response is returned as it is.
func (p Policy) Client() *http.Client {
	return &http.Client{
		Transport:     p.Transport(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// CheckHost checks the host of a URL a tenant registers (without port or
// brackets, as url.URL.Hostname returns it). An IP literal must pass
// Check. A host that a URL parser or resolver would read as an IPv4
// address in another form (0x7f000001, 2130706433, 0177.0.0.1, 127.1) is
// refused outright: only the canonical dotted quad is accepted, so what is
// registered is what is shown and checked. Other names are checked again
// when dialled.
func (p Policy) CheckHost(host string) error {
	if host == "" {
		return errors.New("no host")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return fmt.Errorf("IPv6 zone %q not allowed in a destination", a.Zone())
		}
		return p.Check(a)
	}
	if endsInNumber(host) {
		return fmt.Errorf("host %q is a number in a form other than a dotted quad (d.d.d.d); write the address canonically", host)
	}
	return nil
}

// endsInNumber is the WHATWG URL "ends in a number" test: a host whose
// last label (after one trailing dot) is decimal digits or 0x-hex is parsed
// as IPv4 by browsers and inet_aton alike.
func endsInNumber(host string) bool {
	labels := strings.Split(host, ".")
	if labels[len(labels)-1] == "" && len(labels) > 1 {
		labels = labels[:len(labels)-1]
	}
	last := labels[len(labels)-1]
	if last == "" {
		return false
	}
	if isDigits(last) {
		return true
	}
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		return isHex(last[2:])
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if (s[i] < '0' || s[i] > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
