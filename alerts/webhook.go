package alerts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook headers. A delivery is an HTTP POST of one alert as JSON (the
// schema of docs/interface.md) with:
//
//	Content-Type: application/json
//	X-Chainhound-Timestamp: <unix seconds when this attempt was sent>
//	X-Chainhound-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//	X-Chainhound-Seq: <the alert's seq>
//
// A receiver verifies with Verify (copy it: it needs only the standard
// library), rejects timestamps outside its tolerance (replays), and
// de-duplicates by seq: delivery is at least once, exactly once unless the
// daemon dies between the receiver's 2xx and recording it. Any 2xx is
// success; anything else (including redirects) is retried with exponential
// backoff and jitter, and dead-lettered after deliver.DispatcherConfig.MaxAttempts.
// Deliveries to one tenant go out in seq order, one at a time.
const (
	HeaderTimestamp = "X-Chainhound-Timestamp"
	HeaderSignature = "X-Chainhound-Signature"
	HeaderSeq       = "X-Chainhound-Seq"
)

// Webhook is one tenant's endpoint.
type Webhook struct {
	Tenant string `json:"tenant"`
	// Key is the id of the API key that registered the webhook: it is
	// delivered to while that key is live and of a role that may see what
	// the webhook asks (deliver.DispatcherConfig.Authorize). Webhooks stored
	// before keys owned them have none; see Authorize.
	Key     string    `json:"key,omitempty"`
	URL     string    `json:"url"`
	Secret  string    `json:"secret"`
	All     bool      `json:"all,omitempty"` // every alert (admin tenants), not only its audience's
	Created time.Time `json:"created"`
}

// SafeURL is h.URL without any user information (user:password@), for
// logs, errors and views. Registration refuses user information, but a
// webhook stored by an older version may hold some.
func (h Webhook) SafeURL() string { return redactURL(h.URL) }

// redactURL drops the user information of raw; an unparsable raw is not
// shown at all.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

// Delivery is one alert queued for one tenant's webhook, or, when Channel
// is set, for that notification channel of the tenant.
type Delivery struct {
	Seq       uint64          `json:"seq"`
	Tenant    string          `json:"tenant"`
	Channel   string          `json:"channel,omitempty"`
	Body      json.RawMessage `json:"body"`
	Attempts  int             `json:"attempts"`
	Next      time.Time       `json:"next"` // not before
	LastError string          `json:"last_error,omitempty"`
	Created   time.Time       `json:"created"`
	Dead      time.Time       `json:"dead,omitempty"` // when dead-lettered
}

// WebhookStore keeps webhooks, the durable delivery queue and dead
// letters. store/pebble and store/redis implement it. Writes are durable
// on return.
type WebhookStore interface {
	PutWebhook(ctx context.Context, w Webhook) error
	GetWebhook(ctx context.Context, tenant string) (Webhook, bool, error)
	DeleteWebhook(ctx context.Context, tenant string) error
	ListWebhooks(ctx context.Context) ([]Webhook, error)

	// DeliveryCursor is the last alert seq turned into deliveries.
	DeliveryCursor(ctx context.Context) (uint64, error)
	// EnqueueDeliveries queues ds and moves the cursor, atomically.
	EnqueueDeliveries(ctx context.Context, ds []Delivery, cursor uint64) error
	// PendingDeliveries returns the queue ordered by (Seq, Tenant,
	// Channel); a delivery is identified by those three.
	PendingDeliveries(ctx context.Context) ([]Delivery, error)
	// UpdateDelivery rewrites a queued delivery (after a failed attempt).
	UpdateDelivery(ctx context.Context, d Delivery) error
	// FinishDelivery removes d from the queue; dead keeps it as a dead
	// letter.
	FinishDelivery(ctx context.Context, d Delivery, dead bool) error
	// DeadLetters returns up to limit dead letters ordered by (Seq,
	// Tenant, Channel).
	DeadLetters(ctx context.Context, limit int) ([]Delivery, error)
}

// Wants reports whether h receives a: a is for h's tenant, or h takes
// every alert (All).
func (h Webhook) Wants(a Alert) bool {
	return h.All || slices.Contains(a.Audience, h.Tenant)
}

// Sign returns the X-Chainhound-Signature value for body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook request: timestamp and signature are the
// X-Chainhound-Timestamp and X-Chainhound-Signature headers, body the raw
// request body. It refuses a timestamp further than tolerance from now
// (a replay) and a signature that does not match. Receivers may copy it.
func Verify(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %q is not unix seconds", HeaderTimestamp, timestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%s: %s off by %s, more than %s: replay?", HeaderTimestamp, timestamp, d.Round(time.Second), tolerance)
	}
	want := Sign(secret, ts, body)
	if !strings.HasPrefix(signature, "sha256=") || !hmac.Equal([]byte(signature), []byte(want)) {
		return errors.New(HeaderSignature + ": does not match the body")
	}
	return nil
}
