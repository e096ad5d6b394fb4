package watchlists

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// allocated returns the bytes f allocated (runtime.MemStats.TotalAlloc:
// every allocation counts, so it bounds the peak heap too).
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// wantLimit checks that err is a *LimitError of limit at line (0: any)
// naming file, and that nothing came back.
func wantLimit(t *testing.T, res *ImportResult, err error, file, limit string, max int64, line int) *LimitError {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) || res != nil {
		t.Fatalf("got %v, %v; want a %s LimitError and no result", res, err, limit)
	}
	if le.Limit != limit || le.Max != max || le.File != file || (line != 0 && le.Line != line) {
		t.Fatalf("got %+v (%v); want limit %s of %d in %s at line %d", le, err, limit, max, file, line)
	}
	if !strings.HasPrefix(err.Error(), file) || !strings.Contains(err.Error(), fmt.Sprintf("import limit %s (%d ", limit, max)) ||
		!strings.HasSuffix(err.Error(), "nothing imported") {
		t.Fatalf("message %q does not name the file, the limit and its value", err)
	}
	return le
}

// The OFAC bomb of issue 13: testdata/bomb-ofac.xml.bz2 is 1,548 bytes
// that decompress to 2 GiB, "<Sanctions><Remarks>" and then 2^31 'x':
//
//	(printf '<Sanctions><Remarks>'; head -c 2147483648 /dev/zero | tr '\0' x) | bzip2 -9 > bomb-ofac.xml.bz2
//
// The importer before the limits gathered the element's text whole (it
// grew to gigabytes); now it stops at the cap and allocates a few MiB
// (the bzip2 decoder's block).
func TestImportBzip2Bomb(t *testing.T) {
	const path = "testdata/bomb-ofac.xml.bz2"
	if fi, err := os.Stat(path); err != nil || fi.Size() > 2048 {
		t.Fatalf("bomb: %v, %v", fi, err)
	}
	for name, tc := range map[string]struct {
		limits ImportLimits
		limit  string
		max    int64
	}{
		// Small enough to stop before any other limit: the decompressed size.
		"size":     {ImportLimits{Size: 32 << 10}, LimitSize, 32 << 10},
		"defaults": {ImportLimits{}, LimitLine, 64 << 10}, // the element's text
	} {
		t.Run(name, func(t *testing.T) {
			var res *ImportResult
			var err error
			n := allocated(func() {
				res, err = importFile(t, path, ImportOptions{Format: FormatOFACXML, Limits: tc.limits})
			})
			wantLimit(t, res, err, path, tc.limit, tc.max, 0)
			if n > 32<<20 {
				t.Fatalf("allocated %d MiB to refuse a bomb", n>>20)
			}
		})
	}
}

// gzip bombs of every format are refused at the decompressed size, with
// the allocations of the cap and no more (before, only the OFAC importer
// decompressed, and only bzip2).
func TestImportGzipBombs(t *testing.T) {
	const size = 64 << 20
	for _, format := range Formats {
		t.Run(string(format), func(t *testing.T) {
			head, fill := map[Format][2]string{
				FormatCSV:       {"address,label\n", "\n"},
				FormatLines:     {"", "\n"},
				FormatJSON:      {"[", " "},
				FormatTagPack:   {"label: x\n", "\n"},
				FormatOFACXML:   {"<Sanctions>", "\n"},
				FormatTHORChain: {"[", " "},
			}[format][0], map[Format][2]string{
				FormatCSV: {"", "\n"}, FormatLines: {"", "\n"}, FormatJSON: {"", " "}, FormatTagPack: {"", "\n"}, FormatOFACXML: {"", "\n"},
				FormatTHORChain: {"", " "},
			}[format][1]
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			zw.Write([]byte(head))
			chunk := bytes.Repeat([]byte(fill), 1<<20)
			for i := 0; i < size>>20; i++ {
				zw.Write(chunk)
			}
			zw.Close()
			name := "bomb." + string(format) + ".gz"
			var res *ImportResult
			var err error
			n := allocated(func() {
				res, err = Import(bytes.NewReader(b.Bytes()), name, ImportOptions{Format: format, Chain: chains.Ethereum, Kind: Custom,
					Limits: ImportLimits{Size: 1 << 20, Line: 2 << 20}})
			})
			wantLimit(t, res, err, name, LimitSize, 1<<20, 0)
			if n > 16<<20 {
				t.Fatalf("allocated %d MiB for a 1 MiB cap", n>>20)
			}
		})
	}
}

