package api

import (
	"crypto/sha256"
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Bounds on the failed-authentication throttle's memory: at most
// maxAuthSources source addresses are tracked (an idle one, whose bucket
// has refilled, is forgotten first), and at most maxKnownGood keys are
// remembered as recently authenticated.
const (
	maxAuthSources = 1 << 16
	maxKnownGood   = 1 << 12
)

// authThrottle limits failed authentications per source address: a
// token bucket per address (an IPv6 address counts by its /64) that
// each failure drains. Once it is empty, requests from the address are
// answered 429 before their key is looked up, so guessing keys costs an
// attacker Retry-After per guess.
//
// A key that authenticated successfully (from any address) since the
// server started is remembered by its hash, in memory: such a key is
// still looked up and served while its address is throttled, so an
// attacker sharing a NAT or proxy with a tenant does not lock the
// tenant's working key out. A key never seen before is throttled with
// its address.
type authThrottle struct {
	r     rate.Limit
	burst int

	mu        sync.Mutex
	sources   map[netip.Prefix]*rate.Limiter
	knownGood map[[32]byte]struct{}
}

func newAuthThrottle(r rate.Limit, burst int) *authThrottle {
	return &authThrottle{r: r, burst: burst, sources: map[netip.Prefix]*rate.Limiter{}, knownGood: map[[32]byte]struct{}{}}
}

// sourceOf is the throttled unit of r's peer: its IP address, or the /64
// of an IPv6 one. Behind a reverse proxy it is the proxy's address.
func sourceOf(r *http.Request) netip.Prefix {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// throttled reports whether src has no failures left, and when the next
// one is allowed; a remembered good secret is never throttled.
func (a *authThrottle) throttled(src netip.Prefix, secret string, now time.Time) (time.Duration, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	lim, ok := a.sources[src]
	if !ok {
		return 0, false
	}
	if _, good := a.knownGood[sha256.Sum256([]byte(secret))]; good {
		return 0, false
	}
	tokens := lim.TokensAt(now)
	if tokens >= 1 {
		return 0, false
	}
	wait := time.Duration((1 - tokens) / float64(a.r) * float64(time.Second))
	return wait, true
}

// failed spends one of src's failures; secret is no longer a working
// key (it was revoked, if it ever was one).
func (a *authThrottle) failed(src netip.Prefix, secret string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.knownGood, sha256.Sum256([]byte(secret)))
	lim, ok := a.sources[src]
	if !ok {
		if len(a.sources) >= maxAuthSources {
			a.evictLocked(now)
		}
		lim = rate.NewLimiter(a.r, a.burst)
		a.sources[src] = lim
	}
	lim.AllowN(now, 1)
}

// succeeded remembers secret (the Authorization header) as a working key.
func (a *authThrottle) succeeded(secret string) {
	h := sha256.Sum256([]byte(secret))
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.knownGood[h]; ok {
		return
	}
	if len(a.knownGood) >= maxKnownGood {
		clear(a.knownGood) // rare: relearnt at the next success of each
	}
	a.knownGood[h] = struct{}{}
}

// evictLocked forgets the sources whose bucket has refilled (they are
// as if new); should every one still be draining, it forgets half of
// them, at random.
func (a *authThrottle) evictLocked(now time.Time) {
	for src, lim := range a.sources {
		if lim.TokensAt(now) >= float64(a.burst) {
			delete(a.sources, src)
		}
	}
	if len(a.sources) < maxAuthSources {
		return
	}
	n := 0
	for src := range a.sources {
		if n++; n > maxAuthSources/2 {
			break
		}
		delete(a.sources, src)
	}
}

// retryAfter is the Retry-After value of wait, in whole seconds (≥ 1).
func retryAfter(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}
