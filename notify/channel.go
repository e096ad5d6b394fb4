package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

// Channel types.
const (
	Slack     = "slack"
	Discord   = "discord"
	Teams     = "teams"
	Telegram  = "telegram"
	PagerDuty = "pagerduty"
	Email     = "email"
	Webhook   = "webhook"
)

// Types lists the channel types.
var Types = []string{Slack, Discord, Teams, Telegram, PagerDuty, Email, Webhook}

// Default API endpoints of the services whose address is not the target.
const (
	TelegramAPI  = "https://api.telegram.org"
	PagerDutyAPI = "https://events.pagerduty.com/v2/enqueue"
)

// Channel is one notification destination of a tenant.
type Channel struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	// Key is the id of the API key that added the channel; it is
	// delivered to while that key is live (deliver.DispatcherConfig.Authorize).
	Key  string `json:"key,omitempty"`
	Type string `json:"type"`
	// Target is where alerts go: the incoming-webhook URL (slack,
	// discord, teams, webhook), the chat id (telegram), the integration's
	// routing key (pagerduty), the recipients, comma-separated (email).
	Target string `json:"target"`
	// Secret is the webhook's signing secret or the Telegram bot token.
	Secret string `json:"secret,omitempty"`
	// URL replaces the service's API endpoint (telegram: the Bot API
	// base, pagerduty: the enqueue URL), for a proxy or a test receiver.
	URL      string    `json:"url,omitempty"`
	SMTP     *SMTP     `json:"smtp,omitempty"` // email only
	Filter   Filter    `json:"filter"`
	Template string    `json:"template,omitempty"` // text/template of the message body; "" the default
	All      bool      `json:"all,omitempty"`      // every alert, not only the tenant's (admin tenants)
	Created  time.Time `json:"created"`
}

// SMTP is an email channel's mail server.
type SMTP struct {
	Server   string `json:"server"`             // host:port (587 for STARTTLS, 465 for TLS)
	TLS      string `json:"tls,omitempty"`      // starttls (default; required before AUTH) | tls (implicit, port 465)
	Username string `json:"username,omitempty"` // AUTH PLAIN, or LOGIN when the server offers only that
	Password string `json:"password,omitempty"`
	From     string `json:"from"`
}

// Filter selects the alerts a channel receives among those its tenant
// may see. Empty fields match everything.
type Filter struct {
	Types       []string `json:"types,omitempty"`
	MinSeverity string   `json:"min_severity,omitempty"`
	Chains      []string `json:"chains,omitempty"`
	Incidents   []string `json:"incidents,omitempty"`
}

// Match reports whether a passes f.
func (f Filter) Match(a alerts.Alert) bool {
	if len(f.Types) > 0 && !slices.Contains(f.Types, a.Type) {
		return false
	}
	if f.MinSeverity != "" && !alerts.AtLeast(a.Severity, f.MinSeverity) {
		return false
	}
	if len(f.Chains) > 0 && !slices.Contains(f.Chains, a.Chain) {
		return false
	}
	if len(f.Incidents) > 0 {
		hit := slices.Contains(f.Incidents, a.Incident)
		for _, id := range a.Incidents {
			hit = hit || slices.Contains(f.Incidents, id)
		}
		if !hit {
			return false
		}
	}
	return true
}

// Validate checks f's types, severity, chains and incidents; its errors
// are *watchlists.FieldError naming the filter's field.
func (f Filter) Validate() error {
	for i, t := range f.Types {
		if !alerts.ValidType(t) {
			return fieldErr(fmt.Sprintf("filter.types[%d]", i), fmt.Errorf("unknown alert type %q (want one of %s)", t, strings.Join(alerts.Types, ", ")))
		}
	}
	if s := f.MinSeverity; s != "" && !slices.Contains([]string{alerts.Critical, alerts.High, alerts.Medium, alerts.Low, alerts.Info}, s) {
		return fieldErr("filter.min_severity", fmt.Errorf("unknown severity %q (want critical, high, medium, low or info)", s))
	}
	for i, c := range f.Chains {
		if _, err := chains.ParseChain(c); err != nil {
			return fieldErr(fmt.Sprintf("filter.chains[%d]", i), err)
		}
	}
	for i, id := range f.Incidents {
		if strings.TrimSpace(id) == "" {
			return fieldErr(fmt.Sprintf("filter.incidents[%d]", i), errors.New("empty"))
		}
	}
	return nil
}

