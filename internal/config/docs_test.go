package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// yamlKeys lists the YAML key paths of t ("api.listen"), descending into
// structs whose fields carry yaml tags.
func yamlKeys(prefix string, t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		path := tag
		if prefix != "" {
			path = prefix + "." + tag
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && hasYAMLFields(ft) {
			out = append(out, yamlKeys(path, ft)...)
			continue
		}
		out = append(out, path)
	}
	return out
}

func hasYAMLFields(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" && tag != "-" {
			return true
		}
	}
	return false
}

// TestInterfaceDocKeys fails when a configuration key the code reads is
// not in the table of docs/interface.md.
func TestInterfaceDocKeys(t *testing.T) {
	raw, err := os.ReadFile("../../docs/interface.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	ks := yamlKeys("", reflect.TypeOf(Config{}))
	if len(ks) < 30 {
		t.Fatalf("found only %d keys in Config: %v", len(ks), ks)
	}
	for _, k := range ks {
		if !strings.Contains(doc, "`"+k+"`") {
			t.Errorf("docs/interface.md does not name the configuration key `%s`", k)
		}
	}
}
