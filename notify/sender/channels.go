package sender

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/alerts/deliver"
	"github.com/chainhound/chainhound/internal/egress"
	"github.com/chainhound/chainhound/notify"
	"github.com/chainhound/chainhound/watchlists"
)

// Options configure Channels. Zero fields take the defaults in brackets.
type Options struct {
	// Egress is the policy every destination dialled passes (config
	// webhooks.allow_private), at registration on literal addresses and
	// on the address dialled at each attempt.
	Egress egress.Policy
	// PublicURL is the console's address (config api.public_url); messages
	// link to <PublicURL>/#/alerts/<seq>. Empty: no link.
	PublicURL string
	// RootCAs verify SMTP servers' certificates [the system's].
	RootCAs *x509.CertPool
	// Client sends the HTTP channels [Egress.Client()].
	Client *http.Client
}

// MaxPerTenant bounds a tenant's channels.
const MaxPerTenant = 100

// Channels is the channel registry of every tenant, and the sender of
// their messages: the alerts dispatcher's deliver.ChannelSet.
type Channels struct {
	st        notify.Store
	egress    egress.Policy
	client    *http.Client
	rootCAs   *x509.CertPool
	publicURL string
}

var _ deliver.ChannelSet = (*Channels)(nil)

// New returns the channels kept in st.
func New(st notify.Store, o Options) *Channels {
	if o.Client == nil {
		o.Client = o.Egress.Client()
	}
	return &Channels{st: st, egress: o.Egress, client: o.Client, rootCAs: o.RootCAs, publicURL: strings.TrimRight(o.PublicURL, "/")}
}

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	botTokenPattern = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
)

// ValidID checks a channel id given by a caller: 1 to 64 of a-z, 0-9,
// '_' and '-', starting with a letter or digit.
func ValidID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%q is not a channel id (1-64 of a-z, 0-9, _ and -)", id)
	}
	return nil
}

// Add stores c (a new channel, or one replacing the channel of c's
// tenant with c.ID) after checking every field; an empty c.ID gets a new
// one. A bad field is a *watchlists.FieldError naming it.
func (r *Channels) Add(ctx context.Context, c notify.Channel) (notify.Channel, error) {
	if strings.TrimSpace(c.Tenant) == "" {
		return notify.Channel{}, fieldErr("tenant", errors.New("empty"))
	}
	if c.ID == "" {
		c.ID = newID()
	} else if err := ValidID(c.ID); err != nil {
		return notify.Channel{}, fieldErr("id", err)
	}
	if err := r.check(&c); err != nil {
		return notify.Channel{}, err
	}
	existing, err := r.List(ctx, c.Tenant)
	if err != nil {
		return notify.Channel{}, err
	}
	if len(existing) >= MaxPerTenant && !slices.ContainsFunc(existing, func(e notify.Channel) bool { return e.ID == c.ID }) {
		return notify.Channel{}, fieldErr("type", fmt.Errorf("tenant %s has %d channels already, the most allowed", c.Tenant, MaxPerTenant))
	}
	c.Created = time.Now().UTC()
	if err := r.st.PutChannel(ctx, c); err != nil {
		return notify.Channel{}, fmt.Errorf("save channel %s of %s: %w", c.ID, c.Tenant, err)
	}
	return c, nil
}

// fieldErr is a refusal of field (package notify's form).
func fieldErr(field string, err error) error {
	return fmt.Errorf("field %w", &watchlists.FieldError{Field: field, Err: err})
}

func newID() string {
	var b [6]byte
	rand.Read(b[:])
	return "ch_" + hex.EncodeToString(b[:])
}

// check validates c's fields for its type and normalises them.
func (r *Channels) check(c *notify.Channel) error {
	c.Type = strings.ToLower(strings.TrimSpace(c.Type))
	if !slices.Contains(notify.Types, c.Type) {
		return fieldErr("type", fmt.Errorf("unknown channel type %q (want one of %s)", c.Type, strings.Join(notify.Types, ", ")))
	}
	c.Target = strings.TrimSpace(c.Target)
	if c.Target == "" {
		return fieldErr("target", errors.New("empty"))
	}
	unused := func(field, val string) error {
		if val != "" {
			return fieldErr(field, fmt.Errorf("a %s channel takes none", c.Type))
		}
		return nil
	}
	switch c.Type {
	case notify.Slack, notify.Discord, notify.Teams, notify.Webhook:
		if err := r.checkURL(c.Target); err != nil {
			return fieldErr("target", err) // not repeated: the URL is the credential
		}
		if err := unused("url", c.URL); err != nil {
			return err
		}
		if c.Type == notify.Webhook {
			if len(c.Secret) < deliver.MinSecretLen {
				return fieldErr("secret", fmt.Errorf("%d bytes, want at least %d (receivers check X-Chainhound-Signature with it)", len(c.Secret), deliver.MinSecretLen))
			}
		} else if err := unused("secret", c.Secret); err != nil {
			return err
		}
	case notify.Telegram:
		if strings.ContainsAny(c.Target, " \t\r\n") {
			return fieldErr("target", errors.New("want the chat id (a number, or @channelusername)"))
		}
		if !botTokenPattern.MatchString(c.Secret) {
			return fieldErr("secret", errors.New("want the bot token from @BotFather (<digits>:<letters>)"))
		}
	case notify.PagerDuty:
		if strings.ContainsAny(c.Target, " \t\r\n") || len(c.Target) > 128 {
			return fieldErr("target", errors.New("want the integration's routing key (Events API v2)"))
		}
		if err := unused("secret", c.Secret); err != nil {
			return err
		}
	case notify.Email:
		if _, err := notify.Recipients(c.Target); err != nil {
			return fieldErr("target", err)
		}
		if err := unused("secret", c.Secret); err != nil {
			return err
		}
		if err := unused("url", c.URL); err != nil {
			return err
		}
		if err := r.checkSMTP(c.SMTP); err != nil {
			return err
		}
	}
	if c.Type != notify.Email && c.SMTP != nil {
		return fieldErr("smtp", fmt.Errorf("a %s channel takes none", c.Type))
	}
	if c.URL != "" {
		if err := r.checkURL(c.URL); err != nil {
			return fieldErr("url", err)
		}
	}
	if err := c.Filter.Validate(); err != nil {
		return err
	}
	tmpl, err := parseTemplate(c.Template)
	if err != nil {
		return fieldErr("template", err)
	}
	if _, err := newMessage(testAlert(*c), tmpl, "https://console.example"); err != nil {
		return fieldErr("template", errors.Unwrap(err))
	}
	return nil
}

