package tracer

import (
	"math/big"
	"sort"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

// FlowGraph is the forward flow of an incident's taint: one node per
// address the taint passed through or sits at, one edge per hop.
type FlowGraph struct {
	Incident  string            `json:"incident"`
	Chain     chains.Chain      `json:"chain"`
	Tx        string            `json:"tx,omitempty"` // the traced transaction (TraceTx)
	Policy    watchlists.Policy `json:"policy"`
	MaxHops   int               `json:"max_hops"`
	FromBlock uint64            `json:"from_block,omitempty"`
	ToBlock   uint64            `json:"to_block,omitempty"` // last block replayed
	Stolen    []AssetAmount     `json:"stolen"`
	Nodes     []FlowNode        `json:"nodes"`
	Edges     []FlowEdge        `json:"edges"`
	Findings  []FlowFinding     `json:"findings"`
}

// AssetAmount is an exact amount of one asset.
type AssetAmount struct {
	Asset  chains.Asset `json:"asset"`
	Amount *Amount      `json:"amount"`
	// Formatted is Amount in the asset's units, exactly ("1.5 ETH").
	Formatted string `json:"formatted"`
}

// FlowNode is one address of the flow.
type FlowNode struct {
	Chain   chains.Chain       `json:"chain"`
	Address string             `json:"address"` // display form (EIP-55 on Ethereum)
	Labels  []watchlists.Entry `json:"labels,omitempty"`
	// Held is the taint the address still holds (tracked exactly).
	Held []AssetAmount `json:"held,omitempty"`
	// Parked is taint that reached this service and left exact tracking.
	Parked []AssetAmount `json:"parked,omitempty"`
}

// FlowEdge is one hop: tainted value moved by a transaction.
type FlowEdge struct {
	Chain     chains.Chain `json:"chain"`
	Tx        string       `json:"tx"`
	Block     uint64       `json:"block"`
	From      string       `json:"from"`
	To        string       `json:"to"`
	Asset     chains.Asset `json:"asset"`
	Amount    *Amount      `json:"amount"` // the tainted amount carried
	Formatted string       `json:"formatted"`
	Hop       int          `json:"hop"` // 1 for the theft itself
}

// FlowFinding is a finding met on the way (an exchange deposit, a mixer…).
type FlowFinding struct {
	ID        string            `json:"id"`
	Type      FindingType       `json:"type"`
	Tx        string            `json:"tx"`
	Block     uint64            `json:"block"`
	From      string            `json:"from"`
	To        string            `json:"to"`
	Asset     chains.Asset      `json:"asset"`
	Amount    *Amount           `json:"amount"`
	Tainted   *Amount           `json:"tainted"`
	Formatted string            `json:"formatted"` // Tainted in the asset's units
	Share     float64           `json:"share"`
	Hops      int               `json:"hops"`
	Label     *watchlists.Entry `json:"label,omitempty"`
}

// Amount is an exact integer in an asset's smallest unit; JSON writes it
// as a decimal string.
type Amount big.Int

// NewAmount copies x.
func NewAmount(x *big.Int) *Amount {
	if x == nil {
		return (*Amount)(new(big.Int))
	}
	return (*Amount)(new(big.Int).Set(x))
}

// Big returns the amount as a *big.Int (shared, do not modify).
func (a *Amount) Big() *big.Int { return (*big.Int)(a) }

func (a *Amount) String() string { return a.Big().String() }

// MarshalJSON writes a decimal string.
func (a *Amount) MarshalJSON() ([]byte, error) {
	return []byte(`"` + a.Big().String() + `"`), nil
}

// UnmarshalJSON reads a decimal string.
func (a *Amount) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return &amountError{string(b)}
	}
	if _, ok := a.Big().SetString(string(b[1:len(b)-1]), 10); !ok {
		return &amountError{string(b)}
	}
	return nil
}

type amountError struct{ s string }

func (e *amountError) Error() string { return "amount " + e.s + ": want a decimal string" }

// FormatUnits writes x (smallest unit) in units of 10^decimals, exactly,
// without trailing zeros: FormatUnits(1500000000000000000, 18) = "1.5".
func FormatUnits(x *big.Int, decimals uint8) string {
	if x == nil {
		return "0"
	}
	neg := x.Sign() < 0
	s := new(big.Int).Abs(x).String()
	d := int(decimals)
	if d > 0 {
		for len(s) <= d {
			s = "0" + s
		}
		i, f := s[:len(s)-d], s[len(s)-d:]
		for len(f) > 0 && f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		s = i
		if f != "" {
			s += "." + f
		}
	}
	if neg {
		s = "-" + s
	}
	return s
}

