package redis

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store"
	"github.com/chainhound/chainhound/store/storetest"
)

// server is one redis-server shared by the tests of the package; each
// case gets its own key prefix.
var prefixes atomic.Int64

func freshPrefix() string { return fmt.Sprintf("{t%d}:", prefixes.Add(1)) }

func TestConformance(t *testing.T) {
	r := testnodes.StartRedis(t)
	c := r.Client(t)
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		p := freshPrefix()
		return storetest.Harness{
			Open: func(t *testing.T) (store.Backend, error) {
				return Open(context.Background(), r.URL, Options{Prefix: p, Lock: true})
			},
			SetSchema: func(t *testing.T, v uint64) {
				if err := c.Set(context.Background(), p+"schema", v, 0).Err(); err != nil {
					t.Fatal(err)
				}
			},
			SchemaVersion:  SchemaVersion,
			ErrNewerSchema: ErrNewerSchema,
		}
	})
}
