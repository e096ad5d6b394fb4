package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/notify"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// Client calls a running daemon's REST API (docs/interface.md) with one
// key, as Tail follows its websocket. Every method returns a non-2xx
// answer as a *ResponseError, and a Base that makes no request as a
// *BaseError.
type Client struct {
	Base string       // the daemon's base URL: http(s)://host:port
	Key  string       // API key, sent as a bearer token
	HTTP *http.Client // nil: one with a 60 s timeout
	// RateWaits bounds how often one request waits out a 429 as its
	// Retry-After says (a bulk import meets the per-key rate limit);
	// 0: DefaultRateWaits.
	RateWaits int
}

// DefaultRateWaits is Client.RateWaits' default.
const DefaultRateWaits = 20

// ResponseError is an answer outside 2xx, with the error body of
// docs/interface.md decoded.
type ResponseError struct {
	Method, Path string
	Status       int    // 404
	StatusText   string // "404 Not Found", as the response says
	// Err is the body's error; when the body is not the error JSON, its
	// Message is the body's text.
	Err Error
}

// Detail is what the server said: "field: message", or the message.
func (e *ResponseError) Detail() string {
	if e.Err.Field != "" {
		return e.Err.Field + ": " + e.Err.Message
	}
	return e.Err.Message
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Method, e.Path, e.StatusText, e.Detail())
}

// BaseError is a Client.Base no request can be made to.
type BaseError struct {
	Base string
	Err  error
}

func (e *BaseError) Error() string { return fmt.Sprintf("API base %s: %v", e.Base, e.Err) }
func (e *BaseError) Unwrap() error { return e.Err }

// decodeError reads the error body of docs/interface.md; nil when data is
// not one. The one reader of error answers: Client and Tail use it.
func decodeError(data []byte) *Error {
	var body errorBody
	if json.Unmarshal(data, &body) != nil {
		return nil
	}
	return body.Error
}

// responseError is a non-2xx answer as a *ResponseError.
func responseError(method, path string, resp *http.Response, data []byte) *ResponseError {
	e := &ResponseError{Method: method, Path: path, Status: resp.StatusCode, StatusText: resp.Status}
	if be := decodeError(data); be != nil && be.Message != "" {
		e.Err = *be
	} else {
		e.Err = Error{Message: strings.TrimSpace(string(data))}
	}
	return e
}

// Do sends body (JSON, or nothing when nil) to path (with its query) and
// decodes a 2xx answer into out (when non-nil). A 429 is waited out as
// its Retry-After says, up to RateWaits times in a row.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	base := strings.TrimRight(c.Base, "/")
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		payload = b
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	maxWaits := c.RateWaits
	if maxWaits <= 0 {
		maxWaits = DefaultRateWaits
	}
	for waits := 0; ; waits++ {
		var rd io.Reader
		if payload != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
		if err != nil {
			return &BaseError{Base: base, Err: err}
		}
		req.Header.Set("Authorization", "Bearer "+c.Key)
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, base+path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s %s: read answer: %w", method, path, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests && waits < maxWaits {
			if err := sleepCtx(ctx, RetryAfter(resp.Header.Get("Retry-After"))); err != nil {
				return err
			}
			continue
		}
		if resp.StatusCode/100 != 2 {
			return responseError(method, path, resp, data)
		}
		if out != nil && len(data) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
			}
		}
		return nil
	}
}

