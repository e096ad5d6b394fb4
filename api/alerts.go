package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
)

// Alert pages: DefaultLimit alerts unless limit says otherwise, at most
// alerts.MaxPage; a request scans at most maxScan stored alerts, so a
// tenant that sees few alerts pages on with next.
const (
	DefaultLimit = 100
	maxScan      = 50000
)

type alertsPage struct {
	Alerts []alertView `json:"alerts"`
	Next   uint64      `json:"next"`
}

// listAlerts answers GET /v1/alerts?since=&limit=&type=&status=: the
// visible alerts after since, each with the caller's tenant's triage, and next, the seq to pass as since for the next
// page (the last alert scanned, shown or not).
func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	q := r.URL.Query()
	f, since, e := s.alertsQuery(q, "limit")
	if e != nil {
		writeError(w, e)
		return
	}
	limit := DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > alerts.MaxPage {
			writeError(w, Errorf(CodeInvalidFilter, "limit", "limit=%q out of range 1..%d", v, alerts.MaxPage))
			return
		}
		limit = n
	}
	page := alertsPage{Alerts: []alertView{}, Next: since}
	scanned := 0
	for len(page.Alerts) < limit && scanned < maxScan {
		// Read at least a catch-up page at a time: a tenant that sees few
		// alerts would otherwise cost one store read per alert.
		batch, err := s.deps.Alerts.Since(r.Context(), page.Next, min(max(limit-len(page.Alerts), catchUpPage), alerts.MaxPage))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(batch) == 0 {
			break
		}
		seen := batch[:0:0]
		for i := range batch {
			if a := &batch[i]; seesAlert(k, a.Audience) && f.Match(a) {
				seen = append(seen, *a)
			}
		}
		views, err := s.withTriage(r.Context(), k, &f, seen)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		page.Next = batch[len(batch)-1].Seq
		for _, v := range views {
			page.Alerts = append(page.Alerts, v)
			if len(page.Alerts) == limit {
				page.Next = v.Seq // next is the last alert shown
				break
			}
		}
		scanned += len(batch)
	}
	writeJSON(w, http.StatusOK, page)
}

// alertsQuery reads the query of a read of the alert log (a page, the
// websocket): the filter, which may hold since and the extra parameters
// as well, and since, at most the log's head.
func (s *Server) alertsQuery(q url.Values, extra ...string) (Filter, uint64, *Error) {
	f, e := ParseFilter(q, append([]string{"since"}, extra...)...)
	if e != nil {
		return f, 0, e
	}
	since, e := parseSeq(q, "since")
	if e == nil {
		e = checkSince(since, s.deps.Alerts.Last())
	}
	return f, since, e
}
