package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chainhound/chainhound/apikey"
	"golang.org/x/time/rate"
)

// bearer returns the key of an "Authorization: Bearer KEY" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	key = strings.TrimSpace(key)
	return key, key != ""
}

// authenticate returns the active key of r, or a 401.
func (s *Server) authenticate(r *http.Request) (apikey.Key, *Error) {
	secret, ok := bearer(r)
	if !ok {
		return apikey.Key{}, Errorf(CodeUnauthorized, "Authorization", "missing API key: send Authorization: Bearer KEY")
	}
	if !strings.HasPrefix(secret, apikey.Prefix) {
		return apikey.Key{}, Errorf(CodeUnauthorized, "Authorization", "invalid API key")
	}
	k, found, err := s.deps.Keys.KeyByHash(r.Context(), apikey.Hash(secret))
	if err != nil {
		s.log.Error("key lookup", "err", err)
		return apikey.Key{}, Errorf(CodeInternal, "", "internal error")
	}
	if !found {
		return apikey.Key{}, Errorf(CodeUnauthorized, "Authorization", "invalid API key")
	}
	if !k.Active() {
		return apikey.Key{}, Errorf(CodeUnauthorized, "Authorization", "API key %s was revoked", k.ID)
	}
	return k, nil
}

// authenticated wraps h with the key check and the per-key rate limit.
func (s *Server) authenticated(h func(http.ResponseWriter, *http.Request, apikey.Key)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		src, secret := sourceOf(r), r.Header.Get("Authorization")
		if wait, throttled := s.authLim.throttled(src, secret, time.Now()); throttled {
			s.metrics.AuthThrottled.Inc()
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
			writeError(w, Errorf(CodeRateLimited, "Authorization", "too many failed authentications from %s; retry after %s", src, wait.Round(time.Second)))
			return
		}
		k, e := s.authenticate(r)
		if e != nil {
			if e.Code == CodeUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="chainhound"`)
				if secret != "" { // a key was presented, and it was wrong
					s.authLim.failed(src, secret, time.Now())
				}
			}
			writeError(w, e)
			return
		}
		s.authLim.succeeded(secret)
		if ok, wait := s.limits.allow(k.ID); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
			writeError(w, Errorf(CodeRateLimited, "", "rate limit of %g requests/s for key %s exceeded; retry after %s", float64(s.cfg.Rate), k.ID, wait.Round(time.Millisecond)))
			return
		}
		h(w, r, k)
	}
}

// limiters holds one token bucket per key.
type limiters struct {
	mu    sync.Mutex
	r     rate.Limit
	burst int
	m     map[string]*rate.Limiter
}

func newLimiters(r rate.Limit, burst int) *limiters {
	return &limiters{r: r, burst: burst, m: make(map[string]*rate.Limiter)}
}

func (l *limiters) allow(id string) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.m[id]
	if !ok {
		lim = rate.NewLimiter(l.r, l.burst)
		l.m[id] = lim
	}
	l.mu.Unlock()
	res := lim.Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel()
		return false, d
	}
	return true, 0
}

// forbidden is the 403 of a role that may not do what.
func forbidden(k apikey.Key, what string) *Error {
	return Errorf(CodeForbidden, "", "%s %s key may not %s", article(string(k.Role)), k.Role, what)
}

// article is "an" before a vowel sound, else "a": an admin, an exchange,
// an investigator; a company.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// seesAllAlerts reports whether k sees every alert.
func seesAllAlerts(k apikey.Key) bool {
	return k.Role == apikey.RoleAdmin || k.Role == apikey.RoleInvestigator
}

// seesAlert reports whether k may see an alert with audience aud.
func seesAlert(k apikey.Key, aud []string) bool {
	return seesAllAlerts(k) || slices.Contains(aud, k.Tenant)
}
