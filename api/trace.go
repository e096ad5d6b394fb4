package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// trace answers GET /v1/trace/{chain}/{tx}?hops=&policy=&format=json|dot.
func (s *Server) trace(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if k.Role != apikey.RoleAdmin && k.Role != apikey.RoleInvestigator {
		writeError(w, forbidden(k, "trace transactions"))
		return
	}
	chain, e := parseChain("chain", r.PathValue("chain"))
	if e != nil {
		writeError(w, e)
		return
	}
	tx, e := parseTx("tx", chain, r.PathValue("tx"))
	if e != nil {
		writeError(w, e)
		return
	}
	q := r.URL.Query()
	for name := range q {
		if name != "hops" && name != "policy" && name != "format" && name != "blocks" {
			writeError(w, unknownParam(CodeInvalid, name))
			return
		}
	}
	req := TraceRequest{Chain: chain, Tx: tx}
	if v := q.Get("hops"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > watchlists.MaxHopsLimit {
			writeError(w, Errorf(CodeInvalid, "hops", "hops=%q out of range 1..%d", v, watchlists.MaxHopsLimit))
			return
		}
		req.Hops = n
	}
	if v := q.Get("blocks"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n < 1 || n > tracer.MaxTraceBlocks {
			writeError(w, Errorf(CodeInvalid, "blocks", "blocks=%q out of range 1..%d", v, tracer.MaxTraceBlocks))
			return
		}
		req.Blocks = n
	}
	p, err := watchlists.ParsePolicy(q.Get("policy"))
	if err != nil {
		writeError(w, Errorf(CodeInvalid, "policy", "%v", err))
		return
	}
	req.Policy = p
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "dot" {
		writeError(w, Errorf(CodeInvalid, "format", "unknown format %q (want json or dot)", format))
		return
	}
	if s.deps.Tracer == nil {
		writeError(w, Errorf(CodeNotImplemented, "", "tracing is not available on this server: it follows no node that can serve /v1/trace"))
		return
	}
	g, err := s.deps.Tracer.Trace(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format == "dot" {
		w.Header().Set("Content-Type", "text/vnd.graphviz; charset=utf-8")
		_, _ = io.WriteString(w, g.DOT())
		return
	}
	writeJSON(w, http.StatusOK, g)
}
