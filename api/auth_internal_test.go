package api

import "github.com/chainhound/chainhound/apikey"
import "testing"

// TestForbiddenReads: "an exchange key", "an admin key", "a company key".
func TestForbiddenReads(t *testing.T) {
	for role, want := range map[apikey.Role]string{apikey.RoleExchange: "an exchange key may not", apikey.RoleAdmin: "an admin key may not", apikey.RoleCompany: "a company key may not", apikey.RoleInvestigator: "an investigator key may not"} {
		if got := forbidden(apikey.Key{Role: role}, "do it").Message; len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("%s: %q, want %q…", role, got, want)
		}
	}
}
