package bitcoin

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains"
)

// node talks JSON-RPC to bitcoind or btcd. rpcclient in HTTP POST mode
// sends one request at a time per client, so node keeps a pool of clients
// for concurrent backfill and prevout resolution.
type node struct {
	clients chan *rpcclient.Client
	all     []*rpcclient.Client

	// batch sends several getrawtransaction calls in one JSON-RPC batch;
	// noBatch is set when the endpoint refused a batch: the calls then go
	// one by one.
	batch   *batcher
	noBatch atomic.Bool
}

func dialNode(p *parsed, size int) (*node, error) {
	n := &node{clients: make(chan *rpcclient.Client, size)}
	cfg := &rpcclient.ConnConfig{
		Host:         p.host,
		User:         p.RPCUser,
		Pass:         p.RPCPassword,
		CookiePath:   p.RPCCookie,
		HTTPPostMode: true,
		DisableTLS:   !p.tls,
	}
	for i := 0; i < size; i++ {
		c, err := rpcclient.New(cfg, nil)
		if err != nil {
			n.close()
			return nil, fmt.Errorf("bitcoin: rpc client for %s: %w", p.host, err)
		}
		n.all = append(n.all, c)
		n.clients <- c
	}
	n.batch = newBatcher(p)
	return n, nil
}

func (n *node) close() {
	for _, c := range n.all {
		c.Shutdown()
	}
}

// rpcCode returns the code of an error the node answered (as opposed to a
// transport failure or an unreadable answer); ok false for the others.
func rpcCode(err error) (btcjson.RPCErrorCode, bool) {
	var re *btcjson.RPCError
	if errors.As(err, &re) {
		return re.Code, true
	}
	return 0, false
}

// errBadAnswer marks an answer that is not what the method returns: the
// node (or something between us and it) is broken, retrying will not help
// for long.
var errBadAnswer = errors.New("malformed answer")

// errAuth: the node refused our credentials.
var errAuth = errors.New("authentication refused by the node")

