package screening

import (
	"context"
	"math/big"
	"slices"
	"sort"
	"strconv"

	"github.com/chainhound/chainhound/chains"
)

// Bitcoin screening (docs/decisions/0022-screening.md, "Bitcoin"): the
// index's Bitcoin address entries name the blocks whose outputs paid an
// address; the blocks of every address of a hop level are read once. A
// transaction pays each output from its inputs' addresses in proportion
// to their values (by count when the values were not resolved); an
// output to one of its own input addresses is change, not a payment.

// OutpointHoldings is what a Holdings implements when the tracer holds
// a chain's taint by outpoint (Bitcoin): the open incidents' taint held
// by each of outpoints ("txid:vout"), by outpoint.
type OutpointHoldings interface {
	OutpointHoldings(c chains.Chain, outpoints map[string]bool) map[string][]Holding
}

// received is what an address received in the window.
type received struct {
	ins   []*inflow
	total map[string]*big.Int
	// outs are the outpoints that paid it ("txid:vout"), when asked for.
	outs map[string]bool
}

// utxoHeights returns the heights, ascending and each once, of the
// latest MaxBlocks blocks in which an output paid each of addrs; cut
// names the addresses that had more.
func (s *Screener) utxoHeights(ctx context.Context, c chains.Chain, addrs map[string]bool) (hs []uint64, cut map[string]bool, err error) {
	seen := map[uint64]bool{}
	for a := range addrs {
		got, err := s.index.AddressBlocks(ctx, c, a, s.cfg.MaxBlocks+1)
		if err != nil {
			return nil, nil, err
		}
		if len(got) > s.cfg.MaxBlocks {
			got = got[1:]
			if cut == nil {
				cut = map[string]bool{}
			}
			cut[a] = true
		}
		for _, h := range got {
			if !seen[h] {
				seen[h] = true
				hs = append(hs, h)
			}
		}
	}
	slices.Sort(hs)
	return hs, cut, nil
}

// sender is an input address of a transaction and its weight.
type sender struct {
	addr string
	w    int64
}

// utxoSenders returns tx's input addresses ("" for an input whose address
// is unknown) with their weights, the largest first, and the weights' sum.
func utxoSenders(tx *chains.Tx) ([]sender, int64) {
	resolved := true
	for i := range tx.Inputs {
		if in := &tx.Inputs[i]; !in.Coinbase && !in.Resolved {
			resolved = false
		}
	}
	var out []sender
	var sum int64
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		if in.Coinbase {
			continue
		}
		w := int64(1)
		if resolved {
			w = in.Value
		}
		sum += w
		found := false
		for k := range out {
			if out[k].addr == in.Address {
				out[k].w += w
				found = true
				break
			}
		}
		if !found {
			out = append(out, sender{in.Address, w})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].w != out[j].w {
			return out[i].w > out[j].w
		}
		return out[i].addr < out[j].addr
	})
	return out, sum
}

// utxoInflows reads what each of addrs received per sender in the blocks
// their address entries name, each block once; withOuts also keeps the
// outpoints that paid them. cut names the addresses of which only the
// latest MaxBlocks blocks were read.
func (s *Screener) utxoInflows(ctx context.Context, c chains.Chain, addrs map[string]bool, withOuts bool) (out map[string]*received, cut map[string]bool, err error) {
	hs, cut, err := s.utxoHeights(ctx, c, addrs)
	if err != nil {
		return nil, nil, err
	}
	out = make(map[string]*received, len(addrs))
	by := map[[2]string]*inflow{}
	for _, h := range hs {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		b, err := s.index.Block(ctx, c, h)
		if err != nil {
			return nil, nil, err
		}
		if b == nil {
			continue
		}
		for ti := range b.Txs {
			tx := &b.Txs[ti]
			var senders []sender
			var sum int64
			sendersRead := false
			for oi := range tx.Outputs {
				o := &tx.Outputs[oi]
				if o.Value <= 0 || !addrs[o.Address] {
					continue
				}
				if !sendersRead {
					senders, sum = utxoSenders(tx)
					sendersRead = true
				}
				if isSender(senders, o.Address) {
					continue // change
				}
				r := out[o.Address]
				if r == nil {
					r = &received{total: map[string]*big.Int{}}
					if withOuts {
						r.outs = map[string]bool{}
					}
					out[o.Address] = r
				}
				value := big.NewInt(o.Value)
				if r.total[""] == nil {
					r.total[""] = new(big.Int)
				}
				r.total[""].Add(r.total[""], value)
				if withOuts {
					r.outs[tx.Hash+":"+strconv.FormatUint(uint64(o.Index), 10)] = true
				}
				if sum <= 0 {
					continue // a coinbase: no sender
				}
				// Each sender's part, the remainder to the largest.
				parts := make([]*big.Int, len(senders))
				rest := new(big.Int).Set(value)
				for k, sd := range senders {
					parts[k] = new(big.Int).Quo(new(big.Int).Mul(value, big.NewInt(sd.w)), big.NewInt(sum))
					rest.Sub(rest, parts[k])
				}
				parts[0].Add(parts[0], rest)
				for k, sd := range senders {
					if sd.addr == "" || parts[k].Sign() <= 0 {
						continue
					}
					key := [2]string{o.Address, sd.addr}
					in := by[key]
					if in == nil {
						in = &inflow{from: sd.addr, asset: chains.BTC, amount: new(big.Int), max: new(big.Int)}
						by[key] = in
						r.ins = append(r.ins, in)
					}
					in.amount.Add(in.amount, parts[k])
					if parts[k].Cmp(in.max) > 0 {
						in.max.Set(parts[k])
						in.tx = tx.Hash
					}
				}
			}
		}
	}
	for _, r := range out {
		sortInflows(r.ins)
	}
	return out, cut, nil
}

func isSender(ss []sender, addr string) bool {
	for _, s := range ss {
		if s.addr == addr {
			return true
		}
	}
	return false
}
