package config

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var durationType = reflect.TypeOf(time.Duration(0))

// checkNumbers walks the decoded configuration by reflection and refuses,
// in every numeric field, what no key of chainhound means: NaN and
// infinities (YAML's .nan, .inf), negative numbers, and fractions given
// for whole numbers (yaml.v3 would cut 1.5 to 1). A field added later is
// covered without a line here. Ranges particular to one key are checked
// in validate.
func checkNumbers(file string, root *yaml.Node, c *Config) error {
	return walkNumbers(reflect.ValueOf(c).Elem(), "", func(path string, v reflect.Value) error {
		bad := func(format string, args ...any) error {
			line := 0
			if n := find(root, path); n != nil {
				line = n.Line
			}
			return &Error{File: file, Line: line, Key: path, Msg: fmt.Sprintf(format, args...)}
		}
		switch {
		case v.Type() == durationType:
			if d := time.Duration(v.Int()); d < 0 {
				return bad("must not be negative, got %s", d)
			}
		case v.CanFloat():
			f := v.Float()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return bad("want a finite number, got %v", f)
			}
			if f < 0 {
				return bad("must not be negative, got %v", f)
			}
		case v.CanInt(), v.CanUint():
			if n := find(root, path); n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" {
				return bad("want a whole number, got %q", n.Value)
			}
			if v.CanInt() && v.Int() < 0 {
				return bad("must not be negative, got %d", v.Int())
			}
		}
		return nil
	})
}

// walkNumbers calls check for every numeric field below v that has a YAML
// key, with its dotted path. Structs without YAML keys of their own
// (StartBlock) and maps are left to their own checks.
func walkNumbers(v reflect.Value, path string, check func(path string, v reflect.Value) error) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fv, p := v.Field(i), join(path, name)
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		}
		switch fv.Kind() {
		case reflect.Struct:
			if err := walkNumbers(fv, p, check); err != nil {
				return err
			}
		case reflect.Float32, reflect.Float64,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if err := check(p, fv); err != nil {
				return err
			}
		}
	}
	return nil
}
