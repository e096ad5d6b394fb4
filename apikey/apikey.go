// Package apikey is the API key and role model: Key, Role, the Store that
// keeps keys (store/pebble and store/redis implement it) and the errors a
// Store returns. It holds types only, with no HTTP, so the store backends
// depend on it without depending on package api (decision 0028). Package
// api authenticates requests with these keys; docs/interface.md's table
// of roles says what each may do.
package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chainhound/chainhound/watchlists"
)

// Errors a Store returns (wrapped); package api answers them with 404 and
// 409.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Role is what a key may do (see the table in api's doc.go).
type Role string

const (
	RoleAdmin        Role = "admin"
	RoleCompany      Role = "company"
	RoleExchange     Role = "exchange"
	RoleInvestigator Role = "investigator"
)

// Roles lists every role in docs/interface.md order.
var Roles = []Role{RoleAdmin, RoleCompany, RoleExchange, RoleInvestigator}

// ParseRole returns the Role named s or an error naming s.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want admin, company, exchange or investigator)", s)
}

// Prefix starts every API key.
const Prefix = "chk_"

// Key is a stored API key. The secret itself is never stored: only its
// SHA-256, which is enough because keys are 160 random bits.
type Key struct {
	ID      string     `json:"id"`
	Hash    string     `json:"-"` // hex SHA-256 of the secret
	Role    Role       `json:"role"`
	Tenant  string     `json:"tenant"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
}

// Active reports whether k may be used.
func (k Key) Active() bool { return k.Revoked == nil }

// Store keeps API keys (store/pebble and store/redis implement it).
type Store interface {
	// CreateKey stores k; an existing ID or hash is ErrConflict.
	CreateKey(ctx context.Context, k Key) error
	// KeyByHash returns the key whose Hash is hash.
	KeyByHash(ctx context.Context, hash string) (Key, bool, error)
	// Keys returns every key, revoked ones included, in creation order.
	Keys(ctx context.Context) ([]Key, error)
	// RevokeKey marks the key id revoked at t and returns it; an absent
	// id is ErrNotFound; revoking twice keeps the first time.
	RevokeKey(ctx context.Context, id string, t time.Time) (Key, error)
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// New makes a key for role and tenant: the secret to hand out once
// ("chk_" and 32 base32 characters) and the Key to store. The tenant
// follows watchlists.ValidateTenant.
func New(role Role, tenant string, now time.Time) (secret string, k Key, err error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", Key{}, err
	}
	if err := watchlists.ValidateTenant(tenant); err != nil {
		return "", Key{}, err
	}
	var raw [20]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Key{}, fmt.Errorf("random key: %w", err)
	}
	var id [6]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", Key{}, fmt.Errorf("random key id: %w", err)
	}
	secret = Prefix + strings.ToLower(b32.EncodeToString(raw[:]))
	return secret, Key{
		ID:      "key_" + hex.EncodeToString(id[:]),
		Hash:    Hash(secret),
		Role:    role,
		Tenant:  tenant,
		Created: now.UTC().Truncate(time.Second),
	}, nil
}

// Hash is the stored form of a secret: hex SHA-256.
func Hash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}
