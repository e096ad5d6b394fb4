package watchlists

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
)

// Format names an import file format (see doc.go for the schemas).
type Format string

const (
	FormatOFACXML Format = "ofac-xml"
	FormatLines   Format = "lines"
	FormatCSV     Format = "csv"
	FormatJSON    Format = "json"
	FormatTagPack Format = "tagpack"
	// FormatTHORChain is THORNode's /thorchain/inbound_addresses answer:
	// the current vaults and routers (import_thorchain.go).
	FormatTHORChain Format = "thorchain-inbound"
)

// Formats lists the import formats.
var Formats = []Format{FormatOFACXML, FormatLines, FormatCSV, FormatJSON, FormatTagPack, FormatTHORChain}

// ParseFormat returns the Format named s, or one guessed from the file
// name's extension when s is "".
func ParseFormat(s, name string) (Format, error) {
	if s == "" {
		base := strings.TrimSuffix(strings.TrimSuffix(name, ".bz2"), ".gz")
		switch strings.ToLower(filepath.Ext(base)) {
		case ".xml":
			return FormatOFACXML, nil
		case ".csv":
			return FormatCSV, nil
		case ".json":
			return FormatJSON, nil
		case ".yaml", ".yml":
			return FormatTagPack, nil
		case ".txt", ".lst", "":
			return FormatLines, nil
		}
		return "", fmt.Errorf("cannot tell the format of %s from its extension (give --format)", name)
	}
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q (want ofac-xml, lines, csv, json, tagpack or thorchain-inbound)", s)
}

// ImportOptions says how to read a file.
type ImportOptions struct {
	Format Format
	// Chain and Kind apply to rows that do not name their own; Owner to
	// every row without an owner; Source to rows without a source (default:
	// the file's base name).
	Chain  chains.Chain
	Kind   Kind
	Owner  string
	Source string
	// SkipInvalid keeps the good rows of a file with bad ones.
	SkipInvalid bool
	Networks    Networks
	// Now stamps Added (default time.Now).
	Now time.Time
	// Limits bounds what the file may hold (zero fields: the defaults).
	Limits ImportLimits
}

// RowError is one refused row: its line in the file and why.
type RowError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// ImportResult is what a file held.
type ImportResult struct {
	File    string
	Format  Format
	Entries []Entry // valid, normalised, de-duplicated by key
	// Bad lists the first MaxBadRows refused rows (only with SkipInvalid;
	// else an error); BadRows counts them all.
	Bad     []RowError
	BadRows int
	// Warnings list the first MaxBadRows rows of an authoritative list
	// (OFAC) that were left out because they cannot be right (an address
	// that is not of the asset it is listed under): such a list is
	// imported whatever, its bad rows named; WarnRows counts them all.
	Warnings []RowError
	WarnRows int
	Skipped  map[string]int // rows of chains chainhound does not follow, by asset
	Dups     int            // rows repeating an earlier row's key
	Shipped  int            // rows of labels chainhound ships (an export's), left out
}

// MaxBadRows bounds the refused rows an import lists (ImportResult.Bad,
// ImportError.Bad); the others are counted.
const MaxBadRows = 1000

// ImportError is returned when a file holds bad rows and SkipInvalid is
// not set: nothing from the file may be stored.
type ImportError struct {
	File string
	Bad  []RowError // the first MaxBadRows
	// Total counts every bad row.
	Total int
}

func (e *ImportError) Error() string {
	b := e.Bad[0]
	// A reason may quote the file's text: escaped, it cannot steer the
	// terminal that prints it.
	msg := fmt.Sprintf("%s:%d: %s", e.File, b.Line, Printable(b.Reason))
	if n := max(e.Total, len(e.Bad)); n > 1 {
		msg += fmt.Sprintf(" (and %d more bad rows; nothing imported)", n-1)
	} else {
		msg += " (nothing imported)"
	}
	return msg
}

