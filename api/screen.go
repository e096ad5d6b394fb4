package api

import (
	"fmt"
	"net/http"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/watchlists"
)

// MaxScreenBatch is the most addresses POST /v1/screen takes.
const MaxScreenBatch = 10000

type screenRequest struct {
	Chain     string   `json:"chain"`
	Addresses []string `json:"addresses"`
}

type screenResults struct {
	Results []screening.Result `json:"results"`
}

func (s *Server) screenReady(w http.ResponseWriter) bool {
	if s.deps.Screener == nil {
		writeError(w, Errorf(CodeNotImplemented, "", "screening is not configured"))
		return false
	}
	return true
}

// screenOne answers GET /v1/screen/{chain}/{address}: the address's
// exposure. Every role may screen; the answer names trusted labels only.
func (s *Server) screenOne(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if !s.screenReady(w) {
		return
	}
	chain, addr, e := s.pathAddress(r)
	if e != nil {
		writeError(w, e)
		return
	}
	res, err := s.deps.Screener.Screen(r.Context(), chain, addr)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.hideIncidents(k, &res)
	writeJSON(w, http.StatusOK, res)
}

// screenBatch answers POST /v1/screen: up to MaxScreenBatch addresses of
// one chain, the results in the same order. One bad address refuses the
// batch, naming it (addresses[i]).
func (s *Server) screenBatch(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if !s.screenReady(w) {
		return
	}
	req, e := decodeBody[screenRequest](s, w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	chain, e := parseChain("chain", req.Chain)
	if e != nil {
		writeError(w, e)
		return
	}
	switch n := len(req.Addresses); {
	case n == 0:
		writeError(w, Errorf(CodeInvalid, "addresses", "no addresses to screen"))
		return
	case n > MaxScreenBatch:
		writeError(w, Errorf(CodeTooLarge, "addresses", "%d addresses; at most %d per request", n, MaxScreenBatch))
		return
	}
	addrs := make([]string, len(req.Addresses))
	for i, a := range req.Addresses {
		if addrs[i], e = s.normalize(fmt.Sprintf("addresses[%d]", i), chain, a); e != nil {
			writeError(w, e)
			return
		}
	}
	res, err := s.deps.Screener.ScreenAll(r.Context(), chain, addrs, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range res {
		s.hideIncidents(k, &res[i])
	}
	writeJSON(w, http.StatusOK, screenResults{Results: res})
}

// hideIncidents keeps another tenant's incident out of a screening: the
// address still shows its stolen exposure (the point of screening), but
// the incident's id and title only to a key that may read the incident.
func (s *Server) hideIncidents(k apikey.Key, res *screening.Result) {
	for i := range res.Direct {
		e := &res.Direct[i]
		if e.Incident == "" {
			continue
		}
		var inc watchlists.Incident
		var err error = watchlists.ErrNotFound
		if s.deps.Incidents != nil {
			inc, err = s.deps.Incidents.Get(e.Incident)
		}
		if err != nil || !seesIncident(k, inc) {
			e.Incident, e.Label = "", "an open incident"
		}
	}
}
