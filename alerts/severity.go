package alerts

import (
	"fmt"
	"math/big"

	"github.com/chainhound/chainhound/chains"
)

// SeverityTable decides an alert's severity from its type, amount, share
// and confidence. The steps, in order:
//
//  1. Base[type] (a type absent from Base is medium).
//  2. The first Amount rule whose Type, Chain and Asset match and whose Min
//     the amount reaches replaces it. The amount is the tainted part for
//     taint.* alerts and the whole transfer for treasury.* alerts.
//  3. For taint.* alerts with a share below a Share rule's Below, the
//     first such rule (list them by ascending Below) lowers the severity
//     by Steps; then a confidence below LowConfidence lowers it one more.
//     Never below info. A share of 0 means unknown and lowers nothing.
//
// DefaultSeverityTable is:
//
//	type                     base      adjustments
//	taint.exchange_deposit   critical  share < 0.0001: −2, share < 0.01: −1
//	taint.sanctioned         critical  same share rules
//	taint.mixer_deposit      high      same share rules
//	taint.mixer_withdrawal   high      same share rules; confidence < 0.5: −1
//	taint.bridge             high      same share rules
//	taint.coinjoin           high      same share rules
//	treasury.drain           critical
//	treasury.outflow         medium    ≥ 100 ETH or ≥ 5 BTC: high; < 0.01 ETH or < 100000 sat: low
type SeverityTable struct {
	Base          map[string]string `yaml:"base"`
	Amount        []AmountRule      `yaml:"amount"`
	Share         []ShareRule       `yaml:"share"`
	LowConfidence float64           `yaml:"low_confidence"`
}

// AmountRule sets the severity of alerts of Type on Chain in Asset (the
// token contract, "" for the native asset) whose amount is at least Min
// (a decimal integer in the smallest unit; "0" matches every amount) and,
// when Below is set, less than Below.
type AmountRule struct {
	Type     string       `yaml:"type"`
	Chain    chains.Chain `yaml:"chain"`
	Asset    string       `yaml:"asset"`
	Min      string       `yaml:"min"`
	Below    string       `yaml:"below"`
	Severity string       `yaml:"severity"`

	min, below *big.Int
}

// ShareRule lowers a taint alert's severity by Steps when its share is
// below Below.
type ShareRule struct {
	Below float64 `yaml:"below"`
	Steps int     `yaml:"steps"`
}

// DefaultSeverityTable returns the table documented on SeverityTable,
// validated (its amounts parsed), so that every user of it — the daemon's
// raiser, replay — decides the same severities.
func DefaultSeverityTable() SeverityTable {
	t := SeverityTable{
		Base: map[string]string{
			TypeExchangeDeposit: Critical,
			TypeSanctioned:      Critical,
			TypeMixerDeposit:    High,
			TypeMixerWithdrawal: High,
			TypeBridge:          High,
			TypeCoinJoin:        High,
			TypeTreasuryDrain:   Critical,
			TypeTreasuryOutflow: Medium,
			TypeIncidentFailed:  High,
		},
		Amount: []AmountRule{
			{Type: TypeTreasuryOutflow, Chain: chains.Ethereum, Min: "100000000000000000000", Severity: High},
			{Type: TypeTreasuryOutflow, Chain: chains.Bitcoin, Min: "500000000", Severity: High},
			{Type: TypeTreasuryOutflow, Chain: chains.Ethereum, Min: "0", Below: "10000000000000000", Severity: Low},
			{Type: TypeTreasuryOutflow, Chain: chains.Bitcoin, Min: "0", Below: "100000", Severity: Low},
		},
		Share:         []ShareRule{{Below: 0.0001, Steps: 2}, {Below: 0.01, Steps: 1}},
		LowConfidence: 0.5,
	}
	if err := t.Validate(); err != nil {
		panic("alerts: the default severity table is invalid: " + err.Error())
	}
	return t
}

// Validate checks the table, naming the first bad field, and parses its
// amounts. A table must be validated before use.
func (t *SeverityTable) Validate() error {
	for typ, sev := range t.Base {
		if !knownTypes[typ] {
			return fmt.Errorf("severity table: base: unknown alert type %q", typ)
		}
		if !ValidSeverity(sev) {
			return fmt.Errorf("severity table: base[%s]: unknown severity %q", typ, sev)
		}
	}
	for i := range t.Amount {
		r := &t.Amount[i]
		if !knownTypes[r.Type] {
			return fmt.Errorf("severity table: amount[%d].type: unknown alert type %q", i, r.Type)
		}
		if _, err := chains.ParseChain(string(r.Chain)); err != nil {
			return fmt.Errorf("severity table: amount[%d].chain: %w", i, err)
		}
		if !ValidSeverity(r.Severity) {
			return fmt.Errorf("severity table: amount[%d].severity: unknown severity %q", i, r.Severity)
		}
		var ok bool
		if r.min, ok = new(big.Int).SetString(r.Min, 10); !ok || r.min.Sign() < 0 {
			return fmt.Errorf("severity table: amount[%d].min: %q is not a non-negative decimal integer", i, r.Min)
		}
		r.below = nil
		if r.Below != "" {
			if r.below, ok = new(big.Int).SetString(r.Below, 10); !ok || r.below.Sign() <= 0 {
				return fmt.Errorf("severity table: amount[%d].below: %q is not a positive decimal integer", i, r.Below)
			}
		}
	}
	for i, s := range t.Share {
		if s.Below <= 0 || s.Below > 1 {
			return fmt.Errorf("severity table: share[%d].below: %v is not in (0, 1]", i, s.Below)
		}
		if s.Steps < 0 || s.Steps > 4 {
			return fmt.Errorf("severity table: share[%d].steps: %d is not in 0..4", i, s.Steps)
		}
	}
	if t.LowConfidence < 0 || t.LowConfidence > 1 {
		return fmt.Errorf("severity table: low_confidence: %v is not in [0, 1]", t.LowConfidence)
	}
	return nil
}

// Severity returns the severity of an alert of type typ on chain moving
// amount of asset (contract, "" for native) with share and confidence.
func (t *SeverityTable) Severity(typ string, chain chains.Chain, asset string, amount *big.Int, share, confidence float64) string {
	sev, ok := t.Base[typ]
	if !ok {
		sev = Medium
	}
	if amount != nil {
		for _, r := range t.Amount {
			if r.Type != typ || r.Chain != chain || r.Asset != asset || r.min == nil {
				continue
			}
			if amount.Cmp(r.min) >= 0 && (r.below == nil || amount.Cmp(r.below) < 0) {
				sev = r.Severity
				break
			}
		}
	}
	if !isTaint(typ) {
		return sev
	}
	rank := severityRank[sev]
	for _, s := range t.Share {
		if share > 0 && share < s.Below { // 0: share unknown
			rank += s.Steps
			break
		}
	}
	if confidence < t.LowConfidence {
		rank++
	}
	if rank >= len(Severities) {
		rank = len(Severities) - 1
	}
	return Severities[rank]
}

func isTaint(typ string) bool {
	switch typ {
	case TypeExchangeDeposit, TypeSanctioned, TypeMixerDeposit, TypeMixerWithdrawal, TypeBridge, TypeCoinJoin:
		return true
	}
	return false
}
