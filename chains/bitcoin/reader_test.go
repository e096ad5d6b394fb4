package bitcoin

import (
	"context"
	"errors"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// TestOpenReaderCannotRun: a follower opened as a block reader needs no
// checkpoint store, and Run says at once that it cannot follow.
func TestOpenReaderCannotRun(t *testing.T) {
	f, err := OpenReader(Config{Network: "simnet", RPC: "127.0.0.1:1", RPCUser: "u", RPCPassword: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Run(context.Background(), func(context.Context, chains.Event) error { return nil }); !errors.Is(err, chains.ErrNoCheckpoints) {
		t.Fatalf("Run = %v, want ErrNoCheckpoints", err)
	}
}
