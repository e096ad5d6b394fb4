package watchlists

import "testing"

// The shipped labels are text CheckText accepts: what chainhound ships
// needs no escaping.
func TestShippedLabelsArePlainText(t *testing.T) {
	entries, err := ShippedEntries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := checkTexts(e, sourcePrefixRoom); err != nil {
			t.Errorf("%s %s: %v", e.Chain, e.Address, err)
		}
	}
}