// FormatAsset is FormatUnits plus the asset's symbol (or contract when it
// has none).
func FormatAsset(x *big.Int, a chains.Asset) string {
	sym := a.Symbol
	if sym == "" {
		sym = a.Contract
	}
	if sym == "" {
		return FormatUnits(x, a.Decimals)
	}
	return FormatUnits(x, a.Decimals) + " " + sym
}

func assetAmount(a chains.Asset, x *big.Int) AssetAmount {
	return AssetAmount{Asset: a, Amount: NewAmount(x), Formatted: FormatAsset(x, a)}
}

// nativeAsset is the chain's own asset.
func nativeAsset(c chains.Chain) chains.Asset {
	if c == chains.Bitcoin {
		return chains.BTC
	}
	return chains.ETH
}

// assetByKey names an asset from its key; tokens seen on the way keep
// their symbol and decimals.
func assetByKey(c chains.Chain, key string, known map[string]chains.Asset) chains.Asset {
	if key == "" {
		return nativeAsset(c)
	}
	if a, ok := known[key]; ok {
		return a
	}
	return chains.Asset{Contract: key}
}

// Flow returns the forward flow graph of an incident from the engine's
// provenance: the hops the engine still holds (those of blocks within the
// finality depth, and every hop that leads to taint still held or parked),
// the taint held and parked per address, and the labels of each address.
// A hop's asset is the asset of the holding or service it leads to (the
// native asset when nothing it leads to is held any more).
func (e *Engine) Flow(id string) (*FlowGraph, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	inc := e.incidents[id]
	if inc == nil {
		return nil, false
	}
	a := e.a
	seen := map[hopID]bool{}
	var hops []hopID
	keys := map[hopID]string{} // hop → asset key, from what it leads to
	add := func(h hopID, key string, known bool) {
		for p := h; p != 0 && a.hop(p).flags&hopDead == 0; p = a.hop(p).parent {
			// A hop that leads to holdings of two assets (a WETH
			// conversion on the way) takes the smaller key: the same
			// answer whatever order the holdings are visited in.
			if cur, ok := keys[p]; known && (!ok || key < cur) {
				keys[p] = key
			}
			if seen[p] {
				continue
			}
			seen[p] = true
			hops = append(hops, p)
		}
	}
	if cs := e.chains[inc.def.Chain]; cs != nil {
		cs.eachHead(func(k hkey, head holdID) {
			for id := head; id != 0; id = cs.next(id) {
				if a.incOf(id) != inc {
					continue
				}
				h := a.holding(id)
				add(h.via, k.b, true)
				if q := a.queue(h); q != nil {
					for _, s := range *q {
						add(s.via, k.b, true)
					}
				}
			}
		})
		for pk, p := range cs.parked {
			if pk.inc == inc {
				add(p.via, pk.asset, true)
			}
		}
		for _, j := range cs.journals {
			for _, r := range j.recs {
				if r.kind == recHop && a.hopInc(r.h) == inc {
					add(r.h, "", false)
				}
			}
		}
	}
	fhops := make([]flowHop, len(hops))
	for i, h := range hops {
		fhops[i] = a.flowHop(h, assetByKey(inc.def.Chain, keys[h], nil))
	}
	return e.buildFlow(inc, fhops, nil), true
}

// flowHop is a hop as the flow graph shows it.
type flowHop struct {
	chain    chains.Chain
	tx       string
	from, to string
	amt      *big.Int
	block    uint32
	seq      int32
	depth    uint16
	asset    chains.Asset
}

func (a *arena) flowHop(id hopID, asset chains.Asset) flowHop {
	h := a.hop(id)
	amt := a.get(h.amt)
	return flowHop{chain: a.chainOf(id), tx: a.txs[h.tx], from: a.from(id), to: h.to.String(), amt: amt.ToBig(), block: h.block, seq: h.seq, depth: h.depth, asset: asset}
}

