package tracer

import (
	"encoding/json"
	"math/big"

	"github.com/chainhound/chainhound/watchlists"
)

// The public API writes amounts as decimal strings in the smallest unit and
// Ethereum addresses in EIP-55 (docs/interface.md); these marshalers make the
// incident summary follow it.

func amountString(v *big.Int) string {
	if v == nil {
		return "0"
	}
	return v.String()
}

func amountMap(m map[string]*big.Int) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if k == "" {
			k = "native"
		}
		out[k] = amountString(v)
	}
	return out
}

// MarshalJSON writes the holder with its amount as a decimal string.
func (h Holder) MarshalJSON() ([]byte, error) {
	type holder Holder
	return json.Marshal(struct {
		holder
		Address string `json:"address"`
		Tainted string `json:"tainted"`
	}{holder(h), watchlists.Display(h.Chain, h.Address), amountString(h.Tainted)})
}

// MarshalJSON writes the destination with its amount as a decimal string.
func (d Destination) MarshalJSON() ([]byte, error) {
	type dest Destination
	return json.Marshal(struct {
		dest
		Address string `json:"address"`
		Tainted string `json:"tainted"`
	}{dest(d), watchlists.Display(d.Chain, d.Address), amountString(d.Tainted)})
}

// MarshalJSON writes the summary with its amounts as decimal strings,
// keyed by asset ("native" for ETH or BTC, else the token contract).
func (s IncidentSummary) MarshalJSON() ([]byte, error) {
	type summary IncidentSummary
	return json.Marshal(struct {
		summary
		Stolen  map[string]string `json:"stolen"`
		Tainted map[string]string `json:"tainted"`
	}{summary(s), amountMap(s.Stolen), amountMap(s.Tainted)})
}
