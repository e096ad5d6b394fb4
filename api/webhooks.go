package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/alerts/deliver"
	"github.com/chainhound/chainhound/apikey"
)

// WebhookRegistry keeps each tenant's webhook (*deliver.Webhooks); the
// alerts dispatcher delivers to what it holds.
type WebhookRegistry interface {
	Set(ctx context.Context, h alerts.Webhook) (alerts.Webhook, error)
	Get(ctx context.Context, tenant string) (alerts.Webhook, bool, error)
	Delete(ctx context.Context, tenant string) error
}

var _ WebhookRegistry = (*deliver.Webhooks)(nil)

type webhookRequest struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
	All    bool   `json:"all"`
}

func (h webhookRequest) wantsAll() bool { return h.All }

// decodeSubscription decodes the body of a request that has alerts sent
// somewhere (a webhook, a channel) and answers it when it cannot go on: a
// bad body, or one asking for every alert from a key that may not read
// them all.
func decodeSubscription[T interface{ wantsAll() bool }](s *Server, w http.ResponseWriter, r *http.Request, k apikey.Key) (T, bool) {
	req, e := decodeBody[T](s, w, r)
	if e != nil {
		writeError(w, e)
		return req, false
	}
	if req.wantsAll() && !seesAllAlerts(k) {
		writeError(w, forbidden(k, "receive every alert"))
		return req, false
	}
	return req, true
}

// webhookView is a webhook as the API shows it: never its secret, nor
// user information in its URL.
type webhookView struct {
	Tenant  string    `json:"tenant"`
	URL     string    `json:"url"`
	All     bool      `json:"all"`
	Key     string    `json:"key,omitempty"` // the id of the key it belongs to
	Created time.Time `json:"created"`
}

func viewWebhook(h alerts.Webhook) webhookView {
	return webhookView{Tenant: h.Tenant, URL: h.SafeURL(), All: h.All, Key: h.Key, Created: h.Created}
}

// webhookReady answers for a webhook request that cannot go on (no
// webhooks configured, a tenant the key may not name) and otherwise
// returns the tenant it is about.
func (s *Server) webhookReady(w http.ResponseWriter, r *http.Request, k apikey.Key) (string, bool) {
	if s.deps.Webhooks == nil {
		writeError(w, Errorf(CodeNotImplemented, "", "webhooks are not configured on this server"))
		return "", false
	}
	tenant, e := requestTenant(r, k, "manage another tenant's webhook")
	if e != nil {
		writeError(w, e)
		return "", false
	}
	return tenant, true
}

// requestTenant is the tenant a webhook or channel request acts for: the
// caller's, or ?tenant= for an admin; another role naming another tenant
// is refused, as not allowed to do what.
func requestTenant(r *http.Request, k apikey.Key, what string) (string, *Error) {
	t := r.URL.Query().Get("tenant")
	if t == "" || t == k.Tenant {
		return k.Tenant, nil
	}
	if k.Role != apikey.RoleAdmin {
		return "", forbidden(k, what)
	}
	if err := ValidTenant(t); err != nil {
		return "", Errorf(CodeInvalid, "tenant", "%v", err)
	}
	return t, nil
}

// WebhookAuthorizer is the dispatcher's check of a webhook's owner
// (deliver.DispatcherConfig.Authorize), made before its deliveries are
// queued and before each attempt: the key that registered it must exist,
// be live, and still be of a role that may hold it (mayHoldWebhook);
// otherwise the error wraps deliver.ErrNotAuthorized and nothing is
// delivered. A webhook stored before webhooks had owners (no Key) is
// delivered while its tenant holds a live key that may hold it;
// re-registering it gives it an owner.
func WebhookAuthorizer(keys apikey.Store) func(context.Context, alerts.Webhook) error {
	return func(ctx context.Context, h alerts.Webhook) error {
		ks, err := keys.Keys(ctx)
		if err != nil {
			return fmt.Errorf("read keys: %w", err)
		}
		if h.Key == "" {
			for _, k := range ks {
				if k.Active() && k.Tenant == h.Tenant && mayHoldWebhook(k, h) {
					return nil
				}
			}
			return fmt.Errorf("%w: the webhook of %s has no owning key and the tenant holds no live key that may receive what it asks", deliver.ErrNotAuthorized, h.Tenant)
		}
		for _, k := range ks {
			switch {
			case k.ID != h.Key:
			case !k.Active():
				return fmt.Errorf("%w: its key %s is revoked", deliver.ErrNotAuthorized, k.ID)
			case !mayHoldWebhook(k, h):
				return fmt.Errorf("%w: its key %s (%s of %s) may not receive what it asks", deliver.ErrNotAuthorized, k.ID, k.Role, k.Tenant)
			default:
				return nil
			}
		}
		return fmt.Errorf("%w: its key %s no longer exists", deliver.ErrNotAuthorized, h.Key)
	}
}

// mayHoldWebhook reports whether k may own h: manage h's tenant's webhook
// (its own, or any for an admin) and see what h asks (every alert only
// for a role that reads every alert).
func mayHoldWebhook(k apikey.Key, h alerts.Webhook) bool {
	if h.All && !seesAllAlerts(k) {
		return false
	}
	return k.Tenant == h.Tenant || k.Role == apikey.RoleAdmin
}

// PUT /v1/webhook: body {"url","secret","all"}; alerts the tenant may see
// are POSTed there, signed (alerts.Sign). "all" (every alert) is for
// roles that read every alert.
func (s *Server) putWebhook(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	tenant, ok := s.webhookReady(w, r, k)
	if !ok {
		return
	}
	req, ok := decodeSubscription[webhookRequest](s, w, r, k)
	if !ok {
		return
	}
	h, err := s.deps.Webhooks.Set(r.Context(), alerts.Webhook{Tenant: tenant, Key: k.ID, URL: req.URL, Secret: req.Secret, All: req.All})
	if err != nil {
		s.fail(w, r, err) // a bad field is a watchlists.FieldError: 400 naming it
		return
	}
	s.log.Info("webhook set", "tenant", tenant, "url", h.SafeURL(), "all", h.All, "by", k.ID)
	writeJSON(w, http.StatusOK, viewWebhook(h))
}

// GET /v1/webhook: the tenant's webhook, without its secret.
func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	tenant, ok := s.webhookReady(w, r, k)
	if !ok {
		return
	}
	h, ok, err := s.deps.Webhooks.Get(r.Context(), tenant)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		writeError(w, Errorf(CodeNotFound, "", "tenant %s has no webhook", tenant))
		return
	}
	writeJSON(w, http.StatusOK, viewWebhook(h))
}

// DELETE /v1/webhook: stop deliveries to the tenant.
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	tenant, ok := s.webhookReady(w, r, k)
	if !ok {
		return
	}
	if err := s.deps.Webhooks.Delete(r.Context(), tenant); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
