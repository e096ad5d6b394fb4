package deliver

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/alerts"
)

// Destination is a notification channel in the delivery queue's terms:
// a destination besides a tenant's signed webhook (Slack, email, ...;
// packages notify and notify/sender). Its deliveries share the webhooks' durable queue,
// retries and dead letters, keyed by (Seq, Tenant, Channel).
type Destination struct {
	Tenant  string
	Channel string // the channel's id, unique within its tenant
	// Key and All are checked by DispatcherConfig.Authorize as a
	// webhook's are: the channel is delivered to while the key that
	// added it is live and may receive what it asks.
	Key string
	All bool
	// Wants narrows the tenant's audience (the channel's filter); nil
	// takes every alert the tenant may see.
	Wants func(alerts.Alert) bool
}

// receives reports whether dest gets a.
func (dest Destination) receives(a alerts.Alert) bool {
	if !dest.owner().Wants(a) {
		return false
	}
	return dest.Wants == nil || dest.Wants(a)
}

// owner is dest as the webhook Authorize checks.
func (dest Destination) owner() alerts.Webhook {
	return alerts.Webhook{Tenant: dest.Tenant, Key: dest.Key, All: dest.All}
}

// ChannelSet is the notification channels the dispatcher delivers to
// besides webhooks (DispatcherConfig.Channels).
type ChannelSet interface {
	// Destinations lists every channel, ordered by (tenant, id).
	Destinations(ctx context.Context) ([]Destination, error)
	// Destination returns one channel; false when it was removed.
	Destination(ctx context.Context, tenant, id string) (Destination, bool, error)
	// Send makes one delivery attempt of d (its Body is the alert's
	// JSON) to dest. A *RetryAfterError asks for a later retry; an
	// error wrapping *egress.RefusedError dead-letters at once.
	Send(ctx context.Context, dest Destination, d alerts.Delivery) error
}

// RetryAfterError is a failed attempt whose receiver said when to try
// again (HTTP 429 or 503 with Retry-After): the next attempt waits at
// least After.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// MaxRetryAfter caps the wait a receiver may ask for.
const MaxRetryAfter = time.Hour

// ParseRetryAfter reads a Retry-After header: seconds (a fraction
// allowed) or an HTTP date,
// relative to now; false when absent or unreadable. It is capped at
// MaxRetryAfter.
func ParseRetryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(h, 64); err == nil && secs >= 0 && secs <= MaxRetryAfter.Seconds() {
		d = time.Duration(secs * float64(time.Second)) // seconds; Discord sends fractions
	} else if err == nil && secs > MaxRetryAfter.Seconds() {
		d = MaxRetryAfter
	} else if t, err := http.ParseTime(h); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, MaxRetryAfter), true
}

// StatusError is an HTTP answer outside 2xx from a receiver. Code is the
// status; Retry-After, when the receiver sent one with a 429 or 503,
// comes back as a *RetryAfterError around it (HTTPError).
type StatusError struct{ Code int }

func (e *StatusError) Error() string {
	return "status " + strconv.Itoa(e.Code) + " " + http.StatusText(e.Code)
}

// HTTPError is the error of a receiver's non-2xx response resp: a
// *StatusError, inside a *RetryAfterError when resp is a 429 or 503 with
// a readable Retry-After.
func HTTPError(resp *http.Response) error {
	var err error = &StatusError{resp.StatusCode}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return &RetryAfterError{After: d, Err: err}
		}
	}
	return err
}

// queueKey is the sender queue a delivery belongs to: one per
// destination, so a slow channel does not hold back the tenant's others.
func queueKey(d alerts.Delivery) string {
	if d.Channel == "" {
		return d.Tenant
	}
	return d.Tenant + "\x00" + d.Channel
}
