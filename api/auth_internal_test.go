package api

import "testing"

// TestForbiddenReads: "an exchange key", "an admin key", "a company key".
func TestForbiddenReads(t *testing.T) {
	for role, want := range map[Role]string{RoleExchange: "an exchange key may not", RoleAdmin: "an admin key may not", RoleCompany: "a company key may not", RoleInvestigator: "an investigator key may not"} {
		if got := forbidden(Key{Role: role}, "do it").Message; len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("%s: %q, want %q…", role, got, want)
		}
	}
}
