package tracer

import (
	"math/big"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

// FindingType names what the engine found. The strings are the alert types
// of docs/interface.md.
type FindingType string

const (
	ExchangeDeposit FindingType = "taint.exchange_deposit"
	MixerDeposit    FindingType = "taint.mixer_deposit"
	MixerWithdrawal FindingType = "taint.mixer_withdrawal"
	BridgeDeposit   FindingType = "taint.bridge"
	// CoinJoinHit: tainted coins entered a CoinJoin (a mixing node).
	CoinJoinHit     FindingType = "taint.coinjoin"
	SanctionedHit   FindingType = "taint.sanctioned"
	TreasuryOutflow FindingType = "treasury.outflow"
	TreasuryDrain   FindingType = "treasury.drain"
	// IncidentFailed: an incident's catch-up stopped on an error (its
	// reason in the finding's Reason); the incident is not followed.
	IncidentFailed FindingType = "incident.failed"
	// TaintLeft: taint left what chainhound follows (another chain it does
	// not follow, a burn, an unspendable output).
	TaintLeft FindingType = "taint.left"
)

// Hop is one step of a finding's path back to the seed, oldest first.
type Hop struct {
	Chain  chains.Chain `json:"chain"`
	Tx     string       `json:"tx"`
	From   string       `json:"from"`
	To     string       `json:"to"`
	Amount *big.Int     `json:"amount"` // tainted amount carried by this hop
	Block  uint64       `json:"block,omitempty"`
	// Via names the mixer or bridge this hop came out of (a recogniser's
	// move: From is the service); nil for an ordinary transfer.
	Via *Via `json:"via,omitempty"`
	// Confidence of this hop when below 1 (a heuristic link); 0: certain.
	Confidence float64 `json:"confidence,omitempty"`
}

// Dest is where a bridge or swap deposit goes, as its event or memo says:
// Chain in chainhound's names where one exists (ethereum, bitcoin), else
// the bridge's own name in lower case; Asset in the bridge's notation.
type Dest struct {
	Chain   string `json:"chain"`
	Address string `json:"address,omitempty"`
	Asset   string `json:"asset,omitempty"`
}

// Via is the service a hop went through.
type Via struct {
	Kind     watchlists.Kind `json:"kind"`
	Protocol string          `json:"protocol,omitempty"`
	Label    string          `json:"label,omitempty"`
}

// Finding is what the engine reports: where stolen (or watched) value went,
// how much of it and by what path.
type Finding struct {
	// ID is deterministic: the same events give the same IDs, so a
	// retraction names exactly what it withdraws.
	ID      string
	Type    FindingType
	Chain   chains.Chain
	Block   chains.BlockRef
	Tx      string
	Index   int // the transaction's index in its block
	From    string
	To      string
	Asset   chains.Asset
	Amount  *big.Int // the whole transfer
	Tainted *big.Int // its tainted part (nil for treasury findings)
	Share   float64  // Tainted / what the incident stole, for display
	// Confidence is the product of the confidences of the hops of Path
	// (1 when every link is certain).
	Confidence float64
	// Heuristics lists the linking heuristics of a mixer withdrawal.
	Heuristics []string
	// Provisional: a mixer withdrawal's share and links were computed
	// before the pool's history was known (its bootstrap is under way).
	Provisional bool
	// Dest is a bridge deposit's destination, when a recogniser knows it.
	Dest     *Dest
	Incident string
	// Label is the entry of the address that made this a finding (the
	// receiver for taint findings, the treasury for treasury findings).
	Label *watchlists.Entry
	// Audience says who besides admins is told of it.
	Audience Audience
	// Known is true when a treasury outflow's destination is labelled by
	// a trusted entry or by the treasury's owner.
	Known   bool
	Hops    int
	Path    []Hop
	Time    time.Time
	Pending bool // raised from a mempool transaction, not yet in a block
	// Reason says why, for an incident.failed finding.
	Reason string
}
