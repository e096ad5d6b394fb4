package watchlists

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/chainhound/chainhound/chains"
	"gopkg.in/yaml.v3"
)

// tagPack is the part of a GraphSense TagPack chainhound reads.
type tagPack struct {
	Title    string      `yaml:"title"`
	Label    string      `yaml:"label"`
	Category string      `yaml:"category"`
	Currency string      `yaml:"currency"`
	Network  string      `yaml:"network"`
	Source   string      `yaml:"source"`
	Actor    string      `yaml:"actor"`
	Abuse    string      `yaml:"abuse"`
	Tags     []yaml.Node `yaml:"tags"`
}

type tagPackTag struct {
	Address  string `yaml:"address"`
	Label    string `yaml:"label"`
	Category string `yaml:"category"`
	Currency string `yaml:"currency"`
	Network  string `yaml:"network"`
	Source   string `yaml:"source"`
	Actor    string `yaml:"actor"`
	Abuse    string `yaml:"abuse"`
}

// TagPackChain maps a TagPack currency/network to a chain ("" = not followed).
func TagPackChain(currency string) chains.Chain {
	switch strings.ToUpper(currency) {
	case "BTC":
		return chains.Bitcoin
	case "ETH":
		return chains.Ethereum
	}
	return ""
}

// TagPackKind maps a TagPack category/abuse to a kind ("" = no opinion).
func TagPackKind(category, abuse string) Kind {
	switch category {
	case "exchange":
		return Exchange
	case "mixing_service", "coinjoin":
		return Mixer
	case "bridge":
		return Bridge
	}
	return ""
}

// tagPackItem is one tag read from the file, before the header's
// defaults are applied (the header may come after the tags).
type tagPackItem struct {
	line int
	tag  tagPackTag
}

// tagPackReader splits a TagPack into its header and its tags, one block
// sequence item at a time, so that the file is never held whole: the
// header (every line outside the tags) is bounded by the line limit, and
// so is each tag.
type tagPackReader struct {
	c        *collector
	header   bytes.Buffer
	inTags   bool
	indent   int // the tags' indentation; -1 before the first
	item     bytes.Buffer
	itemLine int
	items    []tagPackItem
}

// isTagsKey reports whether s is the line "tags:" opening a block sequence.
func isTagsKey(s string) bool {
	rest, ok := strings.CutPrefix(s, "tags:")
	if !ok {
		return false
	}
	rest = strings.TrimSpace(rest)
	return rest == "" || rest[0] == '#'
}

func isSeqItem(t string) bool { return t == "-" || strings.HasPrefix(t, "- ") }

// add takes one line of the file.
func (tr *tagPackReader) add(line int, s string) error {
	if tr.inTags {
		t := strings.TrimLeft(s, " ")
		ind := len(s) - len(t)
		switch {
		case t == "" || t[0] == '#':
			if tr.item.Len() > 0 {
				return tr.addItemLine(line, s)
			}
			return nil
		case tr.indent < 0 && isSeqItem(t):
			tr.indent = ind
			fallthrough
		case ind == tr.indent && isSeqItem(t):
			if err := tr.flush(); err != nil {
				return err
			}
			tr.itemLine = line
			return tr.addItemLine(line, s)
		case tr.indent >= 0 && ind > tr.indent:
			return tr.addItemLine(line, s)
		}
		// Back at the header's indentation: the tags end here.
		if err := tr.flush(); err != nil {
			return err
		}
		tr.inTags = false
	}
	if isTagsKey(s) {
		tr.inTags, tr.indent = true, -1
		return nil
	}
	if tr.header.Len()+len(s)+1 > tr.c.lim.Line {
		return tr.c.limitErr(LimitLine, "the TagPack header (every line but the tags)", line)
	}
	tr.header.WriteString(s)
	tr.header.WriteByte('\n')
	return nil
}

func (tr *tagPackReader) addItemLine(line int, s string) error {
	if tr.item.Len()+len(s)+1 > tr.c.lim.Line {
		return tr.c.limitErr(LimitLine, "a TagPack tag", tr.itemLine)
	}
	tr.item.WriteString(s)
	tr.item.WriteByte('\n')
	return nil
}

