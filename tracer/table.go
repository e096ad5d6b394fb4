package tracer

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/chainhound/chainhound/watchlists"
)

// Write writes the graph as format says: "json" (indented), "dot"
// (DOT) or "table" (WriteTable), as `chainhound trace --format` does.
func (g *FlowGraph) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(g)
	case "dot":
		_, err := io.WriteString(w, g.DOT())
		return err
	}
	return g.WriteTable(w)
}

// WriteTable writes the graph for people, as `chainhound trace` prints
// it: the hops, the findings, and where the taint still sits, in aligned
// columns.
func (g *FlowGraph) WriteTable(w io.Writer) error {
	var stolen []string
	for _, s := range g.Stolen {
		stolen = append(stolen, s.Formatted)
	}
	if len(stolen) == 0 {
		stolen = []string{"nothing (the transaction moved no value out of its sender)"}
	}
	fmt.Fprintf(w, "%s tx %s: %s, max %d hops, blocks %d..%d\nstolen: %s\n\n", g.Chain, g.Tx, g.Policy, g.MaxHops, g.FromBlock, g.ToBlock, strings.Join(stolen, ", "))
	labels := map[string]string{}
	for _, n := range g.Nodes {
		var ls []string
		for _, l := range n.Labels {
			s := string(l.Kind)
			if l.Label != "" {
				s += ": " + l.Label
			}
			ls = append(ls, s)
		}
		labels[n.Address] = watchlists.Printable(strings.Join(ls, "; ")) // stored text may predate CheckText
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOP\tBLOCK\tTX\tFROM\tTO\tTAINTED\tLABEL")
	for _, e := range g.Edges {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", e.Hop, e.Block, e.Tx, e.From, e.To, e.Formatted, labels[e.To])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(g.Findings) > 0 {
		fmt.Fprintln(w, "\nfindings:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tBLOCK\tTX\tTO\tTAINTED\tSHARE\tHOPS\tLABEL")
		for _, f := range g.Findings {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\n", f.Type, f.Block, f.Tx, f.To, f.Formatted, percent(f.Share), f.Hops, labels[f.To])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "\nstill held:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tTAINTED\tLABEL")
	held := 0
	for _, n := range g.Nodes {
		for _, h := range n.Held {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", n.Address, h.Formatted, labels[n.Address])
			held++
		}
	}
	if held == 0 {
		fmt.Fprintln(tw, "(none tracked)\t\t")
	}
	return tw.Flush()
}

// percent is a share as a table shows it: "12.34%", "<0.01%" for a tiny
// one (never 4.3e-57), "-" for none.
func percent(s float64) string {
	switch {
	case !(s > 0):
		return "-"
	case s < 0.0001:
		return "<0.01%"
	}
	return fmt.Sprintf("%.2f%%", 100*s)
}
