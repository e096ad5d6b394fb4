package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/watchlists"
)

// An exchange key reads the incidents its tenant's alerts cite, in a
// narrow view (citedIncident): what it needs to act on a freeze alert,
// never the victim's watchlist, its compromised wallets or the taint
// summary. The server finds the citing alerts in citations, an index
// of the alert log it extends on demand.

// maxCitingAlerts is how many of the latest citing alerts a view shows
// (and the index keeps) per tenant and incident.
const maxCitingAlerts = 20

// citations indexes, per tenant and incident, the seqs of the alerts
// the tenant may see that cite the incident (incident or incidents).
type citations struct {
	mu   sync.Mutex
	upTo uint64                         // the log is indexed through this seq
	seqs map[string]map[string][]uint64 // tenant → incident → seqs, ascending, the last maxCitingAlerts
}

// citing returns the seqs of the alerts tenant may see that cite id,
// reading the log after what the index holds first.
func (c *citations) citing(ctx context.Context, log AlertLog, tenant, id string) ([]uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seqs == nil {
		c.seqs = map[string]map[string][]uint64{}
	}
	for last := log.Last(); c.upTo < last; {
		page, err := log.Since(ctx, c.upTo, alerts.MaxPage)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			c.add(&page[i])
		}
		c.upTo = page[len(page)-1].Seq
	}
	return slices.Clone(c.seqs[tenant][id]), nil
}

func (c *citations) add(a *alerts.Alert) {
	ids := a.Incidents
	if a.Incident != "" && !slices.Contains(ids, a.Incident) {
		ids = append([]string{a.Incident}, ids...)
	}
	for _, t := range a.Audience {
		byInc := c.seqs[t]
		if byInc == nil {
			byInc = map[string][]uint64{}
			c.seqs[t] = byInc
		}
		for _, id := range ids {
			s := append(byInc[id], a.Seq)
			if len(s) > maxCitingAlerts {
				s = s[len(s)-maxCitingAlerts:]
			}
			byInc[id] = s
		}
	}
}

// citedIncident is what an exchange key reads of an incident its alerts
// cite: its title, chain, status, the transaction hashes of its seeds
// and, per citing alert, the path the alert was raised for.
type citedIncident struct {
	ID     string                    `json:"id"`
	Title  string                    `json:"title"`
	Chain  string                    `json:"chain"`
	Status watchlists.IncidentStatus `json:"status"`
	Opened time.Time                 `json:"opened"`
	Seeds  []citedSeed               `json:"seeds"`
	Alerts []citingAlert             `json:"alerts"`
}

type citedSeed struct {
	Tx string `json:"tx"`
}

type citingAlert struct {
	Seq  uint64       `json:"seq"`
	Type string       `json:"type"`
	Tx   string       `json:"tx"`
	To   string       `json:"to"`
	Hops int          `json:"hops"`
	Path []alerts.Hop `json:"path"`
}

// getCitedIncident answers an exchange key's GET /v1/incidents/{id}: the
// cited view, or 404 when none of the alerts it may see cites it.
func (s *Server) getCitedIncident(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	id := r.PathValue("id")
	notFound := func() { writeError(w, Errorf(CodeNotFound, "id", "no incident %q", id)) }
	seqs, err := s.cited.citing(r.Context(), s.deps.Alerts, k.Tenant, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(seqs) == 0 {
		notFound()
		return
	}
	inc, err := s.deps.Incidents.Get(id)
	if errors.Is(err, watchlists.ErrNotFound) {
		notFound()
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := citedIncident{ID: inc.ID, Title: inc.Title, Chain: string(inc.Chain), Status: inc.Status, Opened: inc.Opened,
		Seeds: []citedSeed{}, Alerts: []citingAlert{}}
	for _, sd := range inc.Seeds {
		if sd.Tx != "" {
			v.Seeds = append(v.Seeds, citedSeed{Tx: sd.Tx})
		}
	}
	for _, seq := range seqs {
		page, err := s.deps.Alerts.Since(r.Context(), seq-1, 1)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(page) == 0 || page[0].Seq != seq { // pruned since
			continue
		}
		a := page[0]
		path := a.Path
		if path == nil {
			path = []alerts.Hop{}
		}
		v.Alerts = append(v.Alerts, citingAlert{Seq: a.Seq, Type: a.Type, Tx: a.Tx, To: a.To, Hops: a.Hops, Path: path})
	}
	if len(v.Alerts) == 0 {
		notFound()
		return
	}
	writeJSON(w, http.StatusOK, v)
}