// Import reads one file named name from r, streaming: a bzip2 or gzip
// file (told by its first bytes) is decompressed as it is read. With bad
// rows and without SkipInvalid it returns an *ImportError and no entries;
// a file that exceeds one of opt.Limits gives a *LimitError and no
// entries; a file that cannot be parsed at all gives an error naming the
// file and line.
func Import(r io.Reader, name string, opt ImportOptions) (*ImportResult, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	opt.Now = opt.Now.UTC().Truncate(time.Second)
	if opt.Source == "" {
		opt.Source = filepath.Base(name)
	}
	if err := ValidateOwner(opt.Owner); err != nil {
		return nil, err
	}
	c := &collector{opt: opt, lim: opt.Limits.withDefaults(), res: &ImportResult{File: name, Format: opt.Format, Skipped: map[string]int{}}, seen: map[EntryKey]bool{}}
	c.size = &sizeReader{max: c.lim.Size, err: func() error {
		return c.limitErr(LimitSize, "the file (decompressed)", 0)
	}}
	res, err := c.read(r)
	var le *LimitError
	if errors.As(err, &le) {
		le.File = name
		return nil, le
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if res.BadRows > 0 && !opt.SkipInvalid {
		return nil, &ImportError{File: name, Bad: res.Bad, Total: res.BadRows}
	}
	return res, nil
}

// read parses the file in the collector's format.
func (c *collector) read(r io.Reader) (*ImportResult, error) {
	in, err := decompressed(bufio.NewReaderSize(r, 1<<16), c.size)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(in, 1<<16)
	switch c.opt.Format {
	case FormatOFACXML:
		err = readOFAC(br, c)
	case FormatLines:
		err = readLines(br, c)
	case FormatCSV:
		err = readCSV(br, c)
	case FormatJSON:
		err = readJSON(br, c)
	case FormatTagPack:
		err = readTagPack(br, c)
	case FormatTHORChain:
		err = readTHORChainInbound(br, c)
	default:
		err = fmt.Errorf("unknown format %q", c.opt.Format)
	}
	if err == nil {
		err = c.err
	}
	if err != nil {
		return nil, err
	}
	return c.res, nil
}

// collector validates rows and gathers the result.
type collector struct {
	opt  ImportOptions
	lim  ImportLimits
	size *sizeReader
	res  *ImportResult
	seen map[EntryKey]bool
	rows int
	// err is the first limit a row exceeded: the readers stop at it.
	err error
	// authoritative: the file is a sanctions list, whose bad rows are
	// warnings (ImportResult.Warnings), never a reason to store nothing.
	authoritative bool
}

// next counts one more row (at line) of the file: false, with c.err
// set, past the entries limit.
func (c *collector) next(line int) bool {
	if c.err != nil {
		return false
	}
	c.rows++
	if c.rows > c.lim.Entries {
		c.err = c.limitErr(LimitEntries, "the number of rows", line)
		return false
	}
	return true
}

// field checks the length of one field value of the row at line: false,
// with c.err set, past the field limit.
func (c *collector) field(line int, name, v string) bool {
	if c.err != nil {
		return false
	}
	if len(v) > c.lim.Field {
		c.err = c.limitErr(LimitField, "field "+name, line)
		return false
	}
	return true
}

func (c *collector) bad(line int, format string, args ...any) {
	c.res.BadRows++
	if len(c.res.Bad) < MaxBadRows {
		c.res.Bad = append(c.res.Bad, RowError{Line: line, Reason: fmt.Sprintf(format, args...)})
	}
}

func (c *collector) skip(asset string) { c.res.Skipped[asset]++ }

// warn leaves out a row of an authoritative list (see ImportResult.Warnings).
func (c *collector) warn(line int, format string, args ...any) {
	c.res.WarnRows++
	if len(c.res.Warnings) < MaxBadRows {
		c.res.Warnings = append(c.res.Warnings, RowError{Line: line, Reason: fmt.Sprintf(format, args...)})
	}
}

// row validates one row; empty chain/kind/owner/source take the options'.
func (c *collector) row(line int, e Entry) {
	if e.Chain == "" {
		e.Chain = c.opt.Chain
	}
	if e.Chain == "" {
		c.bad(line, "chain: missing (give a chain column or --chain)")
		return
	}
	if _, err := chains.ParseChain(string(e.Chain)); err != nil {
		c.bad(line, "chain: %v", err)
		return
	}
	if e.Kind == "" {
		e.Kind = c.opt.Kind
	}
	if e.Kind == "" {
		c.bad(line, "kind: missing (give a kind column or --kind)")
		return
	}
	if _, err := ParseKind(string(e.Kind)); err != nil {
		c.bad(line, "kind: %v", err)
		return
	}
	if e.Owner == "" {
		e.Owner = c.opt.Owner
	}
	if err := ValidateOwner(e.Owner); err != nil {
		c.bad(line, "%v", err)
		return
	}
	if e.Source == "" {
		e.Source = c.opt.Source
	}
	addr, err := Normalize(e.Chain, c.opt.Networks[e.Chain], strings.TrimSpace(e.Address))
	if err != nil {
		if c.authoritative {
			c.warn(line, "address: %v (%s): left out", err, e.Note)
			return
		}
		c.bad(line, "address: %v", err)
		return
	}
	e.Address = addr
	if err := checkTexts(e, 0); err != nil {
		c.bad(line, "%v", err)
		return
	}
	if e.Shipped() {
		// A shipped label, as an export lists it: chainhound has it
		// already, and a stored copy could be neither listed nor removed.
		c.res.Shipped++
		return
	}
	if e.Added.IsZero() {
		e.Added = c.opt.Now
	}
	if c.seen[e.Key()] {
		c.res.Dups++
		return
	}
	c.seen[e.Key()] = true
	c.res.Entries = append(c.res.Entries, e)
}

// SkippedSummary renders Skipped as "USDT 93, TRX 29" (sorted by asset).
func (r *ImportResult) SkippedSummary() string {
	keys := make([]string, 0, len(r.Skipped))
	for k := range r.Skipped {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, r.Skipped[k])
	}
	return strings.Join(parts, ", ")
}

func readLines(r *bufio.Reader, c *collector) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(c.lim.Line+1, 64<<10)), c.lim.Line+2) // +2: CR LF
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if len(s) > c.lim.Line {
			return c.limitErr(LimitLine, "a line", line)
		}
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		if line == 1 {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		if s == "" {
			continue
		}
		if !c.next(line) || !c.field(line, "address", s) {
			return c.err
		}
		c.row(line, Entry{Address: s})
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return c.limitErr(LimitLine, "a line", line+1)
	case err != nil:
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}
