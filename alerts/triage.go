package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Triage statuses of an alert (docs/interface.md). An alert no tenant has
// touched is StatusNew for every tenant.
const (
	StatusNew           = "new"
	StatusAcknowledged  = "acknowledged"
	StatusInvestigating = "investigating"
	StatusResolved      = "resolved"
	StatusFalsePositive = "false_positive"
)

// Statuses lists the triage statuses in workflow order.
var Statuses = []string{StatusNew, StatusAcknowledged, StatusInvestigating, StatusResolved, StatusFalsePositive}

// ValidStatus reports whether s is a triage status.
func ValidStatus(s string) bool { return slices.Contains(Statuses, s) }

// Limits of what a triage holds, so that one alert's record stays small.
const (
	MaxAssignee    = 200
	MaxCommentText = 10000
	MaxComments    = 1000
	MaxHistory     = 1000
)

// Triage is one tenant's handling of one alert: its status, who it is
// assigned to, the comments on it and the history of both. Each tenant
// triages the alerts it sees on its own; no tenant sees another's.
type Triage struct {
	Seq      uint64    `json:"seq"` // the alert's
	Tenant   string    `json:"-"`
	Status   string    `json:"status"`
	Assignee string    `json:"assignee"`
	Updated  time.Time `json:"updated,omitzero"`
	// Comments, oldest first.
	Comments []Comment `json:"comments"`
	// History of status and assignee, oldest first.
	History []TriageChange `json:"history"`
}

// Comment is a note on an alert.
type Comment struct {
	Time time.Time `json:"time"`
	By   string    `json:"by"` // the API key's id, or "cli" on --data-dir
	Text string    `json:"text"`
}

// TriageChange is one change of a triage field: who, when, from → to.
type TriageChange struct {
	Time  time.Time `json:"time"`
	By    string    `json:"by"`
	Field string    `json:"field"` // "status" or "assignee"
	From  string    `json:"from"`
	To    string    `json:"to"`
}

// NewTriage is the triage of an alert nobody of tenant has touched.
func NewTriage(tenant string, seq uint64) Triage {
	return Triage{Seq: seq, Tenant: tenant, Status: StatusNew, Comments: []Comment{}, History: []TriageChange{}}
}

// DecodeTriage decodes tenant's triage of alert seq as a store keeps it
// (JSON, without the tenant).
func DecodeTriage(v []byte, tenant string, seq uint64) (Triage, error) {
	tr := NewTriage(tenant, seq)
	if err := json.Unmarshal(v, &tr); err != nil {
		return Triage{}, fmt.Errorf("decode triage of alert %d for %s: %w", seq, tenant, err)
	}
	tr.Tenant, tr.Seq = tenant, seq
	return tr, nil
}

// ErrTriageFull is an update that would pass MaxComments or MaxHistory.
var ErrTriageFull = errors.New("alert triage is full")

// Set changes status and assignee (nil: unchanged) at t by by, recording
// each change in the history; it returns the changes made (none when
// both were already so).
func (tr *Triage) Set(status, assignee *string, by string, t time.Time) ([]TriageChange, error) {
	var changes []TriageChange
	if status != nil && *status != tr.Status {
		if !ValidStatus(*status) {
			return nil, fmt.Errorf("unknown status %q (want %s)", *status, strings.Join(Statuses, ", "))
		}
		changes = append(changes, TriageChange{Time: t, By: by, Field: "status", From: tr.Status, To: *status})
	}
	if assignee != nil && *assignee != tr.Assignee {
		if len(*assignee) > MaxAssignee {
			return nil, fmt.Errorf("assignee longer than %d bytes", MaxAssignee)
		}
		changes = append(changes, TriageChange{Time: t, By: by, Field: "assignee", From: tr.Assignee, To: *assignee})
	}
	if len(tr.History)+len(changes) > MaxHistory {
		return nil, fmt.Errorf("%w: %d changes already", ErrTriageFull, len(tr.History))
	}
	for _, c := range changes {
		if c.Field == "status" {
			tr.Status = c.To
		} else {
			tr.Assignee = c.To
		}
	}
	if len(changes) > 0 {
		tr.History = append(tr.History, changes...)
		tr.Updated = t
	}
	return changes, nil
}

// AddComment appends a comment.
func (tr *Triage) AddComment(c Comment) error {
	if strings.TrimSpace(c.Text) == "" {
		return errors.New("empty comment text")
	}
	if len(c.Text) > MaxCommentText {
		return fmt.Errorf("comment text longer than %d bytes", MaxCommentText)
	}
	if len(tr.Comments) >= MaxComments {
		return fmt.Errorf("%w: %d comments already", ErrTriageFull, len(tr.Comments))
	}
	tr.Comments = append(tr.Comments, c)
	tr.Updated = c.Time
	return nil
}

// TriageStore keeps each tenant's triage of alerts. store/pebble and
// store/redis implement it. Every method is safe for concurrent use, by
// several processes on a shared store.
type TriageStore interface {
	// UpdateTriage calls fn on tenant's triage of alert seq (NewTriage
	// when none is stored) and stores what fn left, atomically: an update
	// made meanwhile by another caller or process is never lost (fn may
	// be called again on the newer triage). An error from fn stores
	// nothing and is returned as is.
	UpdateTriage(ctx context.Context, tenant string, seq uint64, fn func(*Triage) error) (Triage, error)
	// Triages returns tenant's stored triage of each of seqs that has one.
	Triages(ctx context.Context, tenant string, seqs []uint64) (map[uint64]Triage, error)
}

// TriageEvent is one change of a tenant's triage, told to that tenant's
// websocket subscribers: the triage as it is now, and what changed.
type TriageEvent struct {
	Triage  Triage
	Changes []TriageChange
	Comment *Comment
}

// TriageBus carries triage events between the processes that share a
// store (replicas on one Redis): every event published by any of them is
// delivered to every subscriber, the publisher's own included.
type TriageBus interface {
	PublishTriage(ctx context.Context, ev TriageEvent) error
	// SubscribeTriage delivers events until ctx is done, then closes the
	// channel. Events published while a subscriber is not connected are
	// not delivered (they are hints; the triage is in the store).
	SubscribeTriage(ctx context.Context) (<-chan TriageEvent, error)
}
