package api

import (
	"errors"
	"net/http"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

type entryRequest struct {
	Chain   string `json:"chain"`
	Address string `json:"address"`
	Kind    string `json:"kind"`
	Label   string `json:"label"`
	Owner   string `json:"owner"`
	Note    string `json:"note"`
	Source  string `json:"source"`
	// Protocol of a mixer or bridge entry (docs/interface.md).
	Protocol string `json:"protocol"`
}

// viewEntry is e as the API shows it: the address in its display form
// (EIP-55 on Ethereum).
func viewEntry(e watchlists.Entry) watchlists.Entry {
	e.Address = watchlists.Display(e.Chain, e.Address)
	return e
}

// parseChain checks a chain named in field.
func parseChain(field, s string) (chains.Chain, *Error) {
	if s == "" {
		return "", Errorf(CodeInvalidChain, field, "missing chain (want ethereum or bitcoin)")
	}
	c, err := chains.ParseChain(s)
	if err != nil {
		return "", Errorf(CodeInvalidChain, field, "%v", err)
	}
	return c, nil
}

// normalize validates an address of chain on the configured network.
func (s *Server) normalize(field string, chain chains.Chain, addr string) (string, *Error) {
	if addr == "" {
		return "", Errorf(CodeInvalidAddress, field, "missing address")
	}
	n, err := watchlists.Normalize(chain, s.cfg.Networks[chain], addr)
	if err != nil {
		return "", Errorf(CodeInvalidAddress, field, "%v", err)
	}
	return n, nil
}

// checkText refuses control and bidirectional characters in a text field
// (watchlists.CheckText; docs/security.md, "Text").
func checkText(field, v string) *Error {
	var fe *watchlists.FieldError
	if err := watchlists.CheckText(field, v); errors.As(err, &fe) {
		return Errorf(CodeInvalid, field, "%s %v", field, fe.Err)
	}
	return nil
}

// mayAddKind says which kinds a role may put on the watchlist.
func mayAddKind(k apikey.Key, kind watchlists.Kind) bool {
	switch k.Role {
	case apikey.RoleAdmin:
		return true
	case apikey.RoleCompany:
		return kind == watchlists.Treasury
	case apikey.RoleExchange:
		return kind == watchlists.Exchange
	}
	return false
}

// seesEntry reports whether k may see (and so remove) e.
func seesEntry(k apikey.Key, e watchlists.Entry) bool {
	switch k.Role {
	case apikey.RoleAdmin:
		return true
	case apikey.RoleCompany:
		return e.Owner == k.Tenant && e.Kind == watchlists.Treasury
	case apikey.RoleExchange:
		return e.Owner == k.Tenant
	}
	return false
}

// watchlistAllowed answers 403 for investigators and 501 without a
// watchlist.
func (s *Server) watchlistAllowed(w http.ResponseWriter, k apikey.Key, verb string) bool {
	if k.Role == apikey.RoleInvestigator {
		writeError(w, forbidden(k, verb+" the watchlist"))
		return false
	}
	if s.deps.Watchlist == nil {
		writeError(w, Errorf(CodeNotImplemented, "", "this server has no watchlist configured"))
		return false
	}
	return true
}

// owner resolves an owner parameter: the caller's tenant by default; only
// an admin may name another.
func ownerFor(k apikey.Key, field, owner string) (string, *Error) {
	if owner == "" {
		return k.Tenant, nil
	}
	if err := ValidTenant(owner); err != nil {
		return "", Errorf(CodeInvalid, field, "%v", err)
	}
	if owner != k.Tenant && k.Role != apikey.RoleAdmin {
		return "", Errorf(CodeForbidden, field, "only an admin may act for another tenant")
	}
	return owner, nil
}

func (s *Server) addEntry(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if !s.watchlistAllowed(w, k, "write") {
		return
	}
	req, e := decodeBody[entryRequest](s, w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	chain, e := parseChain("chain", req.Chain)
	if e != nil {
		writeError(w, e)
		return
	}
	addr, e := s.normalize("address", chain, req.Address)
	if e != nil {
		writeError(w, e)
		return
	}
	if req.Kind == "" {
		writeError(w, Errorf(CodeInvalid, "kind", "missing kind"))
		return
	}
	kind, err := watchlists.ParseKind(req.Kind)
	if err != nil {
		writeError(w, Errorf(CodeInvalid, "kind", "%v", err))
		return
	}
	// The stored source names the key that added the entry first, then
	// where the caller says it came from (a file imported through the API).
	source := "api:" + k.ID
	if req.Source != "" {
		source += ": " + req.Source
	}
	for field, v := range map[string]string{"label": req.Label, "note": req.Note, "source": req.Source} {
		if len(v) > watchlists.MaxTextBytes {
			writeError(w, Errorf(CodeInvalid, field, "%s is longer than %d bytes", field, watchlists.MaxTextBytes))
			return
		}
		if e := checkText(field, v); e != nil {
			writeError(w, e)
			return
		}
	}
	owner, e := ownerFor(k, "owner", req.Owner)
	if e != nil {
		writeError(w, e)
		return
	}
	if !mayAddKind(k, kind) {
		writeError(w, forbidden(k, "add "+string(kind)+" entries"))
		return
	}
	// Only an admin's entry is trusted: a tenant's own raises its alerts
	// and nothing else (docs/architecture.md, "Trust between tenants").
	added, err := s.deps.Watchlist.Add(r.Context(), watchlists.Entry{
		Chain: chain, Address: addr, Kind: kind, Owner: owner, Label: req.Label, Note: req.Note,
		Source: source, Protocol: req.Protocol, Untrusted: k.Role != apikey.RoleAdmin,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("watchlist entry added", "chain", chain, "address", addr, "kind", kind, "owner", owner, "key", k.ID)
	writeJSON(w, http.StatusCreated, viewEntry(added[0]))
}

func (s *Server) listEntries(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if !s.watchlistAllowed(w, k, "read") {
		return
	}
	q := r.URL.Query()
	for name := range q {
		if name != "chain" && name != "kind" && name != "owner" {
			writeError(w, unknownParam(CodeInvalidFilter, name))
			return
		}
	}
	var f watchlists.Filter
	if v := q.Get("chain"); v != "" {
		c, err := chains.ParseChain(v)
		if err != nil {
			writeError(w, Errorf(CodeInvalidFilter, "chain", "%v", err))
			return
		}
		f.Chain = c
	}
	if v := q.Get("kind"); v != "" {
		kind, err := watchlists.ParseKind(v)
		if err != nil {
			writeError(w, Errorf(CodeInvalidFilter, "kind", "%v", err))
			return
		}
		f.Kind = kind
	}
	if v := q.Get("owner"); v != "" {
		if err := ValidTenant(v); err != nil {
			writeError(w, Errorf(CodeInvalidFilter, "owner", "%v", err))
			return
		}
		f.Owner = v
	}
	if k.Role != apikey.RoleAdmin {
		if f.Owner != "" && f.Owner != k.Tenant {
			writeJSON(w, http.StatusOK, map[string][]watchlists.Entry{"entries": {}})
			return
		}
		f.Owner = k.Tenant
	}
	out := []watchlists.Entry{}
	for _, e := range s.deps.Watchlist.List(f) {
		if seesEntry(k, e) {
			out = append(out, viewEntry(e))
		}
	}
	writeJSON(w, http.StatusOK, map[string][]watchlists.Entry{"entries": out})
}

// pathAddress reads the {chain} and {address} of the request's path, the
// address normalised.
func (s *Server) pathAddress(r *http.Request) (chains.Chain, string, *Error) {
	chain, e := parseChain("chain", r.PathValue("chain"))
	if e != nil {
		return "", "", e
	}
	addr, e := s.normalize("address", chain, r.PathValue("address"))
	if e != nil {
		return "", "", e
	}
	return chain, addr, nil
}

// removeEntry answers DELETE /v1/watchlist/{chain}/{address}: the
// caller's entries at that address (an admin may pass ?owner= and ?kind=).
func (s *Server) removeEntry(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if !s.watchlistAllowed(w, k, "write") {
		return
	}
	chain, addr, e := s.pathAddress(r)
	if e != nil {
		writeError(w, e)
		return
	}
	q := r.URL.Query()
	for name := range q {
		if name != "kind" && name != "owner" {
			writeError(w, unknownParam(CodeInvalid, name))
			return
		}
	}
	owner, e := ownerFor(k, "owner", q.Get("owner"))
	if e != nil {
		writeError(w, e)
		return
	}
	var kind watchlists.Kind
	if v := q.Get("kind"); v != "" {
		kd, err := watchlists.ParseKind(v)
		if err != nil {
			writeError(w, Errorf(CodeInvalid, "kind", "%v", err))
			return
		}
		kind = kd
	}
	if k.Role == apikey.RoleCompany {
		kind = watchlists.Treasury // a company sees only its treasury entries
	}
	if k.Role != apikey.RoleAdmin {
		for _, e := range s.deps.Watchlist.Lookup(chain, addr) {
			if e.Owner == owner && (kind == "" || e.Kind == kind) && e.Trusted() && !e.Shipped() {
				writeError(w, Errorf(CodeConflict, "address", "%s %s (%s): %v", chain, watchlists.Display(chain, addr), e.Kind, watchlists.ErrVouched))
				return
			}
		}
	}
	n, err := s.deps.Watchlist.Remove(r.Context(), chain, addr, owner, kind)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if n == 0 {
		writeError(w, Errorf(CodeNotFound, "address", "%s %s is not on your watchlist", chain, watchlists.Display(chain, addr)))
		return
	}
	s.log.Info("watchlist entries removed", "chain", chain, "address", addr, "owner", owner, "count", n, "key", k.ID)
	w.WriteHeader(http.StatusNoContent)
}
