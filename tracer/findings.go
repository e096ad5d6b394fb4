package tracer

import (
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"strconv"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/holiman/uint256"
)

// FindingID is deterministic: the same chain, block, transaction, position,
// incident and type give the same id.
func FindingID(chain chains.Chain, blockHash, tx string, index, seq int, incident string, typ FindingType) string {
	h := sha256.New()
	for _, s := range []string{string(chain), blockHash, tx, strconv.Itoa(index), strconv.Itoa(seq), incident, string(typ)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "f_" + hex.EncodeToString(h.Sum(nil)[:16])
}

// newFinding is the finding of type typ on chain c that scope (the
// incident, or the incident and the tenant told) is told of, about the
// seq-th movement of tx (nil: none) in the block of hash block; its ID is
// FindingID's of these. The caller fills in the rest; every finding starts
// here.
func newFinding(typ FindingType, c chains.Chain, block string, tx *chains.Tx, seq int, scope string) Finding {
	f := Finding{Type: typ, Chain: c}
	if tx != nil {
		f.Tx, f.Index = tx.Hash, tx.Index
	}
	f.ID = FindingID(c, block, f.Tx, f.Index, seq, scope, typ)
	return f
}

// transferFinding is the finding of type typ about a transfer of amt of
// asset from from to to, the seq-th movement of tx in the block being
// applied, told to scope (see newFinding).
func (ap *applier) transferFinding(typ FindingType, tx *chains.Tx, seq int, scope, from, to string, asset chains.Asset, amt *uint256.Int) Finding {
	f := newFinding(typ, ap.cs.chain, ap.b.Ref.Hash, tx, seq, scope)
	f.Block, f.Time = ap.b.Ref, ap.b.Ref.Time
	f.From, f.To, f.Asset, f.Amount = from, to, asset, amt.ToBig()
	return f
}

// pathOf returns the hops from the seed to h, oldest first.
func (a *arena) pathOf(h hopID) []Hop {
	n := 0
	for p := h; p != 0; p = a.hop(p).parent {
		n++
	}
	out := make([]Hop, n)
	for p := h; p != 0; p = a.hop(p).parent {
		n--
		hp := a.hop(p)
		amt := a.get(hp.amt)
		out[n] = Hop{Chain: a.chainOf(p), Tx: a.txs[hp.tx], From: a.from(p), To: hp.to.String(), Amount: amt.ToBig(), Block: uint64(hp.block)}
		if hp.doubt != 0 {
			out[n].Confidence = confidenceOf(hp.doubt)
		}
		if int(hp.seq) >= moveSeq(0, 0) {
			out[n].Via = &Via{} // filled in by the caller, who has the labels
		}
	}
	return out
}

// pathConfidence is the product of the confidences of path's hops.
func pathConfidence(path []Hop) float64 {
	c := 1.0
	for _, h := range path {
		if h.Confidence > 0 {
			c *= h.Confidence
		}
	}
	return c
}

// nameVias fills in the service of each hop of path that came out of one,
// from its trusted mixer or bridge entry.
func (e *Engine) nameVias(path []Hop) {
	for i := range path {
		if path[i].Via == nil {
			continue
		}
		v := &Via{Kind: watchlists.Mixer}
		// A bridge's payout hop is on the payout's chain and comes out of
		// the bridge on the inbound's: its entry may be on either.
		for _, c := range []chains.Chain{path[i].Chain, chains.Ethereum, chains.Bitcoin} {
			if w := e.serviceVia(c, path[i].From); w != nil {
				v = w
				break
			}
		}
		path[i].Via = v
	}
}

// serviceVia names addr's trusted mixer or bridge entry on chain (nil:
// none).
func (e *Engine) serviceVia(chain chains.Chain, addr string) *Via {
	if e.deps.Labels == nil {
		return nil
	}
	for _, en := range e.deps.Labels.Lookup(chain, addr) {
		if en.Trusted() && (en.Kind == watchlists.Mixer || en.Kind == watchlists.Bridge) {
			return &Via{Kind: en.Kind, Protocol: en.Protocol, Label: en.Label}
		}
	}
	return nil
}

// share is tainted ÷ what inc stole of the asset, for display.
// shareOf is share on the chain being applied: on another chain than the
// incident's (a bridge's payout) the units differ, and the share is
// unknown (0, which lowers no severity).
func (ap *applier) shareOf(inc *incident, asset string, tainted *uint256.Int) float64 {
	if ap.cs.chain != inc.def.Chain {
		return 0
	}
	return share(inc, asset, tainted)
}

func share(inc *incident, asset string, tainted *uint256.Int) float64 {
	st := inc.stolenOf(asset)
	if st == nil || st.IsZero() {
		return 0
	}
	a, _ := new(big.Float).SetInt(tainted.ToBig()).Float64()
	b, _ := new(big.Float).SetInt(st.ToBig()).Float64()
	return a / b
}

// finding records a taint finding of this block.
func (ap *applier) finding(typ FindingType, tx *chains.Tx, seq int, from, to string, asset chains.Asset, amt, tainted *uint256.Int, inc *incident, label *watchlists.Entry, aud Audience, via hopID) {
	scope := inc.def.ID
	if aud == AudienceAll && inc.def.Private {
		aud = AudienceIncidentOwner
	}
	if aud == AudienceLabelOwner {
		scope += "/" + label.Owner // one finding per tenant told
	}
	f := ap.transferFinding(typ, tx, seq, scope, from, to, asset, amt)
	f.Tainted = tainted.ToBig()
	f.Share = ap.shareOf(inc, asset.Key(), tainted)
	f.Confidence = 1
	f.Incident = inc.def.ID
	f.Label = label
	f.Audience = aud
	if via != 0 {
		f.Hops = int(ap.e.a.hop(via).depth)
		f.Path = ap.e.a.pathOf(via)
		ap.e.nameVias(f.Path)
		f.Confidence = pathConfidence(f.Path)
	}
	ap.findings = append(ap.findings, f)
}