func fieldErr(field string, err error) error {
	return fmt.Errorf("field %w", &watchlists.FieldError{Field: field, Err: err})
}

// View is a channel as the API and the CLI show it: its target redacted
// where it is a secret, never a secret, token or password.
type View struct {
	ID       string    `json:"id"`
	Tenant   string    `json:"tenant"`
	Type     string    `json:"type"`
	Target   string    `json:"target"`
	URL      string    `json:"url,omitempty"`
	SMTP     *SMTPView `json:"smtp,omitempty"`
	Filter   Filter    `json:"filter"`
	Template string    `json:"template,omitempty"`
	All      bool      `json:"all,omitempty"`
	Key      string    `json:"key,omitempty"`
	Created  time.Time `json:"created"`
}

// SMTPView is an email channel's server without its password.
type SMTPView struct {
	Server   string `json:"server"`
	TLS      string `json:"tls"`
	Username string `json:"username,omitempty"`
	From     string `json:"from"`
}

// View returns c without its secrets.
func (c Channel) View() View {
	v := View{ID: c.ID, Tenant: c.Tenant, Type: c.Type, Target: c.SafeTarget(), Filter: c.Filter, Template: c.Template, All: c.All, Key: c.Key, Created: c.Created}
	if c.URL != "" {
		v.URL = RedactURL(c.URL, c.Type == Telegram)
	}
	if s := c.SMTP; s != nil {
		v.SMTP = &SMTPView{Server: s.Server, TLS: s.TLSMode(), Username: s.Username, From: s.From}
	}
	return v
}

// SafeTarget is c's target as it may be shown: an incoming-webhook URL
// (its path is the credential) as scheme://host/…, a routing key as its
// first four characters, a chat id or recipients as they are.
func (c Channel) SafeTarget() string {
	switch c.Type {
	case Slack, Discord, Teams:
		return RedactURL(c.Target, true)
	case Webhook:
		return RedactURL(c.Target, false)
	case PagerDuty:
		if len(c.Target) <= 4 {
			return "…"
		}
		return c.Target[:4] + "…"
	}
	return c.Target
}

// RedactURL drops raw's user information, query and (when path) path.
func RedactURL(raw string, path bool) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	out := u.Scheme + "://" + u.Host
	if path {
		if u.Path != "" && u.Path != "/" {
			out += "/…"
		}
		return out
	}
	return out + u.EscapedPath()
}

// TLSMode is s.TLS, "starttls" when unset.
func (s *SMTP) TLSMode() string {
	if s.TLS == "" {
		return "starttls"
	}
	return s.TLS
}

// Recipients parses an email channel's target.
func Recipients(target string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(target, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, err := mail.ParseAddress(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not an email address", part)
		}
		out = append(out, a.Address)
	}
	if len(out) == 0 {
		return nil, errors.New("no recipient")
	}
	return out, nil
}

// Store keeps the channels. store/pebble and store/redis implement it;
// writes are durable on return, and a channel put through one replica
// is read by every other.
type Store interface {
	PutChannel(ctx context.Context, c Channel) error
	GetChannel(ctx context.Context, tenant, id string) (Channel, bool, error)
	// DeleteChannel removes a channel; false when there was none.
	DeleteChannel(ctx context.Context, tenant, id string) (bool, error)
	// ListChannels returns every channel ordered by (tenant, id).
	ListChannels(ctx context.Context) ([]Channel, error)
}
