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

	"github.com/chainhound/chainhound/watchlists"
)

// Webhook headers. A delivery is an HTTP POST of one alert as JSON (the
// schema of CONTRACT.md) with:
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
// backoff and jitter, and dead-lettered after DispatcherConfig.MaxAttempts.
// Deliveries to one tenant go out in seq order, one at a time.
const (
	HeaderTimestamp = "X-Chainhound-Timestamp"
	HeaderSignature = "X-Chainhound-Signature"
	HeaderSeq       = "X-Chainhound-Seq"
)

// Webhook is one tenant's endpoint.
type Webhook struct {
	Tenant  string    `json:"tenant"`
	URL     string    `json:"url"`
	Secret  string    `json:"secret"`
	All     bool      `json:"all,omitempty"` // every alert (admin tenants), not only its audience's
	Created time.Time `json:"created"`
}

// Delivery is one alert queued for one tenant's webhook.
type Delivery struct {
	Seq       uint64          `json:"seq"`
	Tenant    string          `json:"tenant"`
	Body      json.RawMessage `json:"body"`
	Attempts  int             `json:"attempts"`
	Next      time.Time       `json:"next"` // not before
	LastError string          `json:"last_error,omitempty"`
	Created   time.Time       `json:"created"`
	Dead      time.Time       `json:"dead,omitempty"` // when dead-lettered
}

// WebhookStore keeps webhooks, the durable delivery queue and dead
// letters. store/pebble implements it. Writes are durable on return.
type WebhookStore interface {
	PutWebhook(ctx context.Context, w Webhook) error
	GetWebhook(ctx context.Context, tenant string) (Webhook, bool, error)
	DeleteWebhook(ctx context.Context, tenant string) error
	ListWebhooks(ctx context.Context) ([]Webhook, error)

	// DeliveryCursor is the last alert seq turned into deliveries.
	DeliveryCursor(ctx context.Context) (uint64, error)
	// EnqueueDeliveries queues ds and moves the cursor, atomically.
	EnqueueDeliveries(ctx context.Context, ds []Delivery, cursor uint64) error
	// PendingDeliveries returns the queue ordered by (Seq, Tenant).
	PendingDeliveries(ctx context.Context) ([]Delivery, error)
	// UpdateDelivery rewrites a queued delivery (after a failed attempt).
	UpdateDelivery(ctx context.Context, d Delivery) error
	// FinishDelivery removes d from the queue; dead keeps it as a dead
	// letter.
	FinishDelivery(ctx context.Context, d Delivery, dead bool) error
	// DeadLetters returns up to limit dead letters ordered by (Seq, Tenant).
	DeadLetters(ctx context.Context, limit int) ([]Delivery, error)
}

// Webhooks is the per-tenant webhook registry.
type Webhooks struct{ st WebhookStore }

// NewWebhooks returns the registry kept in st.
func NewWebhooks(st WebhookStore) *Webhooks { return &Webhooks{st: st} }

// MinSecretLen is the shortest secret Set accepts.
const MinSecretLen = 16

// Set registers (or replaces) tenant's webhook. url must be an absolute
// http(s) URL; secret at least MinSecretLen bytes. all marks an admin
// tenant that receives every alert.
func (w *Webhooks) Set(ctx context.Context, tenant, rawURL, secret string, all bool) (Webhook, error) {
	if strings.TrimSpace(tenant) == "" {
		return Webhook{}, fmt.Errorf("field %w", &watchlists.FieldError{Field: "tenant", Err: errors.New("empty")})
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Webhook{}, fmt.Errorf("field %w", &watchlists.FieldError{Field: "url", Err: fmt.Errorf("%q is not an absolute http or https URL", rawURL)})
	}
	if len(secret) < MinSecretLen {
		return Webhook{}, fmt.Errorf("field %w", &watchlists.FieldError{Field: "secret", Err: fmt.Errorf("%d bytes, want at least %d", len(secret), MinSecretLen)})
	}
	h := Webhook{Tenant: tenant, URL: u.String(), Secret: secret, All: all, Created: time.Now().UTC()}
	if err := w.st.PutWebhook(ctx, h); err != nil {
		return Webhook{}, fmt.Errorf("save webhook of tenant %s: %w", tenant, err)
	}
	return h, nil
}

// Get returns tenant's webhook.
func (w *Webhooks) Get(ctx context.Context, tenant string) (Webhook, bool, error) {
	return w.st.GetWebhook(ctx, tenant)
}

// Delete removes tenant's webhook; its queued deliveries are dead-lettered
// when their turn comes.
func (w *Webhooks) Delete(ctx context.Context, tenant string) error {
	return w.st.DeleteWebhook(ctx, tenant)
}

// List returns every webhook ordered by tenant.
func (w *Webhooks) List(ctx context.Context) ([]Webhook, error) { return w.st.ListWebhooks(ctx) }

// DeadLetters returns up to limit dead-lettered deliveries.
func (w *Webhooks) DeadLetters(ctx context.Context, limit int) ([]Delivery, error) {
	return w.st.DeadLetters(ctx, limit)
}

// wants reports whether h receives a.
func (h Webhook) wants(a Alert) bool {
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
