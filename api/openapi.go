package api

import (
	"net/http"

	"github.com/chainhound/chainhound/docs"
)

// openapi answers GET /v1/openapi.json, without a key: docs/openapi.json
// as built into the binary.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(docs.OpenAPI)
}

// Routes lists the patterns the server registered ("GET /v1/alerts"),
// in order, without the catch-all that answers 404 and 405.
func (s *Server) Routes() []string { return append([]string(nil), s.patterns...) }
