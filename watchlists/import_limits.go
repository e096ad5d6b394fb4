package watchlists

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
)

// ImportLimits bounds what one imported file may make the importer hold
// or do, so that a small hostile file (a bzip2 bomb, a sparse file, a
// deeply nested XML) is refused at the cap instead of exhausting memory
// (docs/security.md, "Imports"). A zero field takes its default
// (DefaultImportLimits).
type ImportLimits struct {
	// Size bounds the bytes read, after decompression.
	Size int64
	// Line bounds a line (lines, CSV, TagPack), a CSV record (a quoted
	// field may span lines), one JSON entry object, one TagPack tag and the
	// TagPack header, and one XML token (a tag with its attributes, or the
	// text between two tags).
	Line int
	// Field bounds one field's value: a CSV cell, a JSON string, a
	// TagPack value, an address line, an OFAC name or address.
	Field int
	// Depth bounds XML element nesting.
	Depth int
	// Entries bounds the rows (entries, bad rows, rows of other chains) a
	// file may hold, and the OFAC feature types it may declare.
	Entries int
	// Tokens bounds the XML tokens of a file.
	Tokens int
}

// DefaultImportLimits are the limits of ImportOptions without its own:
// 1 GiB decompressed, 64 KiB lines, 4096-byte fields, XML nesting 64,
// 1,000,000 entries, 100,000,000 XML tokens. The OFAC SDN advanced XML of
// 2025 is 121 MB, 6.6 million tokens, nesting 10, its longest token 486
// bytes.
var DefaultImportLimits = ImportLimits{
	Size:    1 << 30,
	Line:    64 << 10,
	Field:   4096,
	Depth:   64,
	Entries: 1_000_000,
	Tokens:  100_000_000,
}

// withDefaults fills the zero fields of l from DefaultImportLimits.
func (l ImportLimits) withDefaults() ImportLimits {
	d := DefaultImportLimits
	if l.Size <= 0 {
		l.Size = d.Size
	}
	if l.Line <= 0 {
		l.Line = d.Line
	}
	if l.Field <= 0 {
		l.Field = d.Field
	}
	if l.Depth <= 0 {
		l.Depth = d.Depth
	}
	if l.Entries <= 0 {
		l.Entries = d.Entries
	}
	if l.Tokens <= 0 {
		l.Tokens = d.Tokens
	}
	return l
}

// Names of the limits, as LimitError.Limit gives them.
const (
	LimitSize    = "size"
	LimitLine    = "line"
	LimitField   = "field"
	LimitDepth   = "depth"
	LimitEntries = "entries"
	LimitTokens  = "tokens"
)

// LimitError is returned when an imported file exceeds one of its
// ImportLimits. Nothing from the file is kept.
type LimitError struct {
	File  string // the file's name as given to Import
	Limit string // LimitSize, LimitLine, …
	Max   int64  // the limit's value
	What  string // what exceeded it: "a CSV record", "the decompressed file", …
	// Line is the line where it happened (0 when not known); Offset how
	// many bytes of the decompressed file had been read by then.
	Line   int
	Offset int64
}

func (e *LimitError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	unit := "bytes"
	switch e.Limit {
	case LimitDepth:
		unit = "levels"
	case LimitEntries:
		unit = "entries"
	case LimitTokens:
		unit = "tokens"
	}
	msg := fmt.Sprintf("%s: %s exceeds the import limit %s (%d %s)", where, e.What, e.Limit, e.Max, unit)
	if e.Line == 0 {
		msg += fmt.Sprintf(" at byte %d", e.Offset)
	}
	return msg + "; nothing imported"
}

// limitErr returns a LimitError of limit l at line (0: unknown) of the
// file read by c; File is filled in by Import.
func (c *collector) limitErr(limit, what string, line int) *LimitError {
	var max int64
	l := c.lim
	switch limit {
	case LimitSize:
		max = l.Size
	case LimitLine:
		max = int64(l.Line)
	case LimitField:
		max = int64(l.Field)
	case LimitDepth:
		max = int64(l.Depth)
	case LimitEntries:
		max = int64(l.Entries)
	case LimitTokens:
		max = int64(l.Tokens)
	}
	return &LimitError{Limit: limit, Max: max, What: what, Line: line, Offset: c.size.n}
}

// decompressed returns r's content: decompressed when it starts with the
// magic bytes of bzip2 ("BZh1"–"BZh9") or gzip (1f 8b), and counted, so
// that reading more than the size limit gives a LimitError.
func decompressed(r *bufio.Reader, size *sizeReader) (io.Reader, error) {
	magic, _ := r.Peek(4)
	var in io.Reader = r
	switch {
	case len(magic) == 4 && string(magic[:3]) == "BZh" && magic[3] >= '1' && magic[3] <= '9':
		in = bzip2.NewReader(r)
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		in = zr
	}
	size.r = in
	return size, nil
}

// sizeReader counts the bytes read from r and fails with a LimitError
// past max: it never hands out more than max bytes.
type sizeReader struct {
	r   io.Reader
	n   int64
	max int64
	err func() error
}

func (s *sizeReader) Read(p []byte) (int, error) {
	if s.n >= s.max {
		// At the cap: one more byte means the file is larger.
		var one [1]byte
		n, err := io.ReadFull(s.r, one[:])
		if n > 0 {
			return 0, s.err()
		}
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		return 0, err
	}
	if rest := s.max - s.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	return n, err
}

// budgetReader fails with a LimitError when more than max bytes are read
// since the start of a record: it bounds one record (a CSV record, a JSON
// entry, an XML token) however the parser above buffers. It serves
// ReadByte so that encoding/xml reads through it byte by byte, without a
// buffer of its own.
type budgetReader struct {
	r     *bufio.Reader
	n     int64 // bytes read
	start int64 // where the current record starts
	max   int64
	err   func() error
}

// mark starts a new record here.
func (b *budgetReader) mark() { b.start = b.n }

// over reports whether the record's budget is spent; at EOF it gives
// the reader's error instead.
func (b *budgetReader) over() error {
	if _, err := b.r.Peek(1); err != nil {
		return err
	}
	return b.err()
}

func (b *budgetReader) Read(p []byte) (int, error) {
	rest := b.max - (b.n - b.start)
	if rest <= 0 {
		return 0, b.over()
	}
	if int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *budgetReader) ReadByte() (byte, error) {
	if b.n-b.start >= b.max {
		return 0, b.over()
	}
	c, err := b.r.ReadByte()
	if err == nil {
		b.n++
	}
	return c, err
}
