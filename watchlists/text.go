package watchlists

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CheckText checks one free-text field given by a tenant or read from an
// import file (an entry's label, source or note, an incident's title): it
// must be valid UTF-8 and hold no control character — C0 (NUL, TAB, LF,
// CR, ESC, …), DEL, C1 (0x80–0x9F, CSI among them) — no line or paragraph
// separator and no bidirectional embedding, override or isolate (U+202A–
// U+202E, U+2066–U+2069). Such text could move a terminal's cursor, forge
// a row of a table or reorder what a reader sees (docs/security.md,
// "Text"). The error is a *FieldError naming field and the first
// offending character and its byte offset.
func CheckText(field, s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return fieldErr(field, "not valid UTF-8 at byte %d", i)
			}
		}
		if unsafeRune(r) {
			return fieldErr(field, "holds the control or bidirectional character %s at byte %d (not allowed in text)", runeName(r), i)
		}
	}
	return nil
}

// unsafeRune reports whether r may not appear in tenant text.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true // C0, DEL, C1
	case r == 0x2028, r == 0x2029:
		return true // line and paragraph separators
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidi embeddings, overrides and isolates
	}
	return false
}

// runeName writes r as U+XXXX with the usual name of the common ones.
func runeName(r rune) string {
	names := map[rune]string{0: "NUL", '\t': "TAB", '\n': "LF", '\r': "CR", 0x1b: "ESC", 0x7f: "DEL", 0x9b: "CSI",
		0x202e: "RIGHT-TO-LEFT OVERRIDE", 0x202d: "LEFT-TO-RIGHT OVERRIDE", 0x2066: "LEFT-TO-RIGHT ISOLATE",
		0x2067: "RIGHT-TO-LEFT ISOLATE", 0x2068: "FIRST STRONG ISOLATE", 0x2069: "POP DIRECTIONAL ISOLATE"}
	if n, ok := names[r]; ok {
		return fmt.Sprintf("U+%04X (%s)", r, n)
	}
	return fmt.Sprintf("U+%04X", r)
}

// Printable returns s as it may be written to a terminal: every
// character CheckText refuses, and every byte that is not valid UTF-8, is
// written as a Go escape (\x1b, \n, \u202e, \xff), and a backslash as
// \\ so that an escape cannot be faked. Text that CheckText accepts and
// holds no backslash comes back unchanged. The CLI's tables print stored
// text through it, so that text stored by an older version, which did
// not refuse these characters, cannot forge a row or move the cursor.
func Printable(s string) string {
	clean := true
	for i, r := range s {
		if r == '\\' || unsafeRune(r) || r == utf8.RuneError && !validAt(s, i) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// validAt reports whether the rune at byte i of s is valid UTF-8 (a
// literal U+FFFD is).
func validAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size > 1
}
