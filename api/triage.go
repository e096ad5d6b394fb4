package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
)

// TriageEventType is the "type" of the websocket message that tells a
// tenant's subscribers of a change of its triage of an alert. The message
// has no "seq": it is not an alert, and resuming by since is unchanged
// (docs/decisions/0023-alert-triage.md).
const TriageEventType = "triage.updated"

// alertView is an alert as a tenant sees it: with its triage when the
// tenant has triaged it (absent: status new).
type alertView struct {
	alerts.Alert
	Triage *alerts.Triage `json:"triage,omitempty"`
}

// triageMsg is the websocket message of a TriageEvent.
type triageMsg struct {
	Type     string                `json:"type"`
	Alert    uint64                `json:"alert"`
	Status   string                `json:"status"`
	Assignee string                `json:"assignee"`
	Updated  time.Time             `json:"updated"`
	Changes  []alerts.TriageChange `json:"changes"`
	Comment  *alerts.Comment       `json:"comment,omitempty"`
}

func newTriageMsg(ev alerts.TriageEvent) triageMsg {
	ch := ev.Changes
	if ch == nil {
		ch = []alerts.TriageChange{}
	}
	return triageMsg{Type: TriageEventType, Alert: ev.Triage.Seq, Status: ev.Triage.Status, Assignee: ev.Triage.Assignee,
		Updated: ev.Triage.Updated, Changes: ch, Comment: ev.Comment}
}

// triageBody is PATCH /v1/alerts/{seq}'s body.
type triageBody struct {
	Status   *string `json:"status"`
	Assignee *string `json:"assignee"`
}

// commentBody is POST /v1/alerts/{seq}/comments' body.
type commentBody struct {
	Text string `json:"text"`
}

// triageReady answers 501 when no triage store is configured.
func (s *Server) triageReady(w http.ResponseWriter) bool {
	if s.deps.Triage == nil {
		writeError(w, Errorf(CodeNotImplemented, "", "alert triage is not configured"))
		return false
	}
	return true
}

// visibleAlert returns the alert of the path's {seq} if k may see it,
// else answers 400 or 404.
func (s *Server) visibleAlert(w http.ResponseWriter, r *http.Request, k apikey.Key) (alerts.Alert, bool) {
	v := r.PathValue("seq")
	seq, err := strconv.ParseUint(v, 10, 64)
	if err != nil || seq == 0 {
		writeError(w, Errorf(CodeInvalid, "seq", "alert seq %q is not a sequence number (1, 2, …)", v))
		return alerts.Alert{}, false
	}
	page, err := s.deps.Alerts.Since(r.Context(), seq-1, 1)
	if err != nil {
		s.fail(w, r, err)
		return alerts.Alert{}, false
	}
	if len(page) == 0 || page[0].Seq != seq || !seesAlert(k, page[0].Audience) {
		writeError(w, Errorf(CodeNotFound, "seq", "no alert %d", seq))
		return alerts.Alert{}, false
	}
	return page[0], true
}

