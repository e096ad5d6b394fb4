package watchlists

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// TestRegistryWatches follows the per-kind count through adds, a
// replacement of the same (address, owner, kind), and removals.
func TestRegistryWatches(t *testing.T) {
	ctx := context.Background()
	reg := NewRegistry(nil, nil)
	const a1, a2 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
	if reg.Watches(chains.Bitcoin, Treasury) {
		t.Fatal("an empty registry watches treasuries")
	}
	for _, e := range []Entry{
		{Chain: chains.Bitcoin, Address: a1, Kind: Treasury, Owner: "acme"},
		{Chain: chains.Bitcoin, Address: a1, Kind: Treasury, Owner: "acme", Label: "renamed"}, // replaces
		{Chain: chains.Bitcoin, Address: a2, Kind: Treasury, Owner: "acme"},
		{Chain: chains.Bitcoin, Address: a2, Kind: Exchange, Owner: "ex"},
	} {
		if _, err := reg.Add(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if !reg.Watches(chains.Bitcoin, Treasury) || !reg.Watches(chains.Bitcoin, Exchange) ||
		reg.Watches(chains.Ethereum, Treasury) || reg.Watches(chains.Bitcoin, Mixer) {
		t.Fatal("watched kinds wrong after adds")
	}
	if n, err := reg.Remove(ctx, chains.Bitcoin, a1, "acme", Treasury); err != nil || n != 1 {
		t.Fatalf("Remove = %d, %v", n, err)
	}
	if !reg.Watches(chains.Bitcoin, Treasury) {
		t.Fatal("one treasury left, but not watched (the replacement was counted twice?)")
	}
	if n, err := reg.Remove(ctx, chains.Bitcoin, a2, "acme", ""); err != nil || n != 1 {
		t.Fatalf("Remove = %d, %v", n, err)
	}
	if reg.Watches(chains.Bitcoin, Treasury) || !reg.Watches(chains.Bitcoin, Exchange) {
		t.Fatal("watched kinds wrong after removals")
	}
}

// TestValidateOwner: an owner is "" or a tenant name by the rule API keys
// follow, so that some key can always see the entry.
func TestValidateOwner(t *testing.T) {
	long := strings.Repeat("a", 64)
	for owner, want := range map[string]string{
		"":          "",
		"acme":      "",
		"a.b_c-1":   "",
		"0x":        "",
		long:        "",
		long + "a":  "want 1-64 lowercase",
		"Acme":      `tenant names are lower case ("acme")`,
		"-acme":     "want 1-64 lowercase",
		"ac me":     "want 1-64 lowercase",
		"acme\x00":  "want 1-64 lowercase",
		"acmé":      "want 1-64 lowercase",
		".hidden":   "want 1-64 lowercase",
		"binance_2": "",
	} {
		err := ValidateOwner(owner)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("ValidateOwner(%q) = %v, want %q", owner, err, want)
		}
	}
}

// TestAddRefusesShippedSource: an entry stored with a shipped source could
// be neither listed nor removed; Add refuses it and stores nothing.
func TestAddRefusesShippedSource(t *testing.T) {
	reg := NewRegistry(nil, nil)
	_, err := reg.Add(context.Background(), Entry{Chain: chains.Bitcoin, Address: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Kind: Exchange, Source: "shipped:mine"})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "source" || !strings.Contains(err.Error(), "reserved") {
		t.Fatalf("got %v", err)
	}
	if reg.Len() != 0 {
		t.Fatalf("%d entries held", reg.Len())
	}
}
