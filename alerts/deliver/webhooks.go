package deliver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/egress"
	"github.com/chainhound/chainhound/watchlists"
)

// Webhooks is the per-tenant webhook registry.
type Webhooks struct {
	st     alerts.WebhookStore
	egress egress.Policy
}

// NewWebhooks returns the registry kept in st. p is the egress policy
// registration checks literal destinations against (config
// webhooks.allow_private); the dispatcher checks the address dialled.
func NewWebhooks(st alerts.WebhookStore, p egress.Policy) *Webhooks {
	return &Webhooks{st: st, egress: p}
}

// MinSecretLen is the shortest secret Set accepts.
const MinSecretLen = 16

// Set registers (or replaces) h.Tenant's webhook, owned by the API key
// h.Key. h.URL must be an absolute http(s) URL without user information,
// whose host is a name or a canonical IP address the egress policy
// allows; h.Secret at least MinSecretLen bytes. h.All marks a tenant that
// receives every alert. Created is set here.
func (w *Webhooks) Set(ctx context.Context, h alerts.Webhook) (alerts.Webhook, error) {
	if strings.TrimSpace(h.Tenant) == "" {
		return alerts.Webhook{}, fmt.Errorf("field %w", &watchlists.FieldError{Field: "tenant", Err: errors.New("empty")})
	}
	u, err := w.checkURL(h.URL)
	if err != nil {
		return alerts.Webhook{}, fmt.Errorf("field %w", &watchlists.FieldError{Field: "url", Err: err})
	}
	if len(h.Secret) < MinSecretLen {
		return alerts.Webhook{}, fmt.Errorf("field %w", &watchlists.FieldError{Field: "secret", Err: fmt.Errorf("%d bytes, want at least %d", len(h.Secret), MinSecretLen)})
	}
	h.URL, h.Created = u.String(), time.Now().UTC()
	if err := w.st.PutWebhook(ctx, h); err != nil {
		return alerts.Webhook{}, fmt.Errorf("save webhook of tenant %s: %w", h.Tenant, err)
	}
	return h, nil
}

// CheckURL is the check Set makes of a webhook URL, for a caller that
// validates before storing. Its errors never repeat user information.
func (w *Webhooks) CheckURL(raw string) error {
	_, err := w.checkURL(raw)
	return err
}

func (w *Webhooks) checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not repeated: it may hold a password.
		return nil, errors.New("not an absolute http or https URL")
	}
	if u.User != nil {
		return nil, errors.New("must not hold user information (user:password@); receivers authenticate deliveries by their signature (X-Chainhound-Signature)")
	}
	if err := w.egress.CheckHost(u.Hostname()); err != nil {
		return nil, err
	}
	return u, nil
}

// Get returns tenant's webhook.
func (w *Webhooks) Get(ctx context.Context, tenant string) (alerts.Webhook, bool, error) {
	return w.st.GetWebhook(ctx, tenant)
}

// Delete removes tenant's webhook; its queued deliveries are dead-lettered
// when their turn comes.
func (w *Webhooks) Delete(ctx context.Context, tenant string) error {
	return w.st.DeleteWebhook(ctx, tenant)
}

// List returns every webhook ordered by tenant.
func (w *Webhooks) List(ctx context.Context) ([]alerts.Webhook, error) { return w.st.ListWebhooks(ctx) }

// DeadLetters returns up to limit dead-lettered deliveries.
func (w *Webhooks) DeadLetters(ctx context.Context, limit int) ([]alerts.Delivery, error) {
	return w.st.DeadLetters(ctx, limit)
}
