package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

type seedRequest struct {
	Tx        string `json:"tx"`
	Address   string `json:"address"`
	FromBlock uint64 `json:"from_block"`
}

type incidentRequest struct {
	Title   string        `json:"title"`
	Chain   string        `json:"chain"`
	Seeds   []seedRequest `json:"seeds"`
	Policy  string        `json:"policy"`
	Dust    string        `json:"dust"`
	MaxHops int           `json:"max_hops"`
	Owner   string        `json:"owner"`
	// ConfidenceFloor in [0, 1]; absent: the daemon's tracer.confidence_floor.
	ConfidenceFloor *float64 `json:"confidence_floor"`
}

// incidentView is an incident with its taint summary.
type incidentView struct {
	inc     watchlists.Incident
	summary *tracer.IncidentSummary // nil: none
	// warnings: what the caller should know (an incident of the same
	// owner already follows one of its seeds).
	warnings []string
}

func (v incidentView) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(v.inc)
	if err != nil {
		return b, err
	}
	if len(v.warnings) > 0 {
		w, err := json.Marshal(v.warnings)
		if err != nil {
			return nil, err
		}
		b = append(b[:len(b)-1], `,"warnings":`...)
		b = append(append(b, w...), '}')
	}
	if v.summary == nil {
		return b, nil
	}
	sum, err := json.Marshal(v.summary)
	if err != nil {
		return nil, fmt.Errorf("encode summary of %s: %w", v.inc.ID, err)
	}
	b = append(b[:len(b)-1], `,"summary":`...)
	b = append(b, sum...)
	// What the tracer is doing with it (docs/interface.md `tracking`).
	tj, err := json.Marshal(v.summary.Tracking)
	if err != nil {
		return nil, fmt.Errorf("encode tracking of %s: %w", v.inc.ID, err)
	}
	b = append(b, `,"tracking":`...)
	b = append(b, tj...)
	return append(b, '}'), nil
}

func (s *Server) viewIncident(inc watchlists.Incident) incidentView {
	inc.Seeds = append([]watchlists.Seed(nil), inc.Seeds...)
	for i, sd := range inc.Seeds {
		if sd.Address != "" {
			inc.Seeds[i].Address = watchlists.Display(inc.Chain, sd.Address)
		}
	}
	v := incidentView{inc: inc}
	if s.deps.Summaries != nil {
		if sum, ok := s.deps.Summaries.Summary(inc.ID); ok {
			v.summary = &sum
		}
	}
	return v
}

// parseTx checks a transaction hash of chain and returns it lowercased.
func parseTx(field string, chain chains.Chain, tx string) (string, *Error) {
	h, err := watchlists.NormalizeTxHash(chain, tx)
	if err != nil {
		return "", Errorf(CodeInvalid, field, "invalid %s transaction hash %v", chain, err)
	}
	return h, nil
}

// seesIncident reports whether k may read inc.
func seesIncident(k apikey.Key, inc watchlists.Incident) bool {
	switch k.Role {
	case apikey.RoleAdmin, apikey.RoleInvestigator:
		return true
	case apikey.RoleCompany:
		return inc.Owner == k.Tenant
	}
	return false
}

func (s *Server) incidentsReady(w http.ResponseWriter, k apikey.Key, write bool) bool {
	if k.Role == apikey.RoleExchange || (write && k.Role == apikey.RoleInvestigator) {
		verb := "read incidents"
		if write {
			verb = "open or close incidents"
		}
		writeError(w, forbidden(k, verb))
		return false
	}
	if s.deps.Incidents == nil {
		writeError(w, Errorf(CodeNotImplemented, "", "this server has no incidents configured"))
		return false
	}
	return true
}

