package watchlists

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/chainhound/chainhound/chains"
)

//go:generate go run ./internal/labelgen -out labels

// labelFiles are the shipped label sets, one CSV per kind (header
// chain,address,label,source,note), rebuilt by internal/labelgen.
//
//go:embed labels/*.csv
var labelFiles embed.FS

// ShippedEntries returns the embedded labels as entries: Owner "", Source
// "shipped:" and the upstream it came from. They are mainnet addresses;
// Registry.LoadShipped loads them only on mainnet.
func ShippedEntries() ([]Entry, error) {
	names, err := fs.Glob(labelFiles, "labels/*.csv")
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, name := range names {
		kind, err := ParseKind(strings.TrimSuffix(path.Base(name), ".csv"))
		if err != nil {
			return nil, fmt.Errorf("shipped %s: %w", name, err)
		}
		f, err := labelFiles.Open(name)
		if err != nil {
			return nil, err
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("shipped %s: %w", name, err)
		}
		for i, r := range recs[1:] {
			if len(r) != 6 {
				return nil, fmt.Errorf("shipped %s:%d: %d fields, want 6", name, i+2, len(r))
			}
			out = append(out, Entry{
				Chain: chains.Chain(r[0]), Address: r[1], Kind: kind,
				Label: r[2], Source: ShippedSourcePrefix + r[3], Note: r[4], Protocol: r[5],
			})
		}
	}
	return out, nil
}

// LoadShipped puts the shipped labels of every chain whose configured
// network is mainnet into memory (never into the store). It returns how
// many were loaded. Call it before Load, so stored entries win.
func (r *Registry) LoadShipped() (int, error) {
	all, err := ShippedEntries()
	if err != nil {
		return 0, err
	}
	keep := all[:0]
	for _, e := range all {
		if r.Network(e.Chain) == "mainnet" {
			keep = append(keep, e)
		}
	}
	r.AddShipped(keep)
	return len(keep), nil
}