// A sparse 2 GB file imported as CSV (one "line" of NUL bytes) is refused
// at the line limit, having read 64 KiB: before, encoding/csv gathered the
// whole line (the probe saw 7 GB and climbing).
func TestImportSparseCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparse.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, format := range []Format{FormatCSV, FormatLines, FormatTagPack, FormatJSON, FormatOFACXML} {
		t.Run(string(format), func(t *testing.T) {
			var res *ImportResult
			var err error
			n := allocated(func() {
				res, err = importFile(t, path, ImportOptions{Format: format, Chain: chains.Ethereum, Kind: Custom})
			})
			var le *LimitError
			if format == FormatJSON || format == FormatOFACXML {
				// A NUL is a syntax error there, at once.
				if err == nil || errors.As(err, &le) {
					t.Fatalf("got %v, want a syntax error", err)
				}
			} else {
				wantLimit(t, res, err, path, LimitLine, 64<<10, 1)
			}
			if n > 16<<20 {
				t.Fatalf("allocated %d MiB", n>>20)
			}
		})
	}
}

// Nesting past the depth limit is refused at the first element too deep;
// a million levels (3 MB) cost nothing (before: a 35 MB file took 971 MB).
func TestImportDeepXML(t *testing.T) {
	body := "<Sanctions>" + strings.Repeat("<a>", 1_000_000) + strings.Repeat("</a>", 1_000_000) + "</Sanctions>"
	var res *ImportResult
	var err error
	n := allocated(func() {
		res, err = Import(strings.NewReader(body), "deep.xml", ImportOptions{Format: FormatOFACXML})
	})
	wantLimit(t, res, err, "deep.xml", LimitDepth, 64, 1)
	if n > 16<<20 {
		t.Fatalf("allocated %d MiB", n>>20)
	}
	// 64 levels are fine.
	ok := strings.Repeat("<a>", 62) + ofacSeedFeatures + strings.Repeat("</a>", 62)
	if _, err := Import(strings.NewReader(ok), "ok.xml", ImportOptions{Format: FormatOFACXML}); err != nil {
		t.Fatal(err)
	}
}

const ofacSeedFeatures = `<FeatureTypeValues><FeatureType ID="344">Digital Currency Address - ETH</FeatureType></FeatureTypeValues>`