func (r *Channels) checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("not an absolute http or https URL")
	}
	if u.User != nil {
		return errors.New("must not hold user information (user:password@)")
	}
	return r.egress.CheckHost(u.Hostname())
}

func (r *Channels) checkSMTP(s *notify.SMTP) error {
	if s == nil {
		return fieldErr("smtp", errors.New("an email channel needs its server: smtp.server and smtp.from"))
	}
	host, port, err := net.SplitHostPort(s.Server)
	if err != nil || host == "" || port == "" {
		return fieldErr("smtp.server", fmt.Errorf("want host:port (587 for STARTTLS, 465 for TLS), got %q", s.Server))
	}
	if err := r.egress.CheckHost(host); err != nil {
		return fieldErr("smtp.server", err)
	}
	switch s.TLS {
	case "", "starttls", "tls":
	default:
		return fieldErr("smtp.tls", fmt.Errorf("want starttls or tls, got %q (mail is never sent in clear)", s.TLS))
	}
	if a, err := mail.ParseAddress(s.From); err != nil {
		return fieldErr("smtp.from", fmt.Errorf("%q is not an email address", s.From))
	} else {
		s.From = a.Address
	}
	if s.Password != "" && s.Username == "" {
		return fieldErr("smtp.username", errors.New("empty, but a password is set"))
	}
	return nil
}

// List returns tenant's channels ordered by id; "" lists every tenant's.
func (r *Channels) List(ctx context.Context, tenant string) ([]notify.Channel, error) {
	all, err := r.st.ListChannels(ctx)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	if tenant == "" {
		return all, nil
	}
	var out []notify.Channel
	for _, c := range all {
		if c.Tenant == tenant {
			out = append(out, c)
		}
	}
	return out, nil
}

// Get returns tenant's channel id.
func (r *Channels) Get(ctx context.Context, tenant, id string) (notify.Channel, bool, error) {
	return r.st.GetChannel(ctx, tenant, id)
}

// Remove deletes tenant's channel id; its queued deliveries are
// dead-lettered when their turn comes. False when there was none.
func (r *Channels) Remove(ctx context.Context, tenant, id string) (bool, error) {
	return r.st.DeleteChannel(ctx, tenant, id)
}

// Test sends a test message to tenant's channel id now, outside the
// queue, and returns the destination's answer.
func (r *Channels) Test(ctx context.Context, tenant, id string) error {
	c, ok, err := r.st.GetChannel(ctx, tenant, id)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("channel %s of %s: %w", id, tenant, ErrNotFound)
	}
	tmpl, err := parseTemplate(c.Template)
	if err != nil {
		return fmt.Errorf("channel %s: template: %w", id, err)
	}
	m, err := newMessage(testAlert(c), tmpl, r.publicURL)
	if err != nil {
		return err
	}
	m.Title = "chainhound test message"
	m.Body = "This channel (" + c.ID + ", " + c.Type + ") receives chainhound alerts.\n\n" + m.Body
	return r.send(ctx, c, m, nil)
}

// ErrNotFound is a channel that does not exist.
var ErrNotFound = errors.New("no such channel")

// Destinations lists every channel for the dispatcher.
func (r *Channels) Destinations(ctx context.Context) ([]deliver.Destination, error) {
	all, err := r.st.ListChannels(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]deliver.Destination, len(all))
	for i, c := range all {
		out[i] = destination(c)
	}
	return out, nil
}

// Destination returns one channel for the dispatcher.
func (r *Channels) Destination(ctx context.Context, tenant, id string) (deliver.Destination, bool, error) {
	c, ok, err := r.st.GetChannel(ctx, tenant, id)
	if err != nil || !ok {
		return deliver.Destination{}, ok, err
	}
	return destination(c), true, nil
}

func destination(c notify.Channel) deliver.Destination {
	return deliver.Destination{Tenant: c.Tenant, Channel: c.ID, Key: c.Key, All: c.All, Wants: c.Filter.Match}
}

// Send makes one attempt of the queued delivery d to its channel, as the
// channel's configuration stands now.
func (r *Channels) Send(ctx context.Context, dest deliver.Destination, d alerts.Delivery) error {
	c, ok, err := r.st.GetChannel(ctx, dest.Tenant, dest.Channel)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("channel %s of %s: %w", dest.Channel, dest.Tenant, ErrNotFound)
	}
	var a alerts.Alert
	if err := json.Unmarshal(d.Body, &a); err != nil {
		return fmt.Errorf("decode alert %d: %w", d.Seq, err)
	}
	tmpl, err := parseTemplate(c.Template)
	if err != nil {
		return fmt.Errorf("channel %s: template: %w", c.ID, err)
	}
	m, err := newMessage(a, tmpl, r.publicURL)
	if err != nil {
		return err
	}
	return r.send(ctx, c, m, d.Body)
}
