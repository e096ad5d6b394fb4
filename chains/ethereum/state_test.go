package ethereum

import (
	"errors"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// The node answers that mean "pruned state" become a
// *chains.StateUnavailableError naming the block; anything else is kept.
// (TestTraceNodeLimit in internal/daemon meets the first for real.)
func TestAsStateUnavailable(t *testing.T) {
	for _, c := range []struct {
		msg    string
		pruned bool
	}{
		{"historical state c9cfe1cfda946ff80a739bdb391ec56baff96e554f53c843785c7c96e32626d3 is not available", true},
		{"historical state is not available", true},
		{"required historical state unavailable (reexec=128)", true},
		{"missing trie node 1f2e… (path ) state 0x… is not available", true},
		{"header not found", false},
		{"execution reverted", false},
	} {
		err := asStateUnavailable(errors.New(c.msg), 42)
		var sue *chains.StateUnavailableError
		if got := errors.As(err, &sue); got != c.pruned {
			t.Errorf("%q: state unavailable %v, want %v", c.msg, got, c.pruned)
			continue
		}
		if c.pruned && (sue.Block != 42 || sue.Chain != chains.Ethereum || sue.NodeMessage != c.msg) {
			t.Errorf("%q: %+v", c.msg, sue)
		}
	}
	if asStateUnavailable(nil, 1) != nil {
		t.Error("nil error became an error")
	}
}