// Each format refuses a line, record, token or field past its limit with
// the line where it is, and too many rows at the row past the limit.
func TestImportLimitsPerFormat(t *testing.T) {
	const addr = "0x098b716b8aaf21512996dc57eb0615e2383e2f96"
	long := strings.Repeat("x", 5000)
	rows := func(format Format, n int) string {
		var b strings.Builder
		switch format {
		case FormatCSV:
			b.WriteString("address\n")
		case FormatJSON, FormatTHORChain:
			b.WriteString("[\n")
		case FormatTagPack:
			b.WriteString("currency: ETH\ntags:\n")
		case FormatOFACXML:
			b.WriteString("<Sanctions>\n" + ofacSeedFeatures + "\n<Profile ID=\"1\">\n")
		}
		for i := 0; i < n; i++ {
			a := fmt.Sprintf("0x%040x", i+1)
			switch format {
			case FormatCSV, FormatLines:
				b.WriteString(a + "\n")
			case FormatJSON:
				if i > 0 {
					b.WriteString(",\n")
				}
				b.WriteString(`{"address":"` + a + `"}`)
			case FormatTHORChain:
				if i > 0 {
					b.WriteString(",\n")
				}
				b.WriteString(`{"chain":"ETH","address":"` + a + `"}`)
			case FormatTagPack:
				b.WriteString("- address: '" + a + "'\n")
			case FormatOFACXML:
				b.WriteString(`<Feature FeatureTypeID="344"><VersionDetail>` + a + "</VersionDetail></Feature>\n")
			}
		}
		switch format {
		case FormatJSON, FormatTHORChain:
			b.WriteString("\n]\n")
		case FormatOFACXML:
			b.WriteString("</Profile>\n</Sanctions>\n")
		}
		return b.String()
	}
	for name, tc := range map[string]struct {
		format Format
		body   string
		limits ImportLimits
		limit  string
		max    int64
		line   int
	}{
		"lines: long line":      {FormatLines, addr + "\n" + long + long + "\n", ImportLimits{Line: 8192}, LimitLine, 8192, 2},
		"lines: long address":   {FormatLines, addr + "\n" + long + "\n", ImportLimits{}, LimitField, 4096, 2},
		"csv: long line":        {FormatCSV, "address\n" + addr + "\n" + long + long + "\n", ImportLimits{Line: 8192}, LimitLine, 8192, 3},
		"csv: long record":      {FormatCSV, "address,note\n" + addr + ",\"" + strings.Repeat("a\n", 3000) + "\"\n", ImportLimits{Line: 4096}, LimitLine, 4096, 2},
		"csv: long field":       {FormatCSV, "address,label\n" + addr + ",x\n" + addr + "," + long + "\n", ImportLimits{}, LimitField, 4096, 3},
		"json: long entry":      {FormatJSON, "[\n{\"address\":\"" + addr + "\"},\n{\"note\":\"" + long + long + "\"}]", ImportLimits{Line: 8192}, LimitLine, 8192, 3},
		"json: long field":      {FormatJSON, "[\n{\"address\":\"" + addr + "\"},\n{\"note\":\"" + long + "\"}]", ImportLimits{}, LimitField, 4096, 3},
		"tagpack: long tag":     {FormatTagPack, "currency: ETH\ntags:\n- address: x\n" + strings.Repeat("  # c\n", 3000), ImportLimits{Line: 4096}, LimitLine, 4096, 3},
		"tagpack: long field":   {FormatTagPack, "currency: ETH\ntags:\n- address: '" + addr + "'\n- address: " + long + "\n", ImportLimits{}, LimitField, 4096, 4},
		"tagpack: header":       {FormatTagPack, strings.Repeat("# c\n", 2000) + "tags:\n- address: x\n", ImportLimits{Line: 4096}, LimitLine, 4096, 1025},
		"xml: long token":       {FormatOFACXML, "<Sanctions>\n<a b=\"" + long + long + "\"/></Sanctions>", ImportLimits{Line: 8192}, LimitLine, 8192, 2},
		"xml: long address":     {FormatOFACXML, "<Sanctions>\n" + ofacSeedFeatures + "\n<Profile ID=\"1\"><Feature FeatureTypeID=\"344\"><VersionDetail>" + long + "</VersionDetail></Feature></Profile></Sanctions>", ImportLimits{}, LimitField, 4096, 3},
		"xml: tokens":           {FormatOFACXML, "<Sanctions>\n" + strings.Repeat("<a/>\n", 100), ImportLimits{Tokens: 50}, LimitTokens, 50, 0},
		"csv: rows":             {FormatCSV, rows(FormatCSV, 5), ImportLimits{Entries: 3}, LimitEntries, 3, 5},
		"lines: rows":           {FormatLines, rows(FormatLines, 5), ImportLimits{Entries: 3}, LimitEntries, 3, 4},
		"json: rows":            {FormatJSON, rows(FormatJSON, 5), ImportLimits{Entries: 3}, LimitEntries, 3, 5},
		"tagpack: rows":         {FormatTagPack, rows(FormatTagPack, 5), ImportLimits{Entries: 3}, LimitEntries, 3, 6},
		"xml: rows":             {FormatOFACXML, rows(FormatOFACXML, 5), ImportLimits{Entries: 3}, LimitEntries, 3, 7},
		"thorchain: rows":       {FormatTHORChain, rows(FormatTHORChain, 5), ImportLimits{Entries: 3}, LimitEntries, 3, 5},
		"thorchain: long field": {FormatTHORChain, "[\n{\"chain\":\"BTC\",\"address\":\"" + long + "\"}]", ImportLimits{}, LimitField, 4096, 2},
	} {
		t.Run(name, func(t *testing.T) {
			opt := ImportOptions{Format: tc.format, Chain: chains.Ethereum, Kind: Custom, SkipInvalid: true, Limits: tc.limits}
			res, err := Import(strings.NewReader(tc.body), "f", opt)
			wantLimit(t, res, err, "f", tc.limit, tc.max, tc.line)
		})
	}
	// At the limit, not past it: every row is imported.
	for _, format := range Formats {
		opt := ImportOptions{Format: format, Chain: chains.Ethereum, Kind: Custom, Limits: ImportLimits{Entries: 3}}
		res, err := Import(strings.NewReader(rows(format, 3)), "f", opt)
		if err != nil || len(res.Entries) != 3 {
			t.Fatalf("%s: 3 rows with a limit of 3: %v, %v", format, res, err)
		}
	}
}

