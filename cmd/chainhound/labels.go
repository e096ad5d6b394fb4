package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/watchlists"
)

// offlineLabels is what the offline commands (replay, trace) label
// addresses with: the shipped label sets plus the watchlists of data
// directory dir when it holds a store that no daemon has open. When a
// daemon holds it, inUse is called and the shipped labels are used alone.
func offlineLabels(ctx context.Context, dir string, networks watchlists.Networks, inUse func()) (*watchlists.Registry, error) {
	var st watchlists.Store
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "store")); err == nil {
			s, err := pebble.Open(dir)
			switch {
			case errors.Is(err, pebble.ErrInUse):
				inUse()
			case err != nil:
				return nil, fmt.Errorf("open %s: %w", dir, err)
			default:
				defer s.Close()
				st = s
			}
		}
	}
	reg := watchlists.NewRegistry(st, networks)
	if _, err := reg.LoadShipped(); err != nil {
		return nil, fmt.Errorf("load shipped labels: %w", err)
	}
	if st != nil {
		if err := reg.Load(ctx); err != nil {
			return nil, fmt.Errorf("load watchlists of %s: %w", dir, err)
		}
	}
	return reg, nil
}
