package api

import "github.com/chainhound/chainhound/watchlists"

// ValidTenant checks a tenant name: 1–64 of [a-z0-9._-], starting with a
// letter or digit (watchlists.ValidateTenant, which entry owners follow).
func ValidTenant(s string) error { return watchlists.ValidateTenant(s) }
