package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/gorilla/websocket"
)

// Tail follows /v1/alerts/ws and reconnects after a drop with since=<last
// seq received>, so the caller sees every alert once, in order.
type Tail struct {
	API    string     // the daemon's base URL: http(s)://host:port
	Key    string     // API key
	Since  uint64     // start after this seq
	Filter url.Values // type, chain, incident, owner, label, min_severity
	// Backoff between reconnects: from MinBackoff (default 250 ms),
	// doubling to MaxBackoff (default 30 s), reset after a connection
	// that delivered something.
	MinBackoff, MaxBackoff time.Duration
	// GiveUp, when set, ends Run with an error once the daemon has not
	// been reached for that long (0: reconnect for ever).
	GiveUp time.Duration
	Logger *slog.Logger
	Dialer *websocket.Dialer
}

// ErrGaveUp: Run stopped reconnecting after Tail.GiveUp.
var ErrGaveUp = errors.New("gave up reconnecting")

// PermanentError is a refusal that reconnecting cannot cure (bad key,
// bad filter, forbidden).
type PermanentError struct {
	Status int
	Err    *Error
}

func (e *PermanentError) Error() string {
	return fmt.Sprintf("alerts websocket refused (%d): %s", e.Status, e.Err.Message)
}

// WSURL is the websocket URL of /v1/alerts/ws for base API URL api.
func WSURL(api string, since uint64, filter url.Values) (string, error) {
	u, err := url.Parse(api)
	if err != nil {
		return "", fmt.Errorf("--api %q: %w", api, err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return "", fmt.Errorf("--api %q: want an http:// or https:// URL", api)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/v1/alerts/ws"
	q := url.Values{}
	for k, vs := range filter {
		q[k] = append([]string(nil), vs...)
	}
	q.Set("since", strconv.FormatUint(since, 10))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Run calls fn for each alert until ctx is done (nil), fn fails, or the
// server refuses for good (*PermanentError).
func (t *Tail) Run(ctx context.Context, fn func(alerts.Alert) error) error {
	minB, maxB := t.MinBackoff, t.MaxBackoff
	if minB <= 0 {
		minB = 250 * time.Millisecond
	}
	if maxB <= 0 {
		maxB = 30 * time.Second
	}
	log := t.Logger
	if log == nil {
		log = slog.Default()
	}
	dialer := t.Dialer
	if dialer == nil {
		dialer = websocket.DefaultDialer
	}
	last := t.Since
	backoff := minB
	reached := time.Now() // the last time the daemon answered (or the start)
	for {
		connected := false
		got, err := t.once(ctx, dialer, &last, fn, &connected)
		if ctx.Err() != nil {
			return nil
		}
		if connected {
			reached = time.Now()
		}
		var pe *PermanentError
		if errors.As(err, &pe) {
			return err
		}
		var ce *callbackError
		if errors.As(err, &ce) {
			return ce.err
		}
		if got {
			backoff = minB
		}
		if t.GiveUp > 0 && time.Since(reached) >= t.GiveUp {
			return fmt.Errorf("alerts websocket at %s: not reached for %s: %w (last error: %v)", t.API, t.GiveUp, ErrGaveUp, err)
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		log.Warn("alerts websocket dropped; reconnecting", "since", last, "in", wait.Round(time.Millisecond), "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(2*backoff, maxB)
	}
}

// callbackError carries fn's error out of once.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// once runs one connection; got says whether it delivered an alert.
func (t *Tail) once(ctx context.Context, dialer *websocket.Dialer, last *uint64, fn func(alerts.Alert) error, connected *bool) (got bool, err error) {
	u, err := WSURL(t.API, *last, t.Filter)
	if err != nil {
		return false, &PermanentError{Err: Errorf(CodeInvalid, "api", "%v", err)}
	}
	h := http.Header{"Authorization": {"Bearer " + t.Key}}
	conn, resp, err := dialer.DialContext(ctx, u, h)
	if err != nil {
		if resp != nil && resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			e := decodeError(data)
			if e == nil {
				e = &Error{Code: CodeInvalid, Message: resp.Status}
			}
			return false, &PermanentError{Status: resp.StatusCode, Err: e}
		}
		return false, fmt.Errorf("dial %s: %w", t.API, err)
	}
	*connected = true
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		conn.Close()
	})
	defer stop()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code == CloseUnauthorized {
				return got, &PermanentError{Status: http.StatusUnauthorized, Err: Errorf(CodeUnauthorized, "", "%s", ce.Text)}
			}
			return got, err
		}
		var a alerts.Alert
		if err := json.Unmarshal(data, &a); err != nil {
			return got, fmt.Errorf("decode alert frame: %w", err)
		}
		if a.Seq <= *last {
			continue // never repeat one
		}
		if err := fn(a); err != nil {
			return got, &callbackError{err}
		}
		*last = a.Seq
		got = true
	}
}
