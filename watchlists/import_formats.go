package watchlists

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/chainhound/chainhound/chains"
)

// csvReadAhead is how far encoding/csv reads ahead of a record (the
// size of its bufio.Reader).
const csvReadAhead = 4096

// csvRecords reads CSV records, each bounded by the line limit (a
// record's quoted field may span lines) and its fields by the field
// limit.
type csvRecords struct {
	cr     *csv.Reader
	budget *budgetReader
	c      *collector
	end    int64 // offset of the end of the last record
}

func newCSVRecords(r *bufio.Reader, c *collector) *csvRecords {
	rs := &csvRecords{c: c}
	rs.budget = &budgetReader{r: r, max: int64(c.lim.Line + csvReadAhead), err: func() error {
		line := 1
		if rs.end > 0 {
			line, _ = rs.cr.FieldPos(0)
			line++
		}
		return c.limitErr(LimitLine, "a CSV record", line)
	}}
	rs.cr = csv.NewReader(rs.budget)
	rs.cr.FieldsPerRecord = -1
	rs.cr.TrimLeadingSpace = true
	rs.cr.ReuseRecord = true
	return rs
}

// read returns the next record, or io.EOF.
func (rs *csvRecords) read() ([]string, error) {
	// Whatever csv buffered ahead counts against the next record.
	rs.budget.start = rs.end
	rec, err := rs.cr.Read()
	if err != nil {
		return nil, err
	}
	line, _ := rs.cr.FieldPos(0)
	off := rs.cr.InputOffset()
	if off-rs.end > int64(rs.c.lim.Line) {
		return nil, rs.c.limitErr(LimitLine, "a CSV record", line)
	}
	rs.end = off
	for i, f := range rec {
		if len(f) > rs.c.lim.Field {
			l, _ := rs.cr.FieldPos(i)
			return nil, rs.c.limitErr(LimitField, fmt.Sprintf("field %d of a CSV record", i+1), l)
		}
	}
	return rec, nil
}

func readCSV(r *bufio.Reader, c *collector) error {
	rs := newCSVRecords(r, c)
	header, err := rs.read()
	if err == io.EOF {
		return nil
	}
	var le *LimitError
	if errors.As(err, &le) {
		return err
	}
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	header = slices.Clone(header)
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
		rec, err := rs.read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.As(err, &le) {
				return fmt.Errorf("line %d: %w", pe.Line, pe.Err)
			}
			return err
		}
		line, _ := rs.cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if !c.next(line) {
			return c.err
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
	// Protocol of a mixer or bridge entry (checked against its kind when
	// stored).
	Protocol string `json:"protocol"`
}

// jsonWindow keeps the bytes json.Decoder has read past the start of
// the value it decodes, at most max of them: it bounds one JSON value and
// tells the line of an offset without holding the file.
type jsonWindow struct {
	r    *bufio.Reader
	buf  []byte // the bytes from base on
	base int64
	line int // the line of base
	max  int
	err  func() error
}

func (w *jsonWindow) Read(p []byte) (int, error) {
	rest := w.max - len(w.buf)
	if rest <= 0 {
		if _, err := w.r.Peek(1); err != nil {
			return 0, err
		}
		return 0, w.err()
	}
	if len(p) > rest {
		p = p[:rest]
	}
	n, err := w.r.Read(p)
	w.buf = append(w.buf, p[:n]...)
	return n, err
}

// advance drops the bytes before off, counting their lines.
func (w *jsonWindow) advance(off int64) {
	k := int(off - w.base)
	w.line += bytes.Count(w.buf[:k], []byte{'\n'})
	w.buf = append(w.buf[:0], w.buf[k:]...)
	w.base = off
}

// lineAt returns the line of off (at or after base).
func (w *jsonWindow) lineAt(off int64) int {
	return w.line + bytes.Count(w.buf[:min(int(off-w.base), len(w.buf))], []byte{'\n'})
}

// skipSpace returns the offset of the first byte at or after off that is
// not blank or a comma.
func (w *jsonWindow) skipSpace(off int64) int64 {
	for off-w.base < int64(len(w.buf)) && strings.IndexByte(" \t\r\n,", w.buf[off-w.base]) >= 0 {
		off++
	}
	return off
}

func readJSON(r *bufio.Reader, c *collector) error {
	w := &jsonWindow{r: r, line: 1, max: c.lim.Line}
	w.err = func() error { return c.limitErr(LimitLine, "a JSON value", w.lineAt(w.skipSpace(w.base))) }
	dec := json.NewDecoder(w)
	// at moves the window to the decoder's offset and returns its line.
	at := func() int {
		w.advance(dec.InputOffset())
		return w.line
	}
	fail := func(err error) error {
		var le *LimitError
		if errors.As(err, &le) {
			return err
		}
		return fmt.Errorf("line %d: %w", w.lineAt(dec.InputOffset()), err)
	}
	at()
	tok, err := dec.Token()
	if err != nil {
		return fail(err)
	}
	if tok == json.Delim('{') {
		// {"entries": [...]}
		for {
			at()
			t, err := dec.Token()
			if err != nil {
				return fail(err)
			}
			if t == json.Delim('}') {
				return fmt.Errorf("line %d: no \"entries\" array", w.lineAt(dec.InputOffset()))
			}
			if t == "entries" {
				break
			}
			at()
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(err)
			}
		}
		at()
		if tok, err = dec.Token(); err != nil {
			return fail(err)
		}
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("line %d: want an array of entries or {\"entries\":[…]}", w.lineAt(dec.InputOffset()))
	}
	for {
		at()
		if !dec.More() {
			break
		}
		start := w.skipSpace(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fail(err)
		}
		line := w.lineAt(start)
		if !c.next(line) {
			return c.err
		}
		je, err := decodeJSONEntry(raw)
		if err != nil {
			c.bad(line, "%v", err)
			continue
		}
		for _, f := range [...]struct{ name, v string }{{"chain", je.Chain}, {"address", je.Address}, {"kind", je.Kind},
			{"label", je.Label}, {"owner", je.Owner}, {"source", je.Source}, {"note", je.Note}, {"protocol", je.Protocol}} {
			if !c.field(line, f.name, f.v) {
				return c.err
			}
		}
		c.row(line, Entry{Chain: chains.Chain(je.Chain), Address: je.Address, Kind: Kind(je.Kind), Label: je.Label, Owner: je.Owner, Source: je.Source, Note: je.Note, Protocol: je.Protocol})
	}
	// More says false on an error too (a limit, a truncated file): the
	// array must be closed.
	if _, err := dec.Token(); err != nil {
		return fail(err)
	}
	return nil
}

// decodeJSONEntry decodes one object of the JSON schema; the fields that
// `watch ls --format json` adds (added, shipped, untrusted) are allowed,
// others not. Trust is not imported: it is whoever imports the file.
func decodeJSONEntry(raw json.RawMessage) (jsonEntry, error) {
	var je jsonEntry
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	err := d.Decode(&je)
	if err == nil {
		return je, nil
	}
	var loose struct {
		jsonEntry
		Added     json.RawMessage `json:"added"`
		Shipped   json.RawMessage `json:"shipped"`
		Untrusted json.RawMessage `json:"untrusted"`
	}
	d2 := json.NewDecoder(bytes.NewReader(raw))
	d2.DisallowUnknownFields()
	if d2.Decode(&loose) != nil {
		return je, err
	}
	return loose.jsonEntry, nil
}
