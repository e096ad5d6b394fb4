package watchlists

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/chainhound/chainhound/chains"
	"gopkg.in/yaml.v3"
)

// maxImportBytes bounds the JSON and YAML files read whole.
const maxImportBytes = 256 << 20

func readCSV(r *bufio.Reader, c *collector) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch h {
		case "address", "chain", "kind", "label", "owner", "source", "note":
			if _, dup := col[h]; dup {
				return fmt.Errorf("line 1: column %q twice", h)
			}
			col[h] = i
		}
	}
	if _, ok := col["address"]; !ok {
		return fmt.Errorf("line 1: no address column (header must name address; optional chain, kind, label, owner, source, note)")
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("line %d: %w", pe.Line, pe.Err)
			}
			return err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		c.row(line, Entry{
			Chain: chains.Chain(get(rec, "chain")), Address: get(rec, "address"), Kind: Kind(get(rec, "kind")),
			Label: get(rec, "label"), Owner: get(rec, "owner"), Source: get(rec, "source"), Note: get(rec, "note"),
		})
	}
}

// jsonEntry is one object of the JSON import schema.
type jsonEntry struct {
	Chain   string `json:"chain"`
	Address string `json:"address"`
	Kind    string `json:"kind"`
	Label   string `json:"label"`
	Owner   string `json:"owner"`
	Source  string `json:"source"`
	Note    string `json:"note"`
}

func readJSON(r *bufio.Reader, c *collector) error {
	data, err := io.ReadAll(io.LimitReader(r, maxImportBytes+1))
	if err != nil {
		return err
	}
	if len(data) > maxImportBytes {
		return fmt.Errorf("larger than %d MiB", maxImportBytes>>20)
	}
	// lineAt counts lines up to off from where it last stopped: offsets
	// only grow, so a large file is counted once, not once per row.
	var lastOff int64
	lastLine := 1
	lineAt := func(off int64) int {
		if off < lastOff {
			lastOff, lastLine = 0, 1
		}
		lastLine += bytes.Count(data[lastOff:off], []byte{'\n'})
		lastOff = off
		return lastLine
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("line %d: %w", lineAt(dec.InputOffset()), err)
	}
	if tok == json.Delim('{') {
		// {"entries": [...]}
		for {
			t, err := dec.Token()
			if err != nil {
				return fmt.Errorf("line %d: %w", lineAt(dec.InputOffset()), err)
			}
			if t == json.Delim('}') {
				return fmt.Errorf("line %d: no \"entries\" array", lineAt(dec.InputOffset()))
			}
			if t == "entries" {
				break
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("line %d: %w", lineAt(dec.InputOffset()), err)
			}
		}
		if tok, err = dec.Token(); err != nil {
			return fmt.Errorf("line %d: %w", lineAt(dec.InputOffset()), err)
		}
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("line %d: want an array of entries or {\"entries\":[…]}", lineAt(dec.InputOffset()))
	}
	for dec.More() {
		start := dec.InputOffset()
		for start < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[start]) >= 0 {
			start++
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("line %d: %w", lineAt(dec.InputOffset()), err)
		}
		line := lineAt(start)
		var je jsonEntry
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&je); err != nil {
			// Fields added by `watch ls --format json` (added, shipped) are allowed.
			var loose struct {
				jsonEntry
				Added   json.RawMessage `json:"added"`
				Shipped json.RawMessage `json:"shipped"`
			}
			d2 := json.NewDecoder(bytes.NewReader(raw))
			d2.DisallowUnknownFields()
			if err2 := d2.Decode(&loose); err2 != nil {
				c.bad(line, "%v", err)
				continue
			}
			je = loose.jsonEntry
		}
		c.row(line, Entry{Chain: chains.Chain(je.Chain), Address: je.Address, Kind: Kind(je.Kind), Label: je.Label, Owner: je.Owner, Source: je.Source, Note: je.Note})
	}
	return nil
}

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

func readTagPack(r *bufio.Reader, c *collector) error {
	data, err := io.ReadAll(io.LimitReader(r, maxImportBytes+1))
	if err != nil {
		return err
	}
	if len(data) > maxImportBytes {
		return fmt.Errorf("larger than %d MiB", maxImportBytes>>20)
	}
	var tp tagPack
	if err := yaml.Unmarshal(data, &tp); err != nil {
		return err
	}
	for _, n := range tp.Tags {
		var t tagPackTag
		if err := n.Decode(&t); err != nil {
			c.bad(n.Line, "%v", err)
			continue
		}
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
			continue
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
		c.row(n.Line, Entry{Chain: chain, Address: t.Address, Kind: kind, Label: t.Label, Source: t.Source, Note: note})
	}
	return nil
}
