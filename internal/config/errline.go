package config

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// readerProblems are what yaml.v3's reader says of bytes that are not
// UTF-8 or are control characters. It knows only their offset, so its
// message names no line.
var readerProblems = []string{
	"invalid leading UTF-8 octet", "incomplete UTF-8 octet sequence",
	"invalid trailing UTF-8 octet", "invalid length of a UTF-8 sequence",
	"invalid Unicode character", "control characters are not allowed",
}

// unplacedLine places an error that yaml.v3 gave without a line. Its
// parser leaves the line out when the problem is on the first line, its
// reader always: for a reader's problem the line is that of the first
// byte the reader refuses.
func unplacedLine(msg string, data []byte) int {
	for _, p := range readerProblems {
		if strings.Contains(msg, p) {
			if line := badByteLine(data); line > 0 {
				return line
			}
		}
	}
	return 1
}

// badByteLine returns the line of the first byte that is not UTF-8 or is
// a character YAML does not allow, or 0 if there is none.
func badByteLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || !yamlPrintable(r) {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return 0
}

// yamlPrintable is the set of characters yaml.v3's reader allows.
func yamlPrintable(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0x7E || r == 0x85 ||
		r >= 0xA0 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// quotedValue is the value in backquotes of a yaml.v3 message.
var quotedValue = regexp.MustCompile("`(.*)`")

// firstWithValue finds the first scalar below n whose value is the one a
// yaml.v3 message quotes, for a decoding error that names no line.
func firstWithValue(n *yaml.Node, path, msg string) (foundValue, bool) {
	m := quotedValue.FindStringSubmatch(msg)
	if m == nil {
		return foundValue{}, false
	}
	var walk func(n *yaml.Node, path string) (foundValue, bool)
	walk = func(n *yaml.Node, path string) (foundValue, bool) {
		if n.Kind == yaml.ScalarNode && matches(n.Value, m[1]) {
			return foundValue{path, n}, true
		}
		step := 1
		if n.Kind == yaml.MappingNode {
			step = 2
		}
		for i := 0; i < len(n.Content); i += step {
			key, v := path, n.Content[i]
			if step == 2 && i+1 < len(n.Content) {
				key, v = join(path, n.Content[i].Value), n.Content[i+1]
			}
			if f, ok := walk(v, key); ok {
				return f, true
			}
		}
		return foundValue{}, false
	}
	return walk(n, path)
}
