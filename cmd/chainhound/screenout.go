package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/watchlists"
)

// exposureSummary is a result's exposures in one cell: "dprk (2 hops)".
func exposureSummary(r screening.Result) string {
	var parts []string
	for _, e := range append(append([]screening.Exposure(nil), r.Direct...), r.Indirect...) {
		if e.Hops == 0 {
			parts = append(parts, fmt.Sprintf("%s (listed: %s)", e.Category, e.Label))
		} else {
			parts = append(parts, fmt.Sprintf("%s (%d hops from %s)", e.Category, e.Hops, e.Label))
		}
	}
	return strings.Join(parts, "; ")
}

// pathSummary is the nearest indirect exposure's path: a → b → c.
func pathSummary(r screening.Result) string {
	if len(r.Indirect) == 0 || len(r.Indirect[0].Path) == 0 {
		return ""
	}
	p := r.Indirect[0].Path
	s := []string{p[0].From}
	for _, h := range p {
		s = append(s, h.To)
	}
	return strings.Join(s, " -> ")
}

func writeScreen(w io.Writer, format string, in *screenInput, rs []screening.Result) error {
	switch format {
	case "json":
		return json.NewEncoder(w).Encode(struct {
			Results []screening.Result `json:"results"`
		}{rs})
	case "csv":
		cw := csv.NewWriter(w)
		header := in.header
		if header == nil {
			header = []string{"address"}
		}
		_ = cw.Write(append(append([]string(nil), header...), "risk", "exposure", "path"))
		for i, r := range rs {
			row := []string{in.addrs[i]}
			if in.rows != nil {
				row = in.rows[i]
			}
			_ = cw.Write(append(append([]string(nil), row...), r.Risk, exposureSummary(r), pathSummary(r)))
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tRISK\tEXPOSURE\tPATH")
	for _, r := range rs {
		p := watchlists.Printable
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Address, r.Risk, p(exposureSummary(r)), p(pathSummary(r)))
	}
	return tw.Flush()
}
