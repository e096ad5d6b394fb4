package tornado_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
	"github.com/chainhound/chainhound/tracer/tracertest"
)

// TestHistoryCounts: the pool's history (deposits before the live pass
// first saw it, written outside blocks as a Bootstrap does) counts for
// the heuristics: a gas price one deposit of the history shares is not
// unique, a recipient that deposited in the history is tied to its own
// clean deposit. While the history is not loaded, a withdrawal's finding
// is provisional; once loaded, it is not.
func TestHistoryCounts(t *testing.T) {
	cases := []struct {
		name        string
		history     map[string]int // gas price or depositor → deposits
		done        bool
		to          string
		heuristics  []string
		provisional bool
		none        bool // no finding: a clean deposit's own withdrawal
	}{
		{"no history yet", nil, false, fresh, []string{tornado.UniqueGasPrice}, true, false},
		{"history shares the gas price", map[string]int{"g:4321": 1}, true, fresh, nil, false, false},
		{"history of other gas prices", map[string]int{"g:77": 3}, true, fresh, []string{tornado.UniqueGasPrice}, false, false},
		{"recipient deposited before", map[string]int{"a:" + addr(90): 1}, true, addr(90), nil, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := poolLabels()
			s := &tracertest.Sink{}
			e, err := tracer.New(tracer.Config{ConfidenceFloor: new(float64)}, tracer.Deps{Labels: l, Sink: s,
				Recognisers: []tracer.Recogniser{tornado.New(l, nil, nil).WithHistory()}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			openIncident(t, e)
			connect(t, e, theft(8)...)
			connect(t, e, block(3, "", deposit(thief, 4321)))
			// The live pass saw the pool first at block 2: its history ends at 1.
			if keys := e.RecogniserKeys(chains.Ethereum, tornado.Protocol, "hs/"); !slices.Equal(keys, []string{"hs/" + pool}) {
				t.Fatalf("history marks %v, want the pool's", keys)
			}
			values := map[string][]byte{}
			for k, n := range c.history {
				key := "hg/" + pool + "/" + k[2:]
				if k[0] == 'a' {
					key = "ha/" + pool + "/" + k[2:]
				}
				values[key] = strconv.AppendInt(nil, int64(n), 10)
			}
			if c.done {
				values["hd/"+pool] = []byte{2, 1} // next block 2, done
			}
			if err := e.PutRecogniserState(context.Background(), chains.Ethereum, tornado.Protocol, values); err != nil {
				t.Fatal(err)
			}
			connect(t, e, block(4, "", withdraw(c.to, c.to, 0, 4321)))
			ws := s.Of(tracer.MixerWithdrawal)
			if c.none {
				if len(ws) != 0 {
					t.Fatalf("withdrawals %+v; want none (the recipient's own clean deposit)", ws)
				}
				return
			}
			if len(ws) != 1 || !slices.Equal(ws[0].Heuristics, c.heuristics) || ws[0].Provisional != c.provisional {
				t.Fatalf("withdrawals %+v; want one, heuristics %v, provisional %v", ws, c.heuristics, c.provisional)
			}
		})
	}
}
