package bitcoin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcjson"
)

// batcher sends JSON-RPC batches (one POST of an array of calls), which
// bitcoind and btcd both answer. It is its own small client rather than
// rpcclient's batch mode, which cannot be cancelled and keeps a call the
// node left unanswered to send again with the next batch.
type batcher struct {
	url    string
	user   string
	pass   string
	cookie string // a cookie file, read at each batch (bitcoind rewrites it at restart)
	hc     *http.Client
}

// errBatchRefused: the endpoint does not take batches (a proxy, say); the
// calls go one by one instead.
var errBatchRefused = errors.New("JSON-RPC batches refused")

// maxBatchAnswer bounds the bytes read of one batch's answer.
const maxBatchAnswer = 256 << 20

func newBatcher(p *parsed) *batcher {
	scheme := "http"
	if p.tls {
		scheme = "https"
	}
	return &batcher{
		url: scheme + "://" + p.host, user: p.RPCUser, pass: p.RPCPassword, cookie: p.RPCCookie,
		hc: &http.Client{Timeout: 2 * time.Minute},
	}
}

type batchCall struct {
	JSONRPC string `json:"jsonrpc"`
	ID      int    `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type batchReply struct {
	ID     *int              `json:"id"`
	Result json.RawMessage   `json:"result"`
	Error  *btcjson.RPCError `json:"error"`
}

// call sends method once per entry of params in one batch and returns
// each call's result, or in errs the node's refusal of that call. err is a
// failure of the whole exchange: transport, authentication, a refusal of
// batches (errBatchRefused) or an unreadable answer (errBadAnswer).
func (b *batcher) call(ctx context.Context, method string, params [][]any) (results []json.RawMessage, errs []error, err error) {
	calls := make([]batchCall, len(params))
	for i, p := range params {
		calls[i] = batchCall{JSONRPC: "1.0", ID: i, Method: method, Params: p}
	}
	body, err := json.Marshal(calls)
	if err != nil {
		return nil, nil, fmt.Errorf("%s batch: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("%s batch: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	user, pass, err := b.auth()
	if err != nil {
		return nil, nil, err
	}
	req.SetBasicAuth(user, pass)
	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s batch of %d: %w", method, len(params), err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxBatchAnswer))
	if err != nil {
		return nil, nil, fmt.Errorf("%s batch of %d: read answer: %w", method, len(params), err)
	}
	what := fmt.Sprintf("%s batch of %d", method, len(params))
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return nil, nil, fmt.Errorf("%s: %w (check rpc_user/rpc_password or rpc_cookie): status code: %d", what, errAuth, code)
	case code >= 500 && !bytes.HasPrefix(bytes.TrimSpace(answer), []byte("[")):
		return nil, nil, fmt.Errorf("%s: status code: %d, response: %.200q", what, code, answer)
	case code == http.StatusBadRequest, code == http.StatusNotFound, code == http.StatusMethodNotAllowed,
		code == http.StatusRequestEntityTooLarge, code == http.StatusNotImplemented:
		return nil, nil, fmt.Errorf("%s: %w: status code: %d, response: %.200q", what, errBatchRefused, code, answer)
	}
	var replies []batchReply
	if err := json.Unmarshal(answer, &replies); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Value == "object" {
			// One answer for the whole array: the endpoint took it as a single call.
			return nil, nil, fmt.Errorf("%s: %w: answered %.200q", what, errBatchRefused, answer)
		}
		return nil, nil, fmt.Errorf("%s: %w: %v (answer %.200q)", what, errBadAnswer, err, answer)
	}
	results, errs = make([]json.RawMessage, len(params)), make([]error, len(params))
	got := make([]bool, len(params))
	for _, r := range replies {
		if r.ID == nil || *r.ID < 0 || *r.ID >= len(params) || got[*r.ID] {
			continue // not one of ours, or a repeat
		}
		i := *r.ID
		got[i] = true
		if r.Error != nil {
			errs[i] = r.Error
			continue
		}
		results[i] = r.Result
	}
	for i, ok := range got {
		if !ok {
			return nil, nil, fmt.Errorf("%s: %w: no answer for call %d %v", what, errBadAnswer, i, params[i])
		}
	}
	return results, errs, nil
}

// auth returns the credentials: the configured ones, or the cookie file's
// "user:password".
func (b *batcher) auth() (string, string, error) {
	if b.cookie == "" {
		return b.user, b.pass, nil
	}
	raw, err := os.ReadFile(b.cookie)
	if err != nil {
		return "", "", fmt.Errorf("rpc cookie: %w", err)
	}
	user, pass, ok := strings.Cut(strings.TrimSpace(string(raw)), ":")
	if !ok {
		return "", "", fmt.Errorf("rpc cookie %s: %w: want user:password", b.cookie, errBadAnswer)
	}
	return user, pass, nil
}