// RetryAfter reads a Retry-After header in seconds: at least 100 ms, at
// most 30 s, 1 s when absent or not a number of seconds.
func RetryAfter(h string) time.Duration {
	secs, err := strconv.ParseFloat(strings.TrimSpace(h), 64)
	if err != nil || secs != secs {
		return time.Second
	}
	return min(max(time.Duration(secs*float64(time.Second)), 100*time.Millisecond), 30*time.Second)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// withQuery is path?q, or path when q is empty.
func withQuery(path string, q url.Values) string {
	if len(q) > 0 {
		return path + "?" + q.Encode()
	}
	return path
}

// WatchlistQuery selects watchlist entries; empty fields select all (an
// empty Owner: the caller's tenant's on removal, every owner on listing).
type WatchlistQuery struct {
	Chain chains.Chain
	Kind  watchlists.Kind
	Owner string
}

func (q WatchlistQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"chain": string(q.Chain), "kind": string(q.Kind), "owner": q.Owner} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// The request bodies below are maps that leave out what is not given, as
// the server reads an absent field and an empty one alike.

// AddWatchlistEntry adds or replaces e (POST /v1/watchlist) and returns
// it as stored. An empty Source lets the server name it.
func (c *Client) AddWatchlistEntry(ctx context.Context, e watchlists.Entry) (watchlists.Entry, error) {
	body := map[string]string{"chain": string(e.Chain), "address": e.Address, "kind": string(e.Kind), "label": e.Label, "owner": e.Owner}
	for k, v := range map[string]string{"note": e.Note, "source": e.Source, "protocol": e.Protocol} {
		if v != "" {
			body[k] = v
		}
	}
	var stored watchlists.Entry
	err := c.Do(ctx, "POST", "/v1/watchlist", body, &stored)
	return stored, err
}

// RemoveWatchlistEntries removes the entries of addr that q selects
// (its Chain is chain; DELETE /v1/watchlist/{chain}/{address}).
func (c *Client) RemoveWatchlistEntries(ctx context.Context, chain chains.Chain, addr string, q WatchlistQuery) error {
	q.Chain = ""
	path := "/v1/watchlist/" + url.PathEscape(string(chain)) + "/" + url.PathEscape(addr)
	return c.Do(ctx, "DELETE", withQuery(path, q.values()), nil, nil)
}

// WatchlistEntries lists the entries q selects (GET /v1/watchlist).
func (c *Client) WatchlistEntries(ctx context.Context, q WatchlistQuery) ([]watchlists.Entry, error) {
	var resp struct {
		Entries []watchlists.Entry `json:"entries"`
	}
	err := c.Do(ctx, "GET", withQuery("/v1/watchlist", q.values()), nil, &resp)
	return resp.Entries, err
}

// OpenIncident opens inc (POST /v1/incidents) and returns its id and the
// server's warnings. An inc without Policy takes the daemon's
// tracer.policy.
func (c *Client) OpenIncident(ctx context.Context, inc watchlists.Incident) (id string, warnings []string, err error) {
	body := map[string]any{"title": inc.Title, "chain": inc.Chain, "seeds": inc.Seeds, "max_hops": inc.MaxHops}
	if inc.Policy != "" {
		body["policy"] = inc.Policy
	}
	if inc.ConfidenceFloor != nil {
		body["confidence_floor"] = *inc.ConfidenceFloor
	}
	if inc.Owner != "" {
		body["owner"] = inc.Owner
	}
	if inc.Dust != nil {
		body["dust"] = inc.Dust.String()
	}
	var resp struct {
		ID       string   `json:"id"`
		Warnings []string `json:"warnings"`
	}
	err = c.Do(ctx, "POST", "/v1/incidents", body, &resp)
	return resp.ID, resp.Warnings, err
}

// TrackedIncident is an incident and what the daemon's tracer is doing
// with it.
type TrackedIncident struct {
	Incident watchlists.Incident
	Tracking *tracer.Tracking
}

// decodeTracked reads an incident object of the API, tracking beside it.
func decodeTracked(raw json.RawMessage) (TrackedIncident, error, error) {
	var ti TrackedIncident
	var t struct {
		Tracking *tracer.Tracking `json:"tracking"`
	}
	if err := json.Unmarshal(raw, &ti.Incident); err != nil {
		return ti, err, nil
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return ti, nil, err
	}
	ti.Tracking = t.Tracking
	return ti, nil, nil
}

// Incident reads one incident (GET /v1/incidents/{id}).
func (c *Client) Incident(ctx context.Context, id string) (TrackedIncident, error) {
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", "/v1/incidents/"+url.PathEscape(id), nil, &raw); err != nil {
		return TrackedIncident{}, err
	}
	ti, incErr, trackErr := decodeTracked(raw)
	switch {
	case incErr != nil:
		return ti, fmt.Errorf("incident %s: %w", id, incErr)
	case trackErr != nil:
		return ti, fmt.Errorf("incident %s tracking: %w", id, trackErr)
	}
	return ti, nil
}

// Incidents lists the incidents the key may read (GET /v1/incidents).
func (c *Client) Incidents(ctx context.Context) ([]TrackedIncident, error) {
	var resp struct {
		Incidents []json.RawMessage `json:"incidents"`
	}
	if err := c.Do(ctx, "GET", "/v1/incidents", nil, &resp); err != nil {
		return nil, err
	}
	var list []TrackedIncident
	for _, raw := range resp.Incidents {
		ti, incErr, trackErr := decodeTracked(raw)
		if incErr != nil {
			return nil, fmt.Errorf("incidents: %w", incErr)
		}
		if trackErr != nil {
			return nil, fmt.Errorf("incidents: %w", trackErr)
		}
		list = append(list, ti)
	}
	return list, nil
}

// CloseIncident stops tracking an incident (POST /v1/incidents/{id}/close).
func (c *Client) CloseIncident(ctx context.Context, id string) error {
	return c.Do(ctx, "POST", "/v1/incidents/"+url.PathEscape(id)+"/close", nil, nil)
}

// CreateKey creates a key (POST /v1/keys, admin keys).
func (c *Client) CreateKey(ctx context.Context, role apikey.Role, tenant string) (CreatedKey, error) {
	var ck CreatedKey
	err := c.Do(ctx, "POST", "/v1/keys", map[string]string{"role": string(role), "tenant": tenant}, &ck)
	return ck, err
}

// Keys lists the keys, never their secrets (GET /v1/keys).
func (c *Client) Keys(ctx context.Context) ([]apikey.Key, error) {
	var out struct{ Keys []apikey.Key }
	err := c.Do(ctx, "GET", "/v1/keys", nil, &out)
	return out.Keys, err
}

// RevokeKey revokes key id at once (POST /v1/keys/{id}/revoke).
func (c *Client) RevokeKey(ctx context.Context, id string) (apikey.Key, error) {
	var k apikey.Key
	err := c.Do(ctx, "POST", "/v1/keys/"+url.PathEscape(id)+"/revoke", nil, &k)
	return k, err
}

