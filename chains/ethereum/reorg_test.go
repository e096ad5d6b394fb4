package ethereum

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

func seq(sign string, from, to int) []string {
	var out []string
	step := 1
	if from > to {
		step = -1
	}
	for i := from; ; i += step {
		out = append(out, fmt.Sprintf("%s%d", sign, i))
		if i == to {
			return out
		}
	}
}

// TestReorgShorterBranch: the node switches to a branch shorter than the
// one it leaves, 10 blocks deep (Backend.Fork can; Bitcoin's most-work
// rule cannot, so this is not in chainstest.Run), over ws and over http;
// the exact Disconnected/Connected sequence and the new branch's hashes.
func TestReorgShorterBranch(t *testing.T) {
	for _, transport := range []string{"ws", "http"} {
		t.Run(transport, func(t *testing.T) {
			sim := startSim(t, types.GenesisAlloc{})
			for range 15 {
				sim.Commit()
			}
			url := sim.WS
			if transport == "http" {
				url = sim.HTTP
			}
			r := &recorder{}
			startFollower(t, Config{Network: "dev", RPC: url, StartBlock: "1", Confirmations: 3, Traces: TracesAuto, Checkpoints: openStore(t, t.TempDir())}, r)
			waitTip(t, r, sim)
			tip, oldHash := sim.headHash(t)
			ancestor := tip - 10
			mark := r.Count()
			if err := sim.Fork(common.HexToHash(sim.hashAt(t, ancestor))); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				sim.Commit()
			}
			if _, h := sim.headHash(t); h == oldHash {
				t.Fatal("fork produced the same head")
			}
			waitTip(t, r, sim)
			got, hashes := r.Since(mark)
			want := append(seq("-", int(tip), int(ancestor)+1), seq("+", int(ancestor)+1, int(ancestor)+3)...)
			if !slices.Equal(got, want) {
				t.Fatalf("events %v, want %v", got, want)
			}
			for i, h := range hashes[10:] {
				if w := sim.hashAt(t, ancestor+1+uint64(i)); h != w {
					t.Errorf("connected block %d is %s, node has %s", ancestor+1+uint64(i), h, w)
				}
			}
			r.Check(t)
		})
	}
}
