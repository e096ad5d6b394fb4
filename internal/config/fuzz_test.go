package config

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParse: any file either parses to a configuration that, written
// back as YAML, parses again to the same configuration, or is refused with
// one *Error that names the file and a line, on one line. Nothing panics.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("../../chainhound.example.yaml"); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		good,
		"chains:\n  ethereum:\n    rpc: http://127.0.0.1:8545\n",
		"tracer: { min_share: .nan, confidence_floor: 0.5 }\n",
		"data_dir: ''\n",
		"data_dir: /a\n---\ndata_dir: /b\n",
		"tracer:\n  max_hops: 65\n  dust: { ethereum: \"1157920892373161954235709850086879078532699846656405640394575840079131296399360\" }\n",
		"chains:\n  bitcoin: { rpc: 'http://x:1', rpc_cookie: /c, confirmations: 1.5, start_block: 7 }\n",
		"a: &a [*a, *a]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *config.Error", err, err)
			}
			if ce.File != "f.yaml" || ce.Line <= 0 {
				t.Fatalf("error names no file and line: %q", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("marshal a valid configuration: %v", err)
		}
		again, err := Parse("again.yaml", out)
		if err != nil {
			t.Fatalf("a valid configuration, written back, is refused: %v\n%s", err, out)
		}
		out2, err := yaml.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the configuration:\n%s\n---- became\n%s", out, out2)
		}
	})
}
