package tracer

import (
	"slices"
	"strings"

	"github.com/chainhound/chainhound/watchlists"
)

// This file is the one place where the engine reads what the watchlist
// entries at an address mean, by the rule of docs/architecture.md "Trust between
// tenants" (docs/security.md):
//
//   - a tenant's own (untrusted) entry raises that tenant's alert and
//     nothing else: it neither parks taint nor drives a recogniser, and the
//     incident's owner is not told of it;
//   - only trusted entries (shipped, the operator's, an admin's, learned
//     with evidence) park taint at a service, and each kind's trusted
//     entry is what the incident's owner is told;
//   - a trusted sanctioned entry is always reported, whatever else the
//     address carries;
//   - nothing depends on the order the entries were added or loaded in.

// Audience says who besides admins is told of a finding.
type Audience uint8

const (
	// AudienceAll: the owner of the finding's label and of its incident.
	AudienceAll Audience = iota
	// AudienceLabelOwner: the label's owner alone. The finding comes from
	// a tenant's own entry, which tells nobody else.
	AudienceLabelOwner
	// AudienceIncidentOwner: the incident's owner alone. The incident was
	// opened from a tenant's own treasury entry (watchlists.Incident.Private).
	AudienceIncidentOwner
)

// report is one finding that the entries at a receiving address raise.
type report struct {
	entry    *watchlists.Entry
	audience Audience
}

// serviceKinds are the kinds that raise a taint finding at the receiver,
// in the order their findings are raised; the first trusted one of the
// last three parks the taint.
var serviceKinds = [...]watchlists.Kind{watchlists.Sanctioned, watchlists.Exchange, watchlists.Mixer, watchlists.Bridge}

// receiverOf sorts out the entries es of an address that received taint of
// inc: the trusted service entry where the taint is parked (nil: it goes
// on), and the findings to raise, in a fixed order (by kind, the trusted
// entry first, then the other owners by name).
func receiverOf(es []watchlists.Entry, inc *incident) (service *watchlists.Entry, reports []report) {
	if len(es) == 0 {
		return nil, nil
	}
	private := inc != nil && inc.def.Private
	for _, kind := range serviceKinds {
		var told *watchlists.Entry // the trusted entry the incident's owner is told
		var own []*watchlists.Entry
		for i := range es {
			e := &es[i]
			switch {
			case e.Kind != kind:
			case e.Trusted() && (told == nil || e.Owner < told.Owner):
				if told != nil {
					own = append(own, told)
				}
				told = e
			default:
				own = append(own, e)
			}
		}
		if told != nil {
			reports = append(reports, report{entry: clone(told), audience: AudienceAll})
			if service == nil && kind != watchlists.Sanctioned {
				service = reports[len(reports)-1].entry
			}
		}
		if private {
			continue // a private incident tells its owner alone
		}
		slices.SortFunc(own, func(a, b *watchlists.Entry) int { return strings.Compare(a.Owner, b.Owner) })
		for _, e := range own {
			if e.Owner != "" { // an operator's entry that is not trusted tells nobody
				reports = append(reports, report{entry: clone(e), audience: AudienceLabelOwner})
			}
		}
	}
	return service, reports
}

// reportsAt reports whether es holds an entry that raises a finding when
// taint reaches its address (some owner's exchange, mixer, bridge or
// sanctioned entry).
func reportsAt(es []watchlists.Entry) bool {
	for i := range es {
		if slices.Contains(serviceKinds[:], es[i].Kind) {
			return true
		}
	}
	return false
}

func clone(e *watchlists.Entry) *watchlists.Entry {
	c := *e
	return &c
}

// ofKindByOwner returns copies of the entries of kind in es, one per
// owner, sorted by owner ("" for the operator's own first).
func ofKindByOwner(es []watchlists.Entry, kind watchlists.Kind) []*watchlists.Entry {
	var out []*watchlists.Entry
	for i := range es {
		if es[i].Kind == kind {
			out = append(out, clone(&es[i]))
		}
	}
	slices.SortFunc(out, func(a, b *watchlists.Entry) int { return strings.Compare(a.Owner, b.Owner) })
	return out
}

// ownsKind reports whether es holds an entry of kind owned by owner.
func ownsKind(es []watchlists.Entry, kind watchlists.Kind, owner string) bool {
	for i := range es {
		if es[i].Kind == kind && es[i].Owner == owner {
			return true
		}
	}
	return false
}

// knownTo reports whether es tells owner anything: a trusted entry, or
// one of owner's own.
func knownTo(es []watchlists.Entry, owner string) bool {
	for i := range es {
		if es[i].Trusted() || es[i].Owner == owner {
			return true
		}
	}
	return false
}

// firstClaim reports whether the treasury entry tr, among the entries es
// of its address, is the claim whose automatic incidents tell other
// tenants (exchanges) of the taint: a trusted entry; else, when no trusted
// treasury entry is held there, the earliest of the tenants' own claims
// (then the owner's name). The incidents of every other claim are private
// to their owner, so that claiming another tenant's treasury changes
// nothing anybody else receives (docs/security.md).
func firstClaim(es []watchlists.Entry, tr *watchlists.Entry) bool {
	if tr.Trusted() {
		return true
	}
	for i := range es {
		e := &es[i]
		if e.Kind != watchlists.Treasury || e.Owner == tr.Owner {
			continue
		}
		if e.Trusted() || e.Added.Before(tr.Added) || e.Added.Equal(tr.Added) && e.Owner < tr.Owner {
			return false
		}
	}
	return true
}
