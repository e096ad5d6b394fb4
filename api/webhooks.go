package api

import (
	"context"
	"net/http"
	"time"

	"github.com/chainhound/chainhound/alerts"
)

// WebhookRegistry keeps each tenant's webhook (*alerts.Webhooks); the
// alerts dispatcher delivers to what it holds.
type WebhookRegistry interface {
	Set(ctx context.Context, tenant, url, secret string, all bool) (alerts.Webhook, error)
	Get(ctx context.Context, tenant string) (alerts.Webhook, bool, error)
	Delete(ctx context.Context, tenant string) error
}

var _ WebhookRegistry = (*alerts.Webhooks)(nil)

type webhookRequest struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
	All    bool   `json:"all"`
}

// webhookView is a webhook as the API shows it: never its secret.
type webhookView struct {
	Tenant  string    `json:"tenant"`
	URL     string    `json:"url"`
	All     bool      `json:"all"`
	Created time.Time `json:"created"`
}

// webhookReady answers for a webhook request that cannot go on (no
// webhooks configured, a tenant the key may not name) and otherwise
// returns the tenant it is about.
func (s *Server) webhookReady(w http.ResponseWriter, r *http.Request, k Key) (string, bool) {
	if s.deps.Webhooks == nil {
		writeError(w, Errorf(CodeNotImplemented, "", "webhooks are not configured on this server"))
		return "", false
	}
	tenant, e := webhookTenant(r, k)
	if e != nil {
		writeError(w, e)
		return "", false
	}
	return tenant, true
}

// webhookTenant is the tenant a webhook request acts for: the caller's,
// or ?tenant= for an admin.
func webhookTenant(r *http.Request, k Key) (string, *Error) {
	t := r.URL.Query().Get("tenant")
	if t == "" || t == k.Tenant {
		return k.Tenant, nil
	}
	if k.Role != RoleAdmin {
		return "", forbidden(k, "manage another tenant's webhook")
	}
	if err := ValidTenant(t); err != nil {
		return "", Errorf(CodeInvalid, "tenant", "%v", err)
	}
	return t, nil
}

// PUT /v1/webhook: body {"url","secret","all"}; alerts the tenant may see
// are POSTed there, signed (alerts.Sign). "all" (every alert) is for
// roles that read every alert.
func (s *Server) putWebhook(w http.ResponseWriter, r *http.Request, k Key) {
	tenant, ok := s.webhookReady(w, r, k)
	if !ok {
		return
	}
	req, e := decodeBody[webhookRequest](s, w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	if req.All && !seesAllAlerts(k) {
		writeError(w, forbidden(k, "receive every alert"))
		return
	}
	h, err := s.deps.Webhooks.Set(r.Context(), tenant, req.URL, req.Secret, req.All)
	if err != nil {
		s.fail(w, r, err) // a bad field is a watchlists.FieldError: 400 naming it
		return
	}
	s.log.Info("webhook set", "tenant", tenant, "url", h.URL, "all", h.All, "by", k.ID)
	writeJSON(w, http.StatusOK, webhookView{Tenant: h.Tenant, URL: h.URL, All: h.All, Created: h.Created})
}

// GET /v1/webhook: the tenant's webhook, without its secret.
func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, k Key) {
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
	writeJSON(w, http.StatusOK, webhookView{Tenant: h.Tenant, URL: h.URL, All: h.All, Created: h.Created})
}

// DELETE /v1/webhook: stop deliveries to the tenant.
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, k Key) {
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
