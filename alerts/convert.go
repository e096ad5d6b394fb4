package alerts

import (
	"context"
	"math"
	"math/big"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/ethereum/go-ethereum/common"
)

// alertOf converts a finding to its alert with its audience (Seq
// unassigned).
func (r *Raiser) alertOf(ctx context.Context, f *tracer.Finding) (Alert, error) {
	aud, err := r.audience(ctx, f)
	if err != nil {
		return Alert{}, err
	}
	a := AlertOf(f, r.sev)
	a.Audience = aud
	return a, nil
}

// Raisable reports whether f is raised as an alert: its type is an alert
// type, and not one the Raiser writes itself (alert.confirmed,
// alert.retracted). The tracer's other findings (taint.left, …) are
// logged, not alerts.
func Raisable(f *tracer.Finding) bool {
	return knownTypes[string(f.Type)] && f.Type != TypeConfirmed && f.Type != TypeRetracted
}

// AlertOf converts a finding to the docs/interface.md alert that the daemon
// raises for it (Seq and audience unassigned), with severities from sev;
// `chainhound replay` prints the same. Callers skip findings whose type is
// not Raisable.
func AlertOf(f *tracer.Finding, sev *SeverityTable) Alert {
	amountForSeverity := f.Tainted
	if !isTaint(string(f.Type)) || amountForSeverity == nil {
		amountForSeverity = f.Amount
	}
	conf := f.Confidence
	if conf <= 0 {
		conf = 1.0 // exact tracking
	}
	a := Alert{
		Type:        string(f.Type),
		Severity:    sev.Severity(string(f.Type), f.Chain, f.Asset.Key(), amountForSeverity, f.Share, conf),
		Chain:       string(f.Chain),
		Tx:          f.Tx,
		Index:       f.Index,
		From:        address(f.Chain, f.From),
		To:          address(f.Chain, f.To),
		Asset:       &Asset{Symbol: f.Asset.Symbol, Decimals: f.Asset.Decimals},
		Amount:      decimal(f.Amount),
		Tainted:     decimal(f.Tainted),
		Share:       displayShare(f.Share),
		Confidence:  conf,
		Heuristics:  f.Heuristics,
		Provisional: f.Provisional,
		Reason:      f.Reason,
		Dest:        destOf(f.Dest),
		Incident:    f.Incident,
		Hops:        f.Hops,
		Path:        make([]Hop, len(f.Path)),
		Time:        f.Time.UTC(),
		Finding:     f.ID,
		Pending:     f.Pending,
	}
	if f.Asset.Contract != "" {
		c := address(f.Chain, f.Asset.Contract)
		a.Asset.Contract = &c
	}
	if !f.Pending && f.Block.Hash != "" {
		a.Block = &BlockRef{Number: f.Block.Number, Hash: f.Block.Hash}
	}
	if a.Time.IsZero() {
		if !f.Block.Time.IsZero() {
			a.Time = f.Block.Time.UTC()
		} else {
			a.Time = time.Now().UTC().Truncate(time.Second)
		}
	}
	if f.Label != nil {
		a.Label = &Label{Kind: string(f.Label.Kind), Name: f.Label.Label, Owner: f.Label.Owner}
	}
	for i, h := range f.Path {
		a.Path[i] = Hop{Chain: string(h.Chain), Tx: h.Tx, From: address(h.Chain, h.From), To: address(h.Chain, h.To), Amount: decimal(h.Amount), Confidence: h.Confidence}
		if h.Via != nil {
			a.Path[i].Via = &Via{Kind: string(h.Via.Kind), Protocol: h.Via.Protocol, Label: h.Via.Label}
		}
	}
	return a
}

// address renders addr as docs/interface.md wants: EIP-55 on Ethereum (when it
// is a hex address), unchanged elsewhere.
func address(chain chains.Chain, addr string) string {
	if chain == chains.Ethereum && common.IsHexAddress(addr) {
		return common.HexToAddress(addr).Hex()
	}
	return addr
}

// decimal renders an amount in the smallest unit; nil is "0".
func decimal(v *big.Int) string {
	if v == nil {
		return "0"
	}
	return v.String()
}

func destOf(d *tracer.Dest) *Dest {
	if d == nil {
		return nil
	}
	return &Dest{Chain: d.Chain, Address: d.Address, Asset: d.Asset}
}

// displayShare is a share as an alert shows it: a display ratio to six
// decimals (JSON never writes it as 4.3e-57); a share too small for that
// but not zero is 0.000001, so it still reads as known and tiny.
func displayShare(s float64) float64 {
	if !(s > 0) {
		return 0
	}
	r := math.Round(s*1e6) / 1e6
	if r == 0 {
		return 1e-6
	}
	return r
}
