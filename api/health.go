package api

import (
	"net/http"
	"time"
)

type chainHealth struct {
	Network       string     `json:"network"`
	Head          uint64     `json:"head"`
	Processed     uint64     `json:"processed"`
	Lag           uint64     `json:"lag"`
	LastBlockTime *time.Time `json:"last_block_time"`
	Connected     bool       `json:"connected"`
}

type healthBody struct {
	Status string                 `json:"status"`
	Chains map[string]chainHealth `json:"chains"`
}

// healthz answers without a key: ok when every chain's follower is
// connected and within DegradedLag blocks of its node's head, else
// degraded (503, so load balancers and probes can act on it).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	body := healthBody{Status: "ok", Chains: map[string]chainHealth{}}
	if s.deps.Health == nil {
		body.Status = "degraded"
	} else {
		for chain, st := range s.deps.Health.ChainStatus() {
			ch := chainHealth{Network: st.Network, Head: st.Head, Processed: st.Processed, Lag: lag(st), Connected: st.Connected}
			if !st.LastBlockTime.IsZero() {
				t := st.LastBlockTime.UTC()
				ch.LastBlockTime = &t
			}
			if !st.Connected || ch.Lag > s.cfg.DegradedLag {
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