// patchAlert answers PATCH /v1/alerts/{seq}: sets the caller's tenant's
// status and assignee of the alert, and answers with its triage.
func (s *Server) patchAlert(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if !s.triageReady(w) {
		return
	}
	a, ok := s.visibleAlert(w, r, k)
	if !ok {
		return
	}
	body, e := decodeBody[triageBody](s, w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	if body.Status == nil && body.Assignee == nil {
		writeError(w, Errorf(CodeInvalid, "status", "nothing to change: give status, assignee or both"))
		return
	}
	if body.Status != nil && !alerts.ValidStatus(*body.Status) {
		writeError(w, Errorf(CodeInvalid, "status", "unknown status %q (want one of %s)", *body.Status, strings.Join(alerts.Statuses, ", ")))
		return
	}
	if body.Assignee != nil {
		if len(*body.Assignee) > alerts.MaxAssignee {
			writeError(w, Errorf(CodeInvalid, "assignee", "assignee longer than %d bytes", alerts.MaxAssignee))
			return
		}
		if strings.ContainsFunc(*body.Assignee, isControl) {
			writeError(w, Errorf(CodeInvalid, "assignee", "assignee holds a control character"))
			return
		}
	}
	var changes []alerts.TriageChange
	tr, err := s.deps.Triage.UpdateTriage(r.Context(), k.Tenant, a.Seq, func(tr *alerts.Triage) error {
		var err error
		changes, err = tr.Set(body.Status, body.Assignee, k.ID, time.Now().UTC())
		return err
	})
	if err != nil {
		s.failTriage(w, r, err)
		return
	}
	if len(changes) > 0 {
		s.log.Info("alert triaged", "seq", a.Seq, "tenant", k.Tenant, "key", k.ID, "status", tr.Status)
		s.publishTriage(alerts.TriageEvent{Triage: tr, Changes: changes})
	}
	writeJSON(w, http.StatusOK, tr)
}

// commentAlert answers POST /v1/alerts/{seq}/comments: 201 with the
// caller's tenant's triage of the alert, the comment last.
func (s *Server) commentAlert(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if !s.triageReady(w) {
		return
	}
	a, ok := s.visibleAlert(w, r, k)
	if !ok {
		return
	}
	body, e := decodeBody[commentBody](s, w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	switch {
	case strings.TrimSpace(body.Text) == "":
		writeError(w, Errorf(CodeInvalid, "text", "empty comment: give text"))
		return
	case len(body.Text) > alerts.MaxCommentText:
		writeError(w, Errorf(CodeInvalid, "text", "comment longer than %d bytes", alerts.MaxCommentText))
		return
	}
	c := alerts.Comment{Time: time.Now().UTC(), By: k.ID, Text: body.Text}
	tr, err := s.deps.Triage.UpdateTriage(r.Context(), k.Tenant, a.Seq, func(tr *alerts.Triage) error {
		return tr.AddComment(c)
	})
	if err != nil {
		s.failTriage(w, r, err)
		return
	}
	s.publishTriage(alerts.TriageEvent{Triage: tr, Comment: &c})
	writeJSON(w, http.StatusCreated, tr)
}

func (s *Server) failTriage(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, alerts.ErrTriageFull) {
		writeError(w, Errorf(CodeConflict, "", "%v", err))
		return
	}
	s.fail(w, r, err)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// publishTriage tells the tenant's subscribers of ev: through the bus
// when replicas share one (every replica's hub hears it there, this
// one's included), else to this server's hub directly.
func (s *Server) publishTriage(ev alerts.TriageEvent) {
	if s.deps.TriageBus != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.deps.TriageBus.PublishTriage(ctx, ev)
		if err == nil {
			return
		}
		s.log.Warn("publish triage event to the replicas; told this replica's subscribers only", "seq", ev.Triage.Seq, "err", err)
	}
	s.hub.triaged(ev)
}

// followTriageBus forwards the bus's events to the hub until ctx is done,
// subscribing again after a failure.
func (s *Server) followTriageBus(ctx context.Context) {
	backoff := chains.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for ctx.Err() == nil {
		evs, err := s.deps.TriageBus.SubscribeTriage(ctx)
		if err != nil {
			s.log.Warn("subscribe to triage events", "err", err)
			chains.Sleep(ctx, backoff.Next())
			continue
		}
		backoff.Reset()
		for ev := range evs {
			s.hub.triaged(ev)
		}
	}
}

// withTriage returns the views of as for k's tenant, keeping only those
// whose triage status passes f. Without a triage store every alert is new.
func (s *Server) withTriage(ctx context.Context, k apikey.Key, f *Filter, as []alerts.Alert) ([]alertView, error) {
	out := make([]alertView, 0, len(as))
	var trs map[uint64]alerts.Triage
	if s.deps.Triage != nil && len(as) > 0 {
		seqs := make([]uint64, len(as))
		for i := range as {
			seqs[i] = as[i].Seq
		}
		var err error
		if trs, err = s.deps.Triage.Triages(ctx, k.Tenant, seqs); err != nil {
			return nil, err
		}
	}
	for _, a := range as {
		v := alertView{Alert: a}
		status := alerts.StatusNew
		if tr, ok := trs[a.Seq]; ok {
			v.Triage = &tr
			status = tr.Status
		}
		if f.MatchStatus(status) {
			out = append(out, v)
		}
	}
	return out, nil
}

// encodeTriageMsg encodes ev's websocket message.
func encodeTriageMsg(ev alerts.TriageEvent) ([]byte, error) { return json.Marshal(newTriageMsg(ev)) }
