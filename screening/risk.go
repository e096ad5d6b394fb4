package screening

import (
	"fmt"
	"slices"
	"strings"
)

// Category is a kind of bad funds.
type Category string

// Categories, the most serious first.
const (
	DPRK       Category = "dprk"
	Sanctioned Category = "sanctioned"
	Stolen     Category = "stolen"
	Mixer      Category = "mixer"
	Bridge     Category = "bridge"
)

// Categories lists every category, the most serious first.
var Categories = []Category{DPRK, Sanctioned, Stolen, Mixer, Bridge}

// Risk levels, the highest first.
const (
	Severe = "severe"
	High   = "high"
	Medium = "medium"
	Low    = "low"
	None   = "none"
)

// Levels lists the risk levels, the highest first.
var Levels = []string{Severe, High, Medium, Low, None}

func levelRank(l string) int {
	if i := slices.Index(Levels, l); i >= 0 {
		return i
	}
	return len(Levels)
}

// RiskTable gives, per category, the risk of an exposure at 0 hops (the
// address is listed or holds the taint itself), 1 hop, 2 hops, …; past
// the end of a row the last level holds.
type RiskTable map[Category][]string

// DefaultRisk is the table docs/interface.md documents: DPRK-attributed
// and sanctioned funds are severe up to one hop (paid straight from such
// an address) and high at two; stolen funds likewise one step lower past
// the holder; mixers and bridges lower still.
var DefaultRisk = RiskTable{
	DPRK:       {Severe, Severe, High},
	Sanctioned: {Severe, Severe, High},
	Stolen:     {Severe, High, Medium},
	Mixer:      {High, Medium, Low},
	Bridge:     {Medium, Low, Low},
}

// Level returns the risk of an exposure of category c at hops.
func (t RiskTable) Level(c Category, hops int) string {
	row := t[c]
	if len(row) == 0 {
		row = DefaultRisk[c]
	}
	if len(row) == 0 {
		return None
	}
	return row[min(hops, len(row)-1)]
}

// Validate checks that every category and level is known.
func (t RiskTable) Validate() error {
	for c, row := range t {
		if !slices.Contains(Categories, c) {
			return fmt.Errorf("unknown category %q (want %s)", c, joinCats())
		}
		if len(row) == 0 {
			return fmt.Errorf("%s: no levels (want a list, 0 hops first)", c)
		}
		for i, l := range row {
			if !slices.Contains(Levels, l) {
				return fmt.Errorf("%s[%d]: unknown risk %q (want %s)", c, i, l, strings.Join(Levels, ", "))
			}
		}
	}
	return nil
}

func joinCats() string {
	s := make([]string, len(Categories))
	for i, c := range Categories {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}
