package api

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/chainhound/chainhound/watchlists"
)

// TestDomainFieldErrorIsBadInput: a validation error of the domain
// package that the API's own checks did not catch first is a 400 naming
// the field, never a 500.
func TestDomainFieldErrorIsBadInput(t *testing.T) {
	err := fmt.Errorf("open incident: %w", &watchlists.FieldError{Field: "seeds[1].tx", Err: errors.New("not a hex digit")})
	e, known := asError(err)
	if !known || e.Code != CodeInvalid || e.Field != "seeds[1].tx" || e.Message != "not a hex digit" || e.Code.Status() != http.StatusBadRequest {
		t.Fatalf("got %+v known=%v", e, known)
	}
}