// flush parses the tag gathered so far.
func (tr *tagPackReader) flush() error {
	if tr.item.Len() == 0 {
		return nil
	}
	defer tr.item.Reset()
	var doc yaml.Node
	if err := yaml.Unmarshal(tr.item.Bytes(), &doc); err != nil {
		if !tr.c.next(tr.itemLine) {
			return tr.c.err
		}
		tr.c.bad(tr.itemLine, "%v", err)
		return nil
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: tags: want a sequence of tags", tr.itemLine)
	}
	return tr.decode(doc.Content[0].Content, tr.itemLine-1)
}

// decode reads tag nodes whose lines are off lines into the file.
func (tr *tagPackReader) decode(nodes []*yaml.Node, off int) error {
	for _, n := range nodes {
		line := off + n.Line
		if !tr.c.next(line) {
			return tr.c.err
		}
		var t tagPackTag
		if err := n.Decode(&t); err != nil {
			tr.c.bad(line, "%v", err)
			continue
		}
		for _, f := range [...]struct{ name, v string }{{"address", t.Address}, {"label", t.Label}, {"category", t.Category},
			{"currency", t.Currency}, {"network", t.Network}, {"source", t.Source}, {"actor", t.Actor}, {"abuse", t.Abuse}} {
			if !tr.c.field(line, f.name, f.v) {
				return tr.c.err
			}
		}
		tr.items = append(tr.items, tagPackItem{line: line, tag: t})
	}
	return nil
}

// readTagPack reads a TagPack whose tags are a block sequence ("tags:"
// then one "- address: …" item after another), streaming; a flow
// sequence ("tags: [ … ]") counts as header and must fit its limit.
func readTagPack(r *bufio.Reader, c *collector) error {
	tr := &tagPackReader{c: c}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(c.lim.Line+2, 64<<10)), c.lim.Line+2)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if len(s) > c.lim.Line {
			return c.limitErr(LimitLine, "a line", line)
		}
		if line == 1 {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		if err := tr.add(line, s); err != nil {
			return err
		}
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return c.limitErr(LimitLine, "a line", line+1)
	case err != nil:
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	if err := tr.flush(); err != nil {
		return err
	}
	var tp tagPack
	if err := yaml.Unmarshal(tr.header.Bytes(), &tp); err != nil {
		return err
	}
	for _, f := range [...]struct{ name, v string }{{"label", tp.Label}, {"category", tp.Category}, {"currency", tp.Currency},
		{"network", tp.Network}, {"source", tp.Source}, {"actor", tp.Actor}, {"abuse", tp.Abuse}} {
		if !c.field(0, f.name, f.v) {
			return c.err
		}
	}
	// A flow sequence of tags sits in the header; its lines are the
	// header's own.
	flow := make([]*yaml.Node, len(tp.Tags))
	for i := range tp.Tags {
		flow[i] = &tp.Tags[i]
	}
	if err := tr.decode(flow, 0); err != nil {
		return err
	}
	for _, it := range tr.items {
		tagPackRow(c, tp, it.line, it.tag)
	}
	return nil
}

// tagPackRow applies the header's defaults to tag t and adds its row.
func tagPackRow(c *collector, tp tagPack, line int, t tagPackTag) {
	fill := func(dst *string, def string) {
		if *dst == "" {
			*dst = def
		}
	}
	fill(&t.Label, tp.Label)
	fill(&t.Category, tp.Category)
	fill(&t.Currency, tp.Currency)
	fill(&t.Network, tp.Network)
	fill(&t.Source, tp.Source)
	fill(&t.Actor, tp.Actor)
	fill(&t.Abuse, tp.Abuse)
	cur := t.Currency
	if t.Network != "" {
		cur = t.Network
	}
	chain := TagPackChain(cur)
	if chain == "" {
		c.skip(strings.ToUpper(cur))
		return
	}
	kind := TagPackKind(t.Category, t.Abuse)
	if kind == "" {
		kind = c.opt.Kind
	}
	if kind == "" {
		kind = Custom
	}
	note := ""
	if t.Actor != "" {
		note = "actor " + t.Actor
	}
	if t.Abuse != "" {
		note = strings.TrimSpace(note + " abuse " + t.Abuse)
	}
	c.row(line, Entry{Chain: chain, Address: t.Address, Kind: kind, Label: t.Label, Source: t.Source, Note: note})
}
