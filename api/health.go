package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
)

type chainHealth struct {
	Network       string     `json:"network"`
	Head          uint64     `json:"head"`
	Processed     uint64     `json:"processed"`
	Lag           uint64     `json:"lag"`
	LastBlockTime *time.Time `json:"last_block_time"`
	Connected     bool       `json:"connected"`
	Role          string     `json:"role,omitempty"`
}

type healthBody struct {
	Status string `json:"status"`
	// Reason says why the status is degraded: the shared store's problem,
	// or the chains that are behind or disconnected.
	Reason  string                 `json:"reason,omitempty"`
	Replica string                 `json:"replica,omitempty"`
	Chains  map[string]chainHealth `json:"chains"`
}

// healthz answers without a key: ok when every chain's follower is
// connected and within DegradedLag blocks of its node's head, else
// degraded (503, so load balancers and probes can act on it).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	body := healthBody{Status: "ok", Chains: map[string]chainHealth{}}
	if s.deps.Health == nil {
		body.Status, body.Reason = "degraded", "no chains followed"
	} else {
		var roles map[chains.Chain]string
		var standbyErr error
		var reasons, behind []string
		if s.deps.Replica != nil {
			body.Replica, roles = s.deps.Replica.Replica(), s.deps.Replica.Roles()
			standbyErr = s.deps.Replica.StandbyErr()
			if p := s.deps.Replica.Problem(r.Context()); p != "" {
				body.Status = "degraded"
				reasons = append(reasons, p)
			}
		}
		for chain, st := range s.deps.Health.ChainStatus() {
			ch := chainHealth{Network: st.Network, Head: st.Head, Processed: st.Processed, Lag: lag(st), Connected: st.Connected, Role: roles[chain]}
			if !st.LastBlockTime.IsZero() {
				t := st.LastBlockTime.UTC()
				ch.LastBlockTime = &t
			}
			// A standby follows nothing: it is ok while it can take over.
			if ch.Role == "standby" {
				if standbyErr != nil {
					body.Status = "degraded"
					behind = append(behind, fmt.Sprintf("%s standby cannot take over: %v", chain, standbyErr))
				}
			} else {
				if !st.Connected {
					body.Status = "degraded"
					behind = append(behind, string(chain)+" node not connected")
				}
				if ch.Lag > s.cfg.DegradedLag {
					body.Status = "degraded"
					behind = append(behind, fmt.Sprintf("%s %d blocks behind its node", chain, ch.Lag))
				}
			}
			body.Chains[string(chain)] = ch
		}
		slices.Sort(behind)
		reasons = append(reasons, behind...) // the store's first, then the chains in order
		body.Reason = strings.Join(reasons, "; ")
	}
	status := http.StatusOK
	if body.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, body)
}
