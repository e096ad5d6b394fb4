package api

import (
	"net/http"
	"time"

	"github.com/chainhound/chainhound/apikey"
)

type keyRequest struct {
	Role   string `json:"role"`
	Tenant string `json:"tenant"`
}

// CreatedKey is the answer to POST /v1/keys: the only time the secret is
// shown.
type CreatedKey struct {
	apikey.Key
	Secret string `json:"key"`
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if k.Role != apikey.RoleAdmin {
		writeError(w, forbidden(k, "manage keys"))
		return
	}
	req, e := decodeBody[keyRequest](s, w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	role, err := apikey.ParseRole(req.Role)
	if err != nil {
		writeError(w, Errorf(CodeInvalid, "role", "%v", err))
		return
	}
	if err := ValidTenant(req.Tenant); err != nil {
		writeError(w, Errorf(CodeInvalid, "tenant", "%v", err))
		return
	}
	secret, nk, err := apikey.New(role, req.Tenant, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.deps.Keys.CreateKey(r.Context(), nk); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("api key created", "key", nk.ID, "role", nk.Role, "tenant", nk.Tenant, "by", k.ID)
	writeJSON(w, http.StatusCreated, CreatedKey{Key: nk, Secret: secret})
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if k.Role != apikey.RoleAdmin {
		writeError(w, forbidden(k, "manage keys"))
		return
	}
	keys, err := s.deps.Keys.Keys(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if keys == nil {
		keys = []apikey.Key{}
	}
	writeJSON(w, http.StatusOK, map[string][]apikey.Key{"keys": keys})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, k apikey.Key) {
	if k.Role != apikey.RoleAdmin {
		writeError(w, forbidden(k, "manage keys"))
		return
	}
	rk, err := s.deps.Keys.RevokeKey(r.Context(), r.PathValue("id"), time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	closed := s.ws.revoke(rk.ID)
	s.log.Info("api key revoked", "key", rk.ID, "by", k.ID, "websockets_closed", closed)
	writeJSON(w, http.StatusOK, rk)
}