// call sends method with params and returns the raw result. It gives up
// waiting when ctx is done (the request itself is left to the client).
func (n *node) call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	raw := make([]json.RawMessage, len(params))
	for i, p := range params {
		b, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("%s: marshal param %d: %w", method, i, err)
		}
		raw[i] = b
	}
	var c *rpcclient.Client
	select {
	case c = <-n.clients:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	what := method
	for _, p := range raw {
		what += " " + strings.Trim(string(p), `"`)
	}
	// rpcclient sends one request at a time per client in POST mode: the
	// client goes back to the pool only once its answer is in.
	fut := c.RawRequestAsync(method, raw)
	select {
	case r := <-fut:
		n.clients <- c
		ch := make(chan *rpcclient.Response, 1)
		ch <- r
		res, err := rpcclient.ReceiveFuture(ch)
		if err != nil {
			if _, ok := rpcCode(err); ok {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			switch msg := err.Error(); {
			case strings.Contains(msg, "status code: 401"), strings.Contains(msg, "status code: 403"):
				return nil, fmt.Errorf("%s: %w (check rpc_user/rpc_password or rpc_cookie): %v", what, errAuth, err)
			case strings.Contains(msg, "status code: 5"): // the node or a proxy is failing
				return nil, fmt.Errorf("%s: %w", what, err)
			case strings.Contains(msg, "status code:"): // an unreadable reply
				return nil, fmt.Errorf("%s: %w: %v", what, errBadAnswer, err)
			}
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		return res, nil
	case <-ctx.Done():
		go func() { <-fut; n.clients <- c }()
		return nil, ctx.Err()
	}
}

// callInto calls method and decodes its result into out.
func (n *node) callInto(ctx context.Context, out any, method string, params ...any) error {
	res, err := n.call(ctx, method, params...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(res, out); err != nil {
		return fmt.Errorf("%s: %w: %v (answer %.200q)", method, errBadAnswer, err, res)
	}
	return nil
}

func (n *node) bestBlockHash(ctx context.Context) (chainhash.Hash, error) {
	var s string
	if err := n.callInto(ctx, &s, "getbestblockhash"); err != nil {
		return chainhash.Hash{}, err
	}
	h, err := chainhash.NewHashFromStr(s)
	if err != nil || len(s) != 64 {
		return chainhash.Hash{}, fmt.Errorf("getbestblockhash: %w: %q is not a block hash", errBadAnswer, s)
	}
	return *h, nil
}

func (n *node) blockHash(ctx context.Context, height uint64) (chainhash.Hash, error) {
	var s string
	if err := n.callInto(ctx, &s, "getblockhash", height); err != nil {
		return chainhash.Hash{}, err
	}
	h, err := chainhash.NewHashFromStr(s)
	if err != nil || len(s) != 64 {
		return chainhash.Hash{}, fmt.Errorf("getblockhash %d: %w: %q is not a block hash", height, errBadAnswer, s)
	}
	return *h, nil
}

// header is what the follower needs of getblockheader (verbose).
type header struct {
	Hash          string `json:"hash"`
	Height        int64  `json:"height"`
	Confirmations int64  `json:"confirmations"` // -1 when not on the main chain
	PreviousHash  string `json:"previousblockhash"`
	Time          int64  `json:"time"`
}

func (h header) ref() chains.BlockRef {
	return chains.BlockRef{Number: uint64(h.Height), Hash: h.Hash, Parent: h.PreviousHash, Time: time.Unix(h.Time, 0).UTC()}
}

func (n *node) header(ctx context.Context, h chainhash.Hash) (header, error) {
	var hd header
	if err := n.callInto(ctx, &hd, "getblockheader", h.String(), true); err != nil {
		return header{}, err
	}
	if hd.Hash != h.String() || hd.Height < 0 {
		return header{}, fmt.Errorf("getblockheader %s: %w: hash %q height %d", h, errBadAnswer, hd.Hash, hd.Height)
	}
	return hd, nil
}

// rawHeader returns the block header of h (getblockheader <hash> false),
// which both node kinds answer for blocks off the main chain too.
func (n *node) rawHeader(ctx context.Context, h chainhash.Hash) (wire.BlockHeader, error) {
	var s string
	if err := n.callInto(ctx, &s, "getblockheader", h.String(), false); err != nil {
		return wire.BlockHeader{}, err
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != wire.MaxBlockHeaderPayload {
		return wire.BlockHeader{}, fmt.Errorf("getblockheader %s: %w: not an 80-byte header in hex", h, errBadAnswer)
	}
	var hd wire.BlockHeader
	if err := hd.Deserialize(bytes.NewReader(b)); err != nil {
		return wire.BlockHeader{}, fmt.Errorf("getblockheader %s: %w: %v", h, errBadAnswer, err)
	}
	if hd.BlockHash() != h {
		return wire.BlockHeader{}, fmt.Errorf("getblockheader %s: %w: got header of %s", h, errBadAnswer, hd.BlockHash())
	}
	return hd, nil
}

// rawBlock returns the serialized block (getblock <hash> 0).
func (n *node) rawBlock(ctx context.Context, h chainhash.Hash) ([]byte, error) {
	var s string
	if err := n.callInto(ctx, &s, "getblock", h.String(), 0); err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("getblock %s: %w: not hex: %v", h, errBadAnswer, err)
	}
	return b, nil
}

// rawTx returns a serialized transaction (getrawtransaction <txid> 0).
func (n *node) rawTx(ctx context.Context, txid string) ([]byte, error) {
	var s string
	if err := n.callInto(ctx, &s, "getrawtransaction", txid, 0); err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("getrawtransaction %s: %w: not hex: %v", txid, errBadAnswer, err)
	}
	return b, nil
}

// maxBatch bounds the calls of one JSON-RPC batch (a few MB of answer).
const maxBatch = 500

// rawTxs fetches serialized transactions, maxBatch per JSON-RPC batch.
// errs[i] is the node's refusal of txids[i] (not found, say: rpcCode
// tells); err is a failure of the exchange itself, which loses the lot.
func (n *node) rawTxs(ctx context.Context, txids []string) (raws [][]byte, errs []error, err error) {
	raws, errs = make([][]byte, len(txids)), make([]error, len(txids))
	for start := 0; start < len(txids); start += maxBatch {
		end := min(start+maxBatch, len(txids))
		if err := n.rawTxBatch(ctx, txids[start:end], raws[start:end], errs[start:end]); err != nil {
			return nil, nil, err
		}
	}
	return raws, errs, nil
}

func (n *node) rawTxBatch(ctx context.Context, ids []string, raws [][]byte, errs []error) error {
	if len(ids) == 1 || n.noBatch.Load() {
		return n.rawTxEach(ctx, ids, raws, errs)
	}
	params := make([][]any, len(ids))
	for i, id := range ids {
		params[i] = []any{id, 0}
	}
	results, callErrs, err := n.batch.call(ctx, "getrawtransaction", params)
	if errors.Is(err, errBatchRefused) {
		n.noBatch.Store(true)
		return n.rawTxEach(ctx, ids, raws, errs)
	}
	if err != nil {
		return err
	}
	for i, res := range results {
		if callErrs[i] != nil {
			errs[i] = fmt.Errorf("getrawtransaction %s: %w", ids[i], callErrs[i])
			continue
		}
		if raws[i], err = decodeHexResult(res); err != nil {
			return fmt.Errorf("getrawtransaction %s: %w: %v", ids[i], errBadAnswer, err)
		}
	}
	return nil
}

// rawTxEach is rawTxBatch one call at a time.
func (n *node) rawTxEach(ctx context.Context, ids []string, raws [][]byte, errs []error) error {
	for i, id := range ids {
		raw, err := n.rawTx(ctx, id)
		if _, answered := rpcCode(err); answered {
			errs[i] = err
			continue
		}
		if err != nil {
			return err
		}
		raws[i] = raw
	}
	return nil
}

// decodeHexResult reads a JSON string of hex digits.
func decodeHexResult(res json.RawMessage) ([]byte, error) {
	var s string
	if err := json.Unmarshal(res, &s); err != nil {
		return nil, fmt.Errorf("not a string: %.100q", res)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hex: %v", err)
	}
	return b, nil
}

// chainInfo is what the follower needs of getblockchaininfo.
type chainInfo struct {
	Chain         string `json:"chain"`
	Blocks        int64  `json:"blocks"`
	BestBlockHash string `json:"bestblockhash"`
	Pruned        bool   `json:"pruned"`
}

// rpcInWarmup is bitcoind's answer while it loads its indexes at start.
const rpcInWarmup = -28

// isTransport reports whether err is a failure to reach the node, or a
// node still starting (worth retrying with backoff for as long as it
// takes), rather than an answer.
func isTransport(err error) bool {
	if err == nil || errors.Is(err, errBadAnswer) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if code, ok := rpcCode(err); ok {
		return code == rpcInWarmup
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "EOF") ||
		strings.Contains(s, "connection reset") || strings.Contains(s, "invalid http POST response") ||
		strings.Contains(s, "status code: 5") || errors.Is(err, rpcclient.ErrClientShutdown)
}
