package api

import "github.com/chainhound/chainhound/apikey"
import "sync"

// Websocket refusal reasons, the reason label of
// chainhound_websocket_refused_total.
const (
	refusedPerKey    = "per_key"
	refusedPerTenant = "per_tenant"
)

// wsSlot is one websocket counted against its key and tenant, from the
// moment it is admitted (before the upgrade) until it ends.
type wsSlot struct {
	key     apikey.Key
	conn    *wsConn // nil until the upgrade succeeds
	revoked bool    // the key was revoked during the handshake
}

// wsRegistry counts the open websockets of each key and tenant, so that
// the caps hold, and knows the live connections of each key, so that
// revoking a key closes them at once.
type wsRegistry struct {
	mu        sync.Mutex
	perKey    int
	perTenant int
	byKey     map[string]map[*wsSlot]struct{}
	byTenant  map[string]int
}

func newWSRegistry(perKey, perTenant int) *wsRegistry {
	return &wsRegistry{
		perKey:    perKey,
		perTenant: perTenant,
		byKey:     map[string]map[*wsSlot]struct{}{},
		byTenant:  map[string]int{},
	}
}

// admit counts a new websocket of k, or refuses it with a 429 and the
// refusal reason when k or its tenant has as many open as allowed.
func (r *wsRegistry) admit(k apikey.Key) (*wsSlot, string, *Error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.byKey[k.ID]); n >= r.perKey {
		return nil, refusedPerKey, Errorf(CodeRateLimited, "", "key %s has %d open websockets, the most api.max_websockets_per_key allows; close one first", k.ID, n)
	}
	if n := r.byTenant[k.Tenant]; n >= r.perTenant {
		return nil, refusedPerTenant, Errorf(CodeRateLimited, "", "tenant %s has %d open websockets, the most api.max_websockets_per_tenant allows; close one first", k.Tenant, n)
	}
	s := &wsSlot{key: k}
	set := r.byKey[k.ID]
	if set == nil {
		set = map[*wsSlot]struct{}{}
		r.byKey[k.ID] = set
	}
	set[s] = struct{}{}
	r.byTenant[k.Tenant]++
	return s, "", nil
}

// attach records the upgraded connection of s, so that a revocation
// reaches it. It reports false when the key was revoked during the
// handshake: the connection is then to be closed at once.
func (r *wsRegistry) attach(s *wsSlot, c *wsConn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.conn = c
	return !s.revoked
}

// release uncounts s (idempotent).
func (r *wsRegistry) release(s *wsSlot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	set := r.byKey[s.key.ID]
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if len(set) == 0 {
		delete(r.byKey, s.key.ID)
	}
	if r.byTenant[s.key.Tenant]--; r.byTenant[s.key.Tenant] <= 0 {
		delete(r.byTenant, s.key.Tenant)
	}
}

// revoke closes every open websocket of key id with 4001 and returns how
// many there were. A socket still in its handshake (its key was checked
// before the revocation) is closed as soon as it is upgraded.
func (r *wsRegistry) revoke(id string) int {
	r.mu.Lock()
	var conns []*wsConn
	n := len(r.byKey[id])
	for s := range r.byKey[id] {
		s.revoked = true
		if s.conn != nil {
			conns = append(conns, s.conn)
		}
	}
	r.mu.Unlock()
	for _, c := range conns {
		c.kick(kickRevoked)
	}
	return n
}
