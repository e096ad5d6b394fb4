package watchlists

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
)

// Kind classifies a watchlist entry (docs/interface.md).
type Kind string

const (
	Treasury   Kind = "treasury"
	Exchange   Kind = "exchange"
	Mixer      Kind = "mixer"
	Bridge     Kind = "bridge"
	Sanctioned Kind = "sanctioned"
	Stolen     Kind = "stolen"
	Custom     Kind = "custom"
)

// Kinds lists every kind in docs/interface.md order.
var Kinds = []Kind{Treasury, Exchange, Mixer, Bridge, Sanctioned, Stolen, Custom}

// ParseKind returns the Kind named s or an error naming s.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown kind %q (want treasury, exchange, mixer, bridge, sanctioned, stolen or custom)", s)
}

// Entry says who an address belongs to or why it matters. Address is
// normalised: lowercase 0x-hex on Ethereum (EIP-55 only on output), the
// network's canonical encoding on Bitcoin (bech32 lowercase).
type Entry struct {
	Chain   chains.Chain `json:"chain"`
	Address string       `json:"address"`
	Kind    Kind         `json:"kind"`
	Owner   string       `json:"owner,omitempty"` // tenant
	Label   string       `json:"label,omitempty"` // e.g. "Binance 14"
	Source  string       `json:"source,omitempty"`
	Added   time.Time    `json:"added"`
	Note    string       `json:"note,omitempty"`
	// Protocol tells the tracer how to follow taint through a mixer or
	// bridge entry ("tornado", "thorchain", "lifi", …; Protocols); "" for
	// other kinds, or a service whose flows are not decoded.
	Protocol string `json:"protocol,omitempty"`
	// Untrusted marks an entry a tenant made for itself with its own key
	// (not an admin's, not the operator's, not shipped or learned with
	// evidence). It raises alerts for its owner alone and never changes
	// what another tenant receives or how taint is followed (docs/architecture.md,
	// "Trust between tenants"; docs/security.md).
	Untrusted bool `json:"untrusted,omitempty"`
}

// Trusted reports whether e may decide how taint is followed (park it at
// a service, drive a recogniser) and be told to another tenant's
// incident: shipped labels, the operator's and admins' entries.
func (e Entry) Trusted() bool { return !e.Untrusted }

// Protocols names the mixer and bridge protocols the tracer knows, each
// with the kind of entry that may carry it (docs/interface.md, "protocol").
var Protocols = []struct {
	Name string
	Kind Kind
}{
	{"tornado", Mixer},
	{"thorchain", Bridge},
	{"lifi", Bridge},
	{"across", Bridge},
	{"wormhole", Bridge},
	{"stargate", Bridge},
	{"chainflip", Bridge},
	{"synapse", Bridge},
	{"multichain", Bridge},
	{"avalanche", Bridge},
	{"arbitrum", Bridge},
	{"optimism", Bridge},
	{"base", Bridge},
}

// ParseProtocol checks the protocol p of an entry of kind k: "" or a
// protocol of Protocols that entries of k may carry. The error names the
// known ones.
func ParseProtocol(p string, k Kind) error {
	if p == "" {
		return nil
	}
	var names []string
	for _, pr := range Protocols {
		if pr.Name == p {
			if pr.Kind != k {
				return fmt.Errorf("protocol %q is for %s entries, not %s", p, pr.Kind, k)
			}
			return nil
		}
		names = append(names, pr.Name)
	}
	return fmt.Errorf("unknown protocol %q (want one of %s)", p, strings.Join(names, ", "))
}

// Policy is a taint policy (docs/taint.md).
type Policy string

const (
	Haircut Policy = "haircut"
	Poison  Policy = "poison"
	FIFO    Policy = "fifo"
)

// ParsePolicy returns the Policy named s ("" means haircut).
func ParsePolicy(s string) (Policy, error) {
	switch Policy(s) {
	case "":
		return Haircut, nil
	case Haircut, Poison, FIFO:
		return Policy(s), nil
	}
	return "", fmt.Errorf("unknown policy %q (want haircut, poison or fifo)", s)
}

// Seed names where an incident's stolen funds start: a theft transaction
// (its transfers out of the victim are the stolen amounts), or a
// compromised address whose every outflow from FromBlock on counts.
type Seed struct {
	Tx        string `json:"tx,omitempty"`
	Address   string `json:"address,omitempty"`
	FromBlock uint64 `json:"from_block,omitempty"`
}

// IncidentStatus is open or closed.
type IncidentStatus string

const (
	Open   IncidentStatus = "open"
	Closed IncidentStatus = "closed"
)

// Incident is a declared theft that the tracer follows.
type Incident struct {
	ID      string       `json:"id"` // "inc_" + ULID-like sortable id
	Title   string       `json:"title,omitempty"`
	Owner   string       `json:"owner,omitempty"` // tenant
	Chain   chains.Chain `json:"chain"`
	Seeds   []Seed       `json:"seeds"`
	Policy  Policy       `json:"policy"`
	Dust    *big.Int     `json:"dust,omitempty"` // smallest unit; nil = the chain's configured default
	MaxHops int          `json:"max_hops,omitempty"`
	// ConfidenceFloor: a mixer withdrawal linked with a lower confidence
	// is reported but carries no taint on (nil: the configured default).
	ConfidenceFloor *float64       `json:"confidence_floor,omitempty"`
	Status          IncidentStatus `json:"status"`
	Opened          time.Time      `json:"opened"`
	Closed          *time.Time     `json:"closed,omitempty"`
	// Auto is true when the engine opened it from a treasury drain.
	Auto bool `json:"auto,omitempty"`
	// Private: its alerts go to its owner alone (and admins). The engine
	// opens an automatic incident so from a tenant's own, untrusted
	// treasury entry, which may tell nobody else (docs/security.md).
	Private bool `json:"private,omitempty"`
}
