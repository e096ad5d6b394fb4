package alerts

import (
	"encoding/json"
	"time"
)

// Types of alert (docs/interface.md).
const (
	TypeExchangeDeposit = "taint.exchange_deposit"
	TypeMixerDeposit    = "taint.mixer_deposit"
	TypeMixerWithdrawal = "taint.mixer_withdrawal"
	TypeBridge          = "taint.bridge"
	TypeCoinJoin        = "taint.coinjoin"
	TypeSanctioned      = "taint.sanctioned"
	TypeTreasuryOutflow = "treasury.outflow"
	TypeTreasuryDrain   = "treasury.drain"
	TypeConfirmed       = "alert.confirmed"
	TypeRetracted       = "alert.retracted"
	// TypeIncidentFailed: an incident is no longer followed (its catch-up
	// stopped on an error, named in `reason`); for its owner.
	TypeIncidentFailed = "incident.failed"
)

// Severities, most severe first.
const (
	Critical = "critical"
	High     = "high"
	Medium   = "medium"
	Low      = "low"
	Info     = "info"
)

// BlockRef is an alert's block.
type BlockRef struct {
	Number uint64 `json:"number"`
	Hash   string `json:"hash"`
}

// Asset is an alert's asset; Contract is null for the native asset.
type Asset struct {
	Symbol   string  `json:"symbol"`
	Contract *string `json:"contract"`
	Decimals uint8   `json:"decimals"`
}

// Label is the entry that made the alert.
type Label struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Owner string `json:"owner"`
}

// Hop is one step of an alert's path. Amount is a decimal string.
type Hop struct {
	Chain  string `json:"chain"`
	Tx     string `json:"tx"`
	From   string `json:"from"`
	To     string `json:"to"`
	Amount string `json:"amount"`
	// Via names the mixer or bridge this hop came out of (docs/interface.md).
	Via *Via `json:"via,omitempty"`
	// Confidence of this hop's link when it is a heuristic's (below 1).
	Confidence float64 `json:"confidence,omitempty"`
}

// Dest is where a bridge deposit goes (docs/interface.md: "dest"): chain in
// chainhound's names where one exists, else the bridge's; asset in the
// bridge's notation.
type Dest struct {
	Chain   string `json:"chain"`
	Address string `json:"address,omitempty"`
	Asset   string `json:"asset,omitempty"`
}

// Via is the service a hop went through.
type Via struct {
	Kind     string `json:"kind"`
	Protocol string `json:"protocol,omitempty"`
	Label    string `json:"label,omitempty"`
}

// Alert is the public alert schema of docs/interface.md. Amounts are decimal
// strings in the chain's smallest unit; addresses are EIP-55 on Ethereum.
type Alert struct {
	Seq        uint64    `json:"seq"`
	Type       string    `json:"type"`
	Severity   string    `json:"severity"`
	Chain      string    `json:"chain"`
	Block      *BlockRef `json:"block"`
	Tx         string    `json:"tx"`
	Index      int       `json:"index"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Asset      *Asset    `json:"asset"`
	Amount     string    `json:"amount"`
	Tainted    string    `json:"tainted"`
	Share      float64   `json:"share"`
	Confidence float64   `json:"confidence"`
	Heuristics []string  `json:"heuristics,omitempty"` // linking heuristics that fired (mixer withdrawals)
	// Provisional: a mixer withdrawal linked before the pool's history
	// (deposits before chainhound first saw it) was loaded.
	Provisional bool `json:"provisional,omitempty"`
	// Reason says why an incident failed (incident.failed).
	Reason   string `json:"reason,omitempty"`
	Dest     *Dest  `json:"dest,omitempty"` // a bridge deposit's destination (taint.bridge)
	Incident string `json:"incident"`
	// Incidents whose taint the deposit carries, the largest share first
	// (Incident is the first): one alert per deposit (docs/interface.md).
	Incidents     []string  `json:"incidents,omitempty"`
	Label         *Label    `json:"label"`
	Hops          int       `json:"hops"`
	Path          []Hop     `json:"path"`
	Confirmations int       `json:"confirmations"`
	Time          time.Time `json:"time"`
	Retracts      *uint64   `json:"retracts"`
	// Added fields (docs/interface.md allows additions).
	Confirms *uint64 `json:"confirms,omitempty"` // for alert.confirmed: the seq confirmed
	Finding  string  `json:"finding,omitempty"`  // the tracer finding id
	Pending  bool    `json:"pending,omitempty"`  // raised from the mempool
	// Tenants that may see this alert beyond admins: owners of the
	// labelled entry, of the incident, of the treasury. Not serialised
	// to subscribers.
	Audience []string `json:"-"`
}

// MarshalIndent is a helper for printing.
func (a Alert) String() string {
	b, _ := json.Marshal(a)
	return string(b)
}
