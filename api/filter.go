package api

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/chains"
)

// Filter selects alerts for a subscriber or a REST page. Empty fields
// match everything. Visibility (the key's tenant) is applied on top.
type Filter struct {
	Types       map[string]bool
	Chains      map[chains.Chain]bool
	Incident    string
	Owner       string // the label's owner (an exchange or company tenant)
	Label       string // the label's name
	MinSeverity string
	// Statuses are the caller's triage statuses to match (MatchStatus);
	// Match does not look at them.
	Statuses map[string]bool
}

// MatchStatus reports whether an alert whose triage status (for the
// caller's tenant) is status passes f.
func (f *Filter) MatchStatus(status string) bool {
	return len(f.Statuses) == 0 || f.Statuses[status]
}

// Match reports whether a passes f.
func (f *Filter) Match(a *alerts.Alert) bool {
	if len(f.Types) > 0 && !f.Types[a.Type] {
		return false
	}
	if len(f.Chains) > 0 && !f.Chains[chains.Chain(a.Chain)] {
		return false
	}
	if f.Incident != "" && a.Incident != f.Incident {
		return false
	}
	if f.Owner != "" && (a.Label == nil || a.Label.Owner != f.Owner) {
		return false
	}
	if f.Label != "" && (a.Label == nil || a.Label.Name != f.Label) {
		return false
	}
	if f.MinSeverity != "" && !alerts.AtLeast(a.Severity, f.MinSeverity) {
		return false
	}
	return true
}

// filterParams are the query parameters ParseFilter reads.
var filterParams = map[string]bool{"type": true, "chain": true, "incident": true, "owner": true, "label": true, "min_severity": true, "status": true}

// ParseFilter reads type (repeatable, or comma-separated), chain
// (likewise), incident, owner, label, min_severity and status (triage,
// like type) from q. An unknown
// value is an *Error naming the parameter. extra lists the other
// parameters the endpoint accepts; anything else is refused too.
func ParseFilter(q url.Values, extra ...string) (Filter, *Error) {
	var f Filter
	for name := range q {
		if !filterParams[name] && !slices.Contains(extra, name) {
			return f, unknownParam(CodeInvalidFilter, name)
		}
	}
	for _, t := range splitAll(q["type"]) {
		if !alerts.ValidType(t) {
			return f, Errorf(CodeInvalidFilter, "type", "unknown alert type %q (want one of %s)", t, strings.Join(alerts.Types, ", "))
		}
		if f.Types == nil {
			f.Types = map[string]bool{}
		}
		f.Types[t] = true
	}
	for _, c := range splitAll(q["chain"]) {
		ch, err := chains.ParseChain(c)
		if err != nil {
			return f, Errorf(CodeInvalidFilter, "chain", "%v", err)
		}
		if f.Chains == nil {
			f.Chains = map[chains.Chain]bool{}
		}
		f.Chains[ch] = true
	}
	if v := q.Get("incident"); v != "" {
		if !strings.HasPrefix(v, "inc_") || len(v) > 64 {
			return f, Errorf(CodeInvalidFilter, "incident", "invalid incident id %q (want inc_…)", v)
		}
		f.Incident = v
	}
	if v := q.Get("owner"); v != "" {
		if err := ValidTenant(v); err != nil {
			return f, Errorf(CodeInvalidFilter, "owner", "%v", err)
		}
		f.Owner = v
	}
	if v := q.Get("label"); v != "" {
		if len(v) > 200 {
			return f, Errorf(CodeInvalidFilter, "label", "label longer than 200 bytes")
		}
		f.Label = v
	}
	for _, st := range splitAll(q["status"]) {
		if !alerts.ValidStatus(st) {
			return f, Errorf(CodeInvalidFilter, "status", "unknown triage status %q (want one of %s)", st, strings.Join(alerts.Statuses, ", "))
		}
		if f.Statuses == nil {
			f.Statuses = map[string]bool{}
		}
		f.Statuses[st] = true
	}
	if v := q.Get("min_severity"); v != "" {
		if !alerts.ValidSeverity(v) {
			return f, Errorf(CodeInvalidFilter, "min_severity", "unknown severity %q (want %s)", v, strings.Join(alerts.Severities, ", "))
		}
		f.MinSeverity = v
	}
	return f, nil
}

// unknownParam refuses a query parameter the endpoint does not read; one
// without a name ("?=x", "?&=") is named by the field "query".
func unknownParam(code Code, name string) *Error {
	if name == "" {
		return Errorf(code, "query", "a query parameter without a name")
	}
	return Errorf(code, name, "unknown parameter %q", name)
}

// parseSeq reads an unsigned sequence parameter (0 when absent).
func parseSeq(q url.Values, name string) (uint64, *Error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, Errorf(CodeInvalidFilter, name, "%s=%q is not a sequence number", name, v)
	}
	return n, nil
}

// checkSince refuses a since beyond head, the last seq of the alert log:
// such a client would wait, silently, for alerts it has "seen" already.
func checkSince(since, head uint64) *Error {
	if since > head {
		return Errorf(CodeInvalidFilter, "since", "since=%d is beyond the alert log's head %d; resume from a seq you received (at most %d)", since, head, head)
	}
	return nil
}

func splitAll(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (f Filter) String() string {
	return fmt.Sprintf("types=%d chains=%d incident=%q owner=%q label=%q min_severity=%q statuses=%d",
		len(f.Types), len(f.Chains), f.Incident, f.Owner, f.Label, f.MinSeverity, len(f.Statuses))
}