// Screen screens addrs (POST /v1/screen), MaxScreenBatch at a time.
func (c *Client) Screen(ctx context.Context, chain chains.Chain, addrs []string) ([]screening.Result, error) {
	var results []screening.Result
	for lo := 0; lo < len(addrs); lo += MaxScreenBatch {
		var out screenResults
		part := addrs[lo:min(lo+MaxScreenBatch, len(addrs))]
		if err := c.Do(ctx, "POST", "/v1/screen", map[string]any{"chain": chain, "addresses": part}, &out); err != nil {
			return results, err
		}
		results = append(results, out.Results...)
	}
	return results, nil
}

// ChannelSpec is a notification channel as PUT /v1/channels takes it.
type ChannelSpec struct {
	Type, Target, Secret, URL string
	SMTP                      *notify.SMTP // email only
	Filter                    notify.Filter
	Template                  string
	All                       bool
}

// channelPath is /v1/channels[/id][suffix] with ?tenant= when given.
func channelPath(tenant, id, suffix string) string {
	p := "/v1/channels"
	if id != "" {
		p += "/" + url.PathEscape(id)
	}
	p += suffix
	if tenant != "" {
		p += "?tenant=" + url.QueryEscape(tenant)
	}
	return p
}

// PutChannel adds the channel id (a new one when empty) of tenant (the
// key's when empty) and returns it, secrets redacted.
func (c *Client) PutChannel(ctx context.Context, tenant, id string, s ChannelSpec) (notify.View, error) {
	var v notify.View
	body := map[string]any{"type": s.Type, "target": s.Target, "secret": s.Secret, "url": s.URL,
		"filter": s.Filter, "template": s.Template, "all": s.All}
	if s.SMTP != nil {
		body["smtp"] = *s.SMTP
	}
	err := c.Do(ctx, "PUT", channelPath(tenant, id, ""), body, &v)
	return v, err
}

// Channels lists tenant's channels (the key's when empty).
func (c *Client) Channels(ctx context.Context, tenant string) ([]notify.View, error) {
	var out struct {
		Channels []notify.View `json:"channels"`
	}
	err := c.Do(ctx, "GET", channelPath(tenant, "", ""), nil, &out)
	return out.Channels, err
}

// TestChannel has the daemon send a test message to a channel now.
func (c *Client) TestChannel(ctx context.Context, tenant, id string) error {
	return c.Do(ctx, "POST", channelPath(tenant, id, "/test"), nil, nil)
}

// RemoveChannel removes a channel.
func (c *Client) RemoveChannel(ctx context.Context, tenant, id string) error {
	return c.Do(ctx, "DELETE", channelPath(tenant, id, ""), nil, nil)
}

// SetTriage sets the key's tenant's triage status and/or assignee of
// alert seq (PATCH /v1/alerts/{seq}); nil leaves one as it is.
func (c *Client) SetTriage(ctx context.Context, seq uint64, status, assignee *string) (alerts.Triage, error) {
	var tr alerts.Triage
	err := c.Do(ctx, "PATCH", "/v1/alerts/"+strconv.FormatUint(seq, 10), triageRequest(status, assignee), &tr)
	return tr, err
}

// CommentAlert adds a comment to the key's tenant's triage of alert seq.
func (c *Client) CommentAlert(ctx context.Context, seq uint64, text string) (alerts.Triage, error) {
	var tr alerts.Triage
	err := c.Do(ctx, "POST", "/v1/alerts/"+strconv.FormatUint(seq, 10)+"/comments", map[string]string{"text": text}, &tr)
	return tr, err
}

// triageRequest is PATCH /v1/alerts/{seq}'s body with what is given.
func triageRequest(status, assignee *string) map[string]*string {
	body := map[string]*string{}
	if status != nil {
		body["status"] = status
	}
	if assignee != nil {
		body["assignee"] = assignee
	}
	return body
}

// TraceQuery are GET /v1/trace's options; zero values are the daemon's
// defaults.
type TraceQuery struct {
	Hops   int               // 0: the policy's default
	Policy watchlists.Policy // "": the daemon's default
	Blocks *uint64           // nil: the tracer's default window
}

// Trace has the daemon trace tx forward (GET /v1/trace/{chain}/{tx}),
// with its labels, index and nodes.
func (c *Client) Trace(ctx context.Context, chain chains.Chain, tx string, q TraceQuery) (*tracer.FlowGraph, error) {
	v := url.Values{"format": {"json"}}
	if q.Hops != 0 {
		v.Set("hops", strconv.Itoa(q.Hops))
	}
	if q.Policy != "" {
		v.Set("policy", string(q.Policy))
	}
	if q.Blocks != nil {
		v.Set("blocks", strconv.FormatUint(*q.Blocks, 10))
	}
	var g tracer.FlowGraph
	if err := c.Do(ctx, "GET", "/v1/trace/"+string(chain)+"/"+url.PathEscape(tx)+"?"+v.Encode(), nil, &g); err != nil {
		return nil, err
	}
	return &g, nil
}