func (s *Server) parseIncident(req incidentRequest, k apikey.Key) (watchlists.Incident, *Error) {
	var inc watchlists.Incident
	chain, e := parseChain("chain", req.Chain)
	if e != nil {
		return inc, e
	}
	if len(req.Title) > 256 {
		return inc, Errorf(CodeInvalid, "title", "title is longer than 256 bytes")
	}
	if e := checkText("title", req.Title); e != nil {
		return inc, e
	}
	if len(req.Seeds) == 0 {
		return inc, Errorf(CodeInvalid, "seeds", "at least one seed is required: {\"tx\":H} or {\"address\":A,\"from_block\":N}")
	}
	if len(req.Seeds) > 1000 {
		return inc, Errorf(CodeInvalid, "seeds", "at most 1000 seeds")
	}
	seeds := make([]watchlists.Seed, len(req.Seeds))
	for i, sd := range req.Seeds {
		field := fmt.Sprintf("seeds[%d]", i)
		switch {
		case sd.Tx != "" && sd.Address != "":
			return inc, Errorf(CodeInvalid, field, "a seed names a tx or an address, not both")
		case sd.Tx != "":
			if sd.FromBlock != 0 {
				return inc, Errorf(CodeInvalid, field+".from_block", "from_block belongs to an address seed")
			}
			tx, e := parseTx(field+".tx", chain, sd.Tx)
			if e != nil {
				return inc, e
			}
			seeds[i] = watchlists.Seed{Tx: tx}
		case sd.Address != "":
			addr, e := s.normalize(field+".address", chain, sd.Address)
			if e != nil {
				return inc, e
			}
			seeds[i] = watchlists.Seed{Address: addr, FromBlock: sd.FromBlock}
		default:
			return inc, Errorf(CodeInvalid, field, "a seed needs tx or address")
		}
	}
	var policy watchlists.Policy // empty: the daemon's tracer.policy
	if req.Policy != "" {
		p, err := watchlists.ParsePolicy(req.Policy)
		if err != nil {
			return inc, Errorf(CodeInvalid, "policy", "%v", err)
		}
		policy = p
	}
	var dust *big.Int
	if req.Dust != "" {
		d, err := watchlists.ParseAmount(req.Dust)
		if err != nil {
			return inc, Errorf(CodeInvalid, "dust", "dust %v", err)
		}
		dust = d
	}
	if req.MaxHops < 0 || req.MaxHops > watchlists.MaxHopsLimit {
		return inc, Errorf(CodeInvalid, "max_hops", "max_hops %d out of range 0..%d", req.MaxHops, watchlists.MaxHopsLimit)
	}
	if f := req.ConfidenceFloor; f != nil && !(*f >= 0 && *f <= 1) {
		return inc, Errorf(CodeInvalid, "confidence_floor", "confidence_floor %v out of range 0..1", *f)
	}
	owner, e := ownerFor(k, "owner", req.Owner)
	if e != nil {
		return inc, e
	}
	return watchlists.Incident{
		Title: req.Title, Owner: owner, Chain: chain, Seeds: seeds,
		Policy: policy, Dust: dust, MaxHops: req.MaxHops, ConfidenceFloor: req.ConfidenceFloor,
	}, nil
}

func (s *Server) openIncident(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if !s.incidentsReady(w, k, true) {
		return
	}
	req, e := decodeBody[incidentRequest](s, w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	inc, e := s.parseIncident(req, k)
	if e != nil {
		writeError(w, e)
		return
	}
	covering := s.deps.Incidents.Covering(inc)
	inc, err := s.deps.Incidents.Open(r.Context(), inc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("incident opened", "incident", inc.ID, "chain", inc.Chain, "owner", inc.Owner, "key", k.ID, "warnings", len(covering))
	v := s.viewIncident(inc)
	v.warnings = covering
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if !s.incidentsReady(w, k, false) {
		return
	}
	list := s.deps.Incidents.List("*", "")
	out := make([]incidentView, 0, len(list))
	for _, inc := range list {
		if seesIncident(k, inc) {
			out = append(out, s.viewIncident(inc))
		}
	}
	writeJSON(w, http.StatusOK, map[string][]incidentView{"incidents": out})
}

// visibleIncident loads incident {id} or answers 404.
func (s *Server) visibleIncident(w http.ResponseWriter, r *http.Request, k apikey.Key) (watchlists.Incident, bool) {
	id := r.PathValue("id")
	inc, err := s.deps.Incidents.Get(id)
	if err != nil && !errors.Is(err, watchlists.ErrNotFound) {
		s.fail(w, r, err)
		return inc, false
	}
	if err != nil || !seesIncident(k, inc) {
		writeError(w, Errorf(CodeNotFound, "id", "no incident %q", id))
		return inc, false
	}
	return inc, true
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if k.Role == apikey.RoleExchange && s.deps.Incidents != nil {
		s.getCitedIncident(w, r, k)
		return
	}
	if !s.incidentsReady(w, k, false) {
		return
	}
	if inc, ok := s.visibleIncident(w, r, k); ok {
		writeJSON(w, http.StatusOK, s.viewIncident(inc))
	}
}

func (s *Server) closeIncident(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if !s.incidentsReady(w, k, true) {
		return
	}
	inc, ok := s.visibleIncident(w, r, k)
	if !ok {
		return
	}
	if inc.Status == watchlists.Closed {
		writeError(w, Errorf(CodeConflict, "id", "incident %s is already closed", inc.ID))
		return
	}
	inc, err := s.deps.Incidents.Close(r.Context(), inc.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("incident closed", "incident", inc.ID, "key", k.ID)
	writeJSON(w, http.StatusOK, s.viewIncident(inc))
}
