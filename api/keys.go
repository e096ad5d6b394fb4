package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/chainhound/chainhound/watchlists"
)

// Role is what a key may do (see the table in doc.go).
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

// KeyPrefix starts every API key.
const KeyPrefix = "chk_"

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

// KeyStore keeps API keys (store/pebble and store/redis implement it).
type KeyStore interface {
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

// ValidTenant checks a tenant name: 1–64 of [a-z0-9._-], starting with a
// letter or digit (watchlists.ValidateTenant, which entry owners follow).
func ValidTenant(s string) error { return watchlists.ValidateTenant(s) }

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewKey makes a key for role and tenant: the secret to hand out once
// ("chk_" and 32 base32 characters) and the Key to store.
func NewKey(role Role, tenant string, now time.Time) (secret string, k Key, err error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", Key{}, err
	}
	if err := ValidTenant(tenant); err != nil {
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
	secret = KeyPrefix + strings.ToLower(b32.EncodeToString(raw[:]))
	return secret, Key{
		ID:      "key_" + hex.EncodeToString(id[:]),
		Hash:    HashKey(secret),
		Role:    role,
		Tenant:  tenant,
		Created: now.UTC().Truncate(time.Second),
	}, nil
}

// HashKey is the stored form of a secret: hex SHA-256.
func HashKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}