// A refused row holding a control or bidirectional character names its
// line and field; nothing is imported.
func TestImportRefusesControlCharacters(t *testing.T) {
	const addr = "0x098b716b8aaf21512996dc57eb0615e2383e2f96"
	for name, s := range map[string]string{"ESC": "\x1b[2K", "CR": "a\rb", "LF": "a\nb", "NUL": "a\x00b", "RLO": "a\u202eb", "isolate": "\u2066x", "C1 CSI": "a\u009bb", "DEL": "a\x7f"} {
		t.Run(name, func(t *testing.T) {
			body := fmt.Sprintf("address,label\n%s,ok\n%s,\"%s\"\n", addr, "0x28c6c06298d514db089934071355e5743bf21d60", strings.ReplaceAll(s, `"`, `""`))
			res, err := Import(strings.NewReader(body), "f.csv", ImportOptions{Format: FormatCSV, Chain: chains.Ethereum, Kind: Exchange})
			var ie *ImportError
			if !errors.As(err, &ie) || res != nil || len(ie.Bad) != 1 || ie.Bad[0].Line != 3 || !strings.HasPrefix(ie.Bad[0].Reason, "label: ") {
				t.Fatalf("got %v, %v; want line 3 refused for its label", res, err)
			}
		})
	}
}

// CheckText refuses what could steer a terminal and accepts the rest;
// Printable escapes what CheckText refuses and leaves the rest alone.
func TestCheckTextAndPrintable(t *testing.T) {
	for _, s := range []string{"Binance 14", "Lazarus Group", "Müller & Söhne", "币安", "עברית", "emoji 🐕", "a\\b", ""} {
		if err := CheckText("label", s); err != nil {
			t.Errorf("CheckText(%q): %v", s, err)
		}
	}
	for in, want := range map[string]string{
		"\x1b[2K\rforged\n": `\x1b[2K\rforged\n`, "a\x00b": `a\x00b`, "a\tb": `a\tb`, "x\u202ey": `x\u202ey`,
		"x\u2069": `x\u2069`, "a\u009bb": `a\u009bb`, "\xff\xfe": `\xff\xfe`, "a\\x1b": `a\\x1b`, "plain": "plain", "币安": "币安",
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
		if in != "plain" && in != "币安" && in != "a\\x1b" {
			var fe *FieldError
			if err := CheckText("note", in); !errors.As(err, &fe) || fe.Field != "note" {
				t.Errorf("CheckText(%q) = %v, want a note FieldError", in, err)
			}
		}
		if strings.ContainsAny(Printable(in), "\x1b\r\n\x00\t") {
			t.Errorf("Printable(%q) holds a control character", in)
		}
	}
	_ = io.EOF
}
