package main

import (
	"bytes"
	"os"
	"testing"
)

// The committed chains/bitcoin/ripemd.go is exactly what the generator
// writes: editing either alone fails here (run `go generate
// ./chains/bitcoin` and commit the file).
func TestCommittedFileIsGenerated(t *testing.T) {
	want, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../ripemd.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("chains/bitcoin/ripemd.go is not what ripemdgen writes: run `go generate ./chains/bitcoin` and commit it")
	}
}
