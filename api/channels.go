package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/notify"
	"github.com/chainhound/chainhound/notify/sender"
)

// ChannelRegistry keeps each tenant's notification channels
// (*sender.Channels); the alerts dispatcher delivers to what it holds.
type ChannelRegistry interface {
	Add(ctx context.Context, c notify.Channel) (notify.Channel, error)
	List(ctx context.Context, tenant string) ([]notify.Channel, error)
	Get(ctx context.Context, tenant, id string) (notify.Channel, bool, error)
	Remove(ctx context.Context, tenant, id string) (bool, error)
	Test(ctx context.Context, tenant, id string) error
}

var _ ChannelRegistry = (*sender.Channels)(nil)

// channelRequest is the body of PUT /v1/channels[/{id}].
type channelRequest struct {
	Type     string        `json:"type"`
	Target   string        `json:"target"`
	Secret   string        `json:"secret"`
	URL      string        `json:"url"`
	SMTP     *notify.SMTP  `json:"smtp"`
	Filter   notify.Filter `json:"filter"`
	Template string        `json:"template"`
	All      bool          `json:"all"`
}

func (c channelRequest) wantsAll() bool { return c.All }

// channelReady answers for a channel request that cannot go on (no
// channels configured, a tenant the key may not name) and otherwise
// returns the tenant it is about.
func (s *Server) channelReady(w http.ResponseWriter, r *http.Request, k apikey.Key) (string, bool) {
	if s.deps.Channels == nil {
		writeError(w, Errorf(CodeNotImplemented, "", "notification channels are not configured on this server"))
		return "", false
	}
	tenant, e := requestTenant(r, k, "manage another tenant's channels")
	if e != nil {
		writeError(w, e)
		return "", false
	}
	if id := r.PathValue("id"); id != "" {
		if err := sender.ValidID(id); err != nil {
			writeError(w, Errorf(CodeInvalid, "id", "%v", err))
			return "", false
		}
	}
	return tenant, true
}

// PUT /v1/channels (a new channel, 201) and PUT /v1/channels/{id} (that
// channel, made or replaced, 200): body {"type","target","secret","url",
// "smtp","filter","template","all"}. The answer never holds a secret.
func (s *Server) putChannel(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	tenant, ok := s.channelReady(w, r, k)
	if !ok {
		return
	}
	req, ok := decodeSubscription[channelRequest](s, w, r, k)
	if !ok {
		return
	}
	id := r.PathValue("id")
	c, err := s.deps.Channels.Add(r.Context(), notify.Channel{
		ID: id, Tenant: tenant, Key: k.ID, Type: req.Type, Target: req.Target, Secret: req.Secret, URL: req.URL,
		SMTP: req.SMTP, Filter: req.Filter, Template: req.Template, All: req.All,
	})
	if err != nil {
		s.fail(w, r, err) // a bad field is a watchlists.FieldError: 400 naming it
		return
	}
	s.log.Info("channel set", "tenant", tenant, "channel", c.ID, "type", c.Type, "target", c.SafeTarget(), "by", k.ID)
	status := http.StatusOK
	if id == "" {
		status = http.StatusCreated
	}
	writeJSON(w, status, c.View())
}

// GET /v1/channels: {"channels":[…]} of the tenant, without secrets.
func (s *Server) listChannels(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	tenant, ok := s.channelReady(w, r, k)
	if !ok {
		return
	}
	cs, err := s.deps.Channels.List(r.Context(), tenant)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	views := make([]notify.View, len(cs))
	for i, c := range cs {
		views[i] = c.View()
	}
	writeJSON(w, http.StatusOK, map[string]any{"channels": views})
}

// GET /v1/channels/{id}: one channel, without secrets.
func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	tenant, ok := s.channelReady(w, r, k)
	if !ok {
		return
	}
	c, ok, err := s.deps.Channels.Get(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		writeError(w, Errorf(CodeNotFound, "id", "tenant %s has no channel %s", tenant, r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, c.View())
}

// DELETE /v1/channels/{id}: 204; its queued deliveries are dead-lettered.
func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	tenant, ok := s.channelReady(w, r, k)
	if !ok {
		return
	}
	ok, err := s.deps.Channels.Remove(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		writeError(w, Errorf(CodeNotFound, "id", "tenant %s has no channel %s", tenant, r.PathValue("id")))
		return
	}
	s.log.Info("channel removed", "tenant", tenant, "channel", r.PathValue("id"), "by", k.ID)
	w.WriteHeader(http.StatusNoContent)
}

// POST /v1/channels/{id}/test: sends a test message now; 200
// {"delivered":true}, or 502 delivery_failed with the destination's
// answer.
func (s *Server) testChannel(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	tenant, ok := s.channelReady(w, r, k)
	if !ok {
		return
	}
	err := s.deps.Channels.Test(r.Context(), tenant, r.PathValue("id"))
	switch {
	case errors.Is(err, sender.ErrNotFound):
		writeError(w, Errorf(CodeNotFound, "id", "tenant %s has no channel %s", tenant, r.PathValue("id")))
	case err != nil:
		writeError(w, Errorf(CodeDeliveryFailed, "", "test message not delivered: %v", err))
	default:
		writeJSON(w, http.StatusOK, map[string]any{"delivered": true})
	}
}
