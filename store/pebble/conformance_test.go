package pebble

import (
	"encoding/binary"
	"testing"

	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/store/storetest"
	"github.com/cockroachdb/pebble"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		dir := t.TempDir()
		return storetest.Harness{
			Open: func(t *testing.T) (store.Backend, error) { return Open(dir) },
			SetSchema: func(t *testing.T, v uint64) {
				s, err := Open(dir)
				if err != nil {
					// A newer schema is refused on open: write it raw.
					db, err := pebble.Open(dir+"/store", &pebble.Options{Logger: quietLogger{}})
					if err != nil {
						t.Fatal(err)
					}
					defer db.Close()
					if err := db.Set(keySchema, binary.BigEndian.AppendUint64(nil, v), pebble.Sync); err != nil {
						t.Fatal(err)
					}
					return
				}
				defer s.Close()
				if err := s.db.Set(keySchema, binary.BigEndian.AppendUint64(nil, v), pebble.Sync); err != nil {
					t.Fatal(err)
				}
			},
			SchemaVersion:  SchemaVersion,
			ErrNewerSchema: ErrNewerSchema,
		}
	})
}