// buildFlow assembles the graph of inc from hops. Call with e.mu held.
// known names token assets by key.
func (e *Engine) buildFlow(inc *incident, hops []flowHop, known map[string]chains.Asset) *FlowGraph {
	c := inc.def.Chain
	g := &FlowGraph{Incident: inc.def.ID, Chain: c, Policy: inc.policy, MaxHops: inc.maxHops, Nodes: []FlowNode{}, Edges: []FlowEdge{}, Findings: []FlowFinding{}}
	stolenKeys := make([]string, 0, len(inc.rt.stolen))
	for k := range inc.rt.stolen {
		stolenKeys = append(stolenKeys, k)
	}
	sort.Strings(stolenKeys)
	for _, k := range stolenKeys {
		g.Stolen = append(g.Stolen, assetAmount(assetByKey(c, k, known), inc.rt.stolen[k].ToBig()))
	}
	sort.SliceStable(hops, func(i, k int) bool {
		a, b := hops[i], hops[k]
		if a.block != b.block {
			return a.block < b.block
		}
		if a.depth != b.depth {
			return a.depth < b.depth
		}
		if a.tx != b.tx {
			return a.tx < b.tx
		}
		return a.seq < b.seq
	})
	nodes := map[string]*FlowNode{}
	var order []string
	node := func(addr string) *FlowNode {
		if n := nodes[addr]; n != nil {
			return n
		}
		n := &FlowNode{Chain: c, Address: watchlists.Display(c, addr), Labels: e.labels(c, addr)} // EIP-55 once per address
		nodes[addr] = n
		order = append(order, addr)
		return n
	}
	for _, h := range hops {
		fn, tn := node(h.from), node(h.to)
		a, amt := h.asset, h.amt
		g.Edges = append(g.Edges, FlowEdge{Chain: h.chain, Tx: h.tx, Block: uint64(h.block), From: fn.Address, To: tn.Address,
			Asset: a, Amount: NewAmount(amt), Formatted: FormatAsset(amt, a), Hop: int(h.depth)})
	}
	held := map[string]map[string]*big.Int{}
	addTo := func(m map[string]map[string]*big.Int, addr, key string, x *big.Int) {
		if m[addr] == nil {
			m[addr] = map[string]*big.Int{}
		}
		if m[addr][key] == nil {
			m[addr][key] = new(big.Int)
		}
		m[addr][key].Add(m[addr][key], x)
	}
	parkedAt := map[string]map[string]*big.Int{}
	if cs := e.chains[c]; cs != nil {
		a := e.a
		cs.eachHead(func(k hkey, head holdID) {
			for id := head; id != 0; id = cs.next(id) {
				h := a.holding(id)
				taint := a.get(h.taint)
				if a.incOf(id) != inc || taint.IsZero() {
					continue
				}
				addr := k.a
				if cs.utxo {
					if h.via == 0 {
						continue
					}
					addr = a.hop(h.via).to.String() // an output's hop leads to its address
				}
				node(addr)
				addTo(held, addr, k.b, taint.ToBig())
			}
		})
		for pk, p := range cs.parked {
			if pk.inc == inc && !p.amt.IsZero() {
				node(pk.service)
				addTo(parkedAt, pk.service, pk.asset, p.amt.ToBig())
			}
		}
	}
	amounts := func(m map[string]*big.Int) []AssetAmount {
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		var out []AssetAmount
		for _, k := range ks {
			out = append(out, assetAmount(assetByKey(c, k, known), m[k]))
		}
		return out
	}
	for _, addr := range order {
		n := nodes[addr]
		n.Held = amounts(held[addr])
		n.Parked = amounts(parkedAt[addr])
		g.Nodes = append(g.Nodes, *n)
	}
	return g
}

// flowFinding is the graph's view of a finding.
func flowFinding(f Finding) FlowFinding {
	ff := FlowFinding{ID: f.ID, Type: f.Type, Tx: f.Tx, Block: f.Block.Number, From: watchlists.Display(f.Chain, f.From), To: watchlists.Display(f.Chain, f.To),
		Asset: f.Asset, Amount: NewAmount(f.Amount), Share: f.Share, Hops: f.Hops, Label: f.Label}
	if f.Tainted != nil {
		ff.Tainted = NewAmount(f.Tainted)
		ff.Formatted = FormatAsset(f.Tainted, f.Asset)
	}
	return ff
}
