package api

import (
	"net/http"
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
	Status  string                 `json:"status"`
	Replica string                 `json:"replica,omitempty"`
	Chains  map[string]chainHealth `json:"chains"`
}

// healthz answers without a key: ok when every chain's follower is
// connected and within DegradedLag blocks of its node's head, else
// degraded (503, so load balancers and probes can act on it).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	body := healthBody{Status: "ok", Chains: map[string]chainHealth{}}
	if s.deps.Health == nil {
		body.Status = "degraded"
	} else {
		var roles map[chains.Chain]string
		var standbyErr error
		if s.deps.Replica != nil {
			body.Replica, roles = s.deps.Replica.Replica(), s.deps.Replica.Roles()
			standbyErr = s.deps.Replica.StandbyErr()
		}
		for chain, st := range s.deps.Health.ChainStatus() {
			ch := chainHealth{Network: st.Network, Head: st.Head, Processed: st.Processed, Lag: lag(st), Connected: st.Connected, Role: roles[chain]}
			if !st.LastBlockTime.IsZero() {
				t := st.LastBlockTime.UTC()
				ch.LastBlockTime = &t
			}
			// A standby follows nothing: it is ok while it can take over.
			if ch.Role == "standby" && standbyErr != nil || ch.Role != "standby" && (!st.Connected || ch.Lag > s.cfg.DegradedLag) {
				body.Status = "degraded"
			}
			body.Chains[string(chain)] = ch
		}
	}
	status := http.StatusOK
	if body.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, body)
}
