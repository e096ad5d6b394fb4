package tracer

import (
	"fmt"
	"strings"
)

// DOT renders the graph in Graphviz DOT: one node per address (with its
// label and the taint it still holds or that was parked there), one edge
// per hop labelled with the hop number and the exact tainted amount in the
// asset's units.
func (g *FlowGraph) DOT() string {
	var b strings.Builder
	title := "incident " + g.Incident
	if g.Tx != "" {
		title = string(g.Chain) + " tx " + g.Tx
	}
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote("chainhound trace"))
	fmt.Fprintf(&b, "  label=%s;\n  labelloc=t;\n  rankdir=LR;\n", dotQuote(title+" ("+string(g.Policy)+")"))
	b.WriteString("  node [shape=box, fontname=\"monospace\"];\n  edge [fontname=\"monospace\"];\n")
	for _, n := range g.Nodes {
		lines := []string{n.Address}
		attrs := ""
		for _, l := range n.Labels {
			line := string(l.Kind)
			if l.Label != "" {
				line += ": " + l.Label
			}
			lines = append(lines, line)
			attrs = ", style=filled, fillcolor=" + dotQuote(kindColour(string(l.Kind)))
		}
		for _, h := range n.Held {
			lines = append(lines, "holds "+h.Formatted)
		}
		for _, p := range n.Parked {
			lines = append(lines, "received "+p.Formatted)
		}
		fmt.Fprintf(&b, "  %s [label=%s%s];\n", dotQuote(n.Address), dotQuote(strings.Join(lines, "\n")), attrs)
	}
	for _, e := range g.Edges {
		label := fmt.Sprintf("hop %d: %s\ntx %s\nblock %d", e.Hop, e.Formatted, shortHash(e.Tx), e.Block)
		fmt.Fprintf(&b, "  %s -> %s [label=%s, tooltip=%s];\n", dotQuote(e.From), dotQuote(e.To), dotQuote(label), dotQuote(e.Tx))
	}
	b.WriteString("}\n")
	return b.String()
}

// dotQuote writes s as a DOT quoted string (newlines become \n).
func dotQuote(s string) string {
	return `"` + dotEscaper.Replace(s) + `"`
}

var dotEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")

func shortHash(h string) string {
	if len(h) <= 18 {
		return h
	}
	return h[:10] + "…" + h[len(h)-6:]
}

func kindColour(kind string) string {
	switch kind {
	case "exchange":
		return "lightblue"
	case "mixer", "sanctioned":
		return "lightcoral"
	case "bridge":
		return "khaki"
	}
	return "lightgrey"
}
