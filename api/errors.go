package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

// Code is a machine-readable error code, the "code" of the error body.
type Code string

// Error codes. Each maps to one HTTP status and one websocket close code
// (see Status and CloseCode).
const (
	CodeInvalid        Code = "invalid"            // 400: a malformed or unacceptable value
	CodeInvalidJSON    Code = "invalid_json"       // 400: the body is not the expected JSON
	CodeInvalidAddress Code = "invalid_address"    // 400
	CodeInvalidChain   Code = "invalid_chain"      // 400
	CodeInvalidFilter  Code = "invalid_filter"     // 400: an unknown websocket or list filter value
	CodeUnauthorized   Code = "unauthorized"       // 401: no key, a bad key or a revoked key
	CodeForbidden      Code = "forbidden"          // 403: the key's role may not do this
	CodeNotFound       Code = "not_found"          // 404: absent, or another tenant's
	CodeConflict       Code = "conflict"           // 409
	CodeTooLarge       Code = "too_large"          // 413
	CodeRateLimited    Code = "rate_limited"       // 429
	CodeNodeLimit      Code = "node_limit"         // 422: the node cannot serve this (e.g. pruned state; an archive node can)
	CodeNotImplemented Code = "not_implemented"    // 501: an optional part is not configured
	CodeMethod         Code = "method_not_allowed" // 405, with Allow
	CodeSlowConsumer   Code = "slow_consumer"      // websocket 4008
	CodeInternal       Code = "internal"           // 500
	CodeUnavailable    Code = "unavailable"        // 503: shutting down
	CodeDeliveryFailed Code = "delivery_failed"    // 502: a test message the channel's destination refused or did not take
)

// Error is the one error type of the API: a machine code, a message for
// people, and the field (request parameter or body field) it concerns.
// Implementations of the interfaces in deps.go may return an *Error (or wrap
// one) to choose the status; apikey.ErrNotFound and apikey.ErrConflict (404,
// 409) are recognised too.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Field, e.Message, e.Code)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Code)
}

// Errorf returns an *Error with code, field and a formatted message.
func Errorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

var statusByCode = map[Code]int{
	CodeInvalid:        http.StatusBadRequest,
	CodeInvalidJSON:    http.StatusBadRequest,
	CodeInvalidAddress: http.StatusBadRequest,
	CodeInvalidChain:   http.StatusBadRequest,
	CodeInvalidFilter:  http.StatusBadRequest,
	CodeUnauthorized:   http.StatusUnauthorized,
	CodeForbidden:      http.StatusForbidden,
	CodeNotFound:       http.StatusNotFound,
	CodeConflict:       http.StatusConflict,
	CodeTooLarge:       http.StatusRequestEntityTooLarge,
	CodeRateLimited:    http.StatusTooManyRequests,
	CodeNodeLimit:      http.StatusUnprocessableEntity,
	CodeNotImplemented: http.StatusNotImplemented,
	CodeMethod:         http.StatusMethodNotAllowed,
	CodeInternal:       http.StatusInternalServerError,
	CodeUnavailable:    http.StatusServiceUnavailable,
	CodeDeliveryFailed: http.StatusBadGateway,
}

// Status is the HTTP status of code.
func (c Code) Status() int {
	if s, ok := statusByCode[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Websocket close codes (RFC 6455 and the 4000–4999 private range).
const (
	CloseSlowConsumer = 4008
	CloseRateLimited  = 4029
	CloseUnauthorized = 4001
	CloseForbidden    = 4003
	CloseInternal     = 1011
	CloseGoingAway    = 1001
	CloseTooLarge     = 1009
	ClosePolicy       = 1008
)

// CloseCode is the websocket close code of c.
func (c Code) CloseCode() int {
	switch c {
	case CodeSlowConsumer:
		return CloseSlowConsumer
	case CodeRateLimited:
		return CloseRateLimited
	case CodeUnauthorized:
		return CloseUnauthorized
	case CodeForbidden:
		return CloseForbidden
	case CodeTooLarge:
		return CloseTooLarge
	case CodeUnavailable:
		return CloseGoingAway
	case CodeInvalid, CodeInvalidJSON, CodeInvalidFilter:
		return ClosePolicy
	}
	return CloseInternal
}

// asError classifies err: an *Error as is, the sentinels by code, anything
// else as internal (the detail is logged, not shown).
func asError(err error) (*Error, bool) {
	var e *Error
	var fe *watchlists.FieldError
	var nf *chains.TxNotFoundError
	switch {
	case errors.As(err, &e):
		return e, true
	case errors.As(err, &nf):
		return &Error{Code: CodeNotFound, Field: "seeds", Message: nf.Error()}, true
	case errors.As(err, &fe):
		return &Error{Code: CodeInvalid, Field: fe.Field, Message: fe.Err.Error()}, true
	case errors.Is(err, apikey.ErrNotFound), errors.Is(err, watchlists.ErrNotFound):
		return &Error{Code: CodeNotFound, Message: "not found"}, true
	case errors.Is(err, apikey.ErrConflict), errors.Is(err, watchlists.ErrVouched):
		return &Error{Code: CodeConflict, Message: err.Error()}, true
	}
	return &Error{Code: CodeInternal, Message: "internal error"}, false
}
