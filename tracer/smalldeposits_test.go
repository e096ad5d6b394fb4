package tracer_test

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// A theft split into many pieces, each far below 0.1 % of it (the usual
// laundering pattern): every piece that reaches an exchange raises its
// finding, whatever min_share says — the share cut only drops small
// holdings at addresses that are no service — and with the default
// (min_share 0, off) every piece above dust is followed.
func TestSmallDepositsAreNeverLost(t *testing.T) {
	const pieces = 2000 // 500 each of 1,000,000: 0.05 % of the theft
	split := make([]xf, pieces)
	deposits := make([][]xf, pieces)
	for i := range split {
		w := fmt.Sprintf("0xw%04d", i)
		split[i] = xf{"0xthief", w, 500, false}
		deposits[i] = []xf{{w, "0xex", 500, false}}
	}
	for _, c := range []struct {
		name     string
		minShare float64
		held     int // holdings of the split wallets after the split
	}{
		{"default (off)", 0, pieces},
		{"min_share 0.001", 0.001, 0},
	} {
		for _, pol := range policies {
			t.Run(c.name+"/"+string(pol), func(t *testing.T) {
				labels := labelMap{}
				labels.add(chains.Ethereum, "0xex", watchlists.Exchange, "Exchange")
				log := &findingLog{}
				e, err := tracer.New(tracer.Config{MinShare: c.minShare}, tracer.Deps{Labels: labels, Sink: log, Balances: balanceMap{}})
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				open(t, e, watchlists.Incident{ID: "inc_split", Chain: chains.Ethereum, Policy: pol, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}, Dust: big.NewInt(100)})
				connect(t, e, ethBlock(1, "", []xf{{"0xv", "0xthief", 1_000_000, false}}))
				connect(t, e, ethBlock(2, "", split))
				got := 0
				for a := range held(t, e, "inc_split") {
					if strings.HasPrefix(a, "0xw") {
						got++
					}
				}
				if got != c.held {
					t.Fatalf("%d split wallets hold taint, want %d", got, c.held)
				}
				connect(t, e, ethBlock(3, "", deposits...))
				deps := log.ofType(tracer.ExchangeDeposit)
				if c.held == 0 {
					// Nothing followed past the cut: the exchange is never
					// reached (the cut is applied to the split wallets).
					if len(deps) != 0 {
						t.Fatalf("%d deposits from wallets that hold no taint", len(deps))
					}
					return
				}
				if len(deps) != pieces {
					t.Fatalf("%d exchange deposits raised, want %d", len(deps), pieces)
				}
				for _, f := range deps {
					if f.Tainted.Int64() != 500 || f.Share >= 0.001 {
						t.Fatalf("deposit %s: tainted %v share %v", f.Tx, f.Tainted, f.Share)
					}
				}
			})
		}
	}
}

// With min_share set, a piece paid straight to an exchange is still
// raised: the share cut never suppresses a deposit at a service.
func TestMinShareNeverCutsAServiceDeposit(t *testing.T) {
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xex", watchlists.Exchange, "Exchange")
	labels.add(chains.Ethereum, "0xsdn", watchlists.Sanctioned, "SDN")
	for _, pol := range policies {
		log := &findingLog{}
		e, err := tracer.New(tracer.Config{MinShare: 0.01}, tracer.Deps{Labels: labels, Sink: log, Balances: balanceMap{}})
		if err != nil {
			t.Fatal(err)
		}
		open(t, e, watchlists.Incident{ID: "inc_small", Chain: chains.Ethereum, Policy: pol, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}, Dust: big.NewInt(100)})
		connect(t, e, ethBlock(1, "", []xf{{"0xv", "0xthief", 1_000_000, false}}))
		connect(t, e, ethBlock(2, "", []xf{{"0xthief", "0xex", 1000, false}}, []xf{{"0xthief", "0xsdn", 2000, false}}, []xf{{"0xthief", "0xspeck", 3000, false}}, []xf{{"0xthief", "0xdust", 99, false}}))
		if n := len(log.ofType(tracer.ExchangeDeposit)); n != 1 {
			t.Errorf("%s: %d exchange deposits of 0.1 %% of the theft, want 1", pol, n)
		}
		if n := len(log.ofType(tracer.SanctionedHit)); n != 1 {
			t.Errorf("%s: %d sanctioned hits of 0.2 %%, want 1", pol, n)
		}
		h := held(t, e, "inc_small")
		if _, ok := h["0xspeck"]; ok {
			t.Errorf("%s: a 0.3 %% holding at no service was kept under min_share 1 %%: %v", pol, h)
		}
		e.Close()
	}
}
