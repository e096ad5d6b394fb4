package screening

import (
	"context"
	"fmt"
	"math/big"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

// Labels finds the watchlist entries of a normalised address
// (*watchlists.Registry).
type Labels interface {
	Lookup(chain chains.Chain, addr string) []watchlists.Entry
}

// Holding is an open incident's taint that an address holds now.
type Holding struct {
	Incident string
	Title    string
	Asset    chains.Asset
	Amount   *big.Int
	Hops     int
}

// Holdings gives the open incidents' taint an address holds (the
// engine's); nil: taint is not screened (the CLI on --data-dir).
type Holdings interface {
	Holdings(chain chains.Chain, addr string) []Holding
}

// Index is the transfer index (*tracer.IndexReader).
type Index interface {
	AddressBlocks(ctx context.Context, c chains.Chain, addr string, limit int) ([]uint64, error)
	Block(ctx context.Context, c chains.Chain, h uint64) (*chains.Block, error)
}

// Config configures a Screener.
type Config struct {
	// Hops is how far back indirect exposure is followed: 0 the default
	// (2), negative for direct exposure only.
	Hops int
	// Risk is the level table (default DefaultRisk).
	Risk RiskTable
	// MaxBlocks bounds the blocks read per address (the latest; default
	// 512) and MaxFanIn the senders followed further per address (the
	// largest; default 32), so a busy hub cannot make one screen read the
	// whole index.
	MaxBlocks int
	MaxFanIn  int
}

// Screener screens addresses.
type Screener struct {
	cfg      Config
	labels   Labels
	holdings Holdings
	index    Index
}

// New returns a screener; holdings and index may be nil (no taint, no
// indirect exposure).
func New(cfg Config, labels Labels, holdings Holdings, index Index) *Screener {
	if cfg.Hops == 0 {
		cfg.Hops = 2
	}
	if cfg.Hops < 0 {
		cfg.Hops = 0
	}
	if cfg.Risk == nil {
		cfg.Risk = DefaultRisk
	}
	if cfg.MaxBlocks <= 0 {
		cfg.MaxBlocks = 512
	}
	if cfg.MaxFanIn <= 0 {
		cfg.MaxFanIn = 32
	}
	return &Screener{cfg: cfg, labels: labels, holdings: holdings, index: index}
}

// Hop is one transfer of an exposure's path, from the listed address
// toward the screened one.
type Hop struct {
	Chain  string `json:"chain"`
	Tx     string `json:"tx"`
	From   string `json:"from"`
	To     string `json:"to"`
	Amount string `json:"amount"`
	Asset  string `json:"asset"`
}

// Exposure is one category of bad funds reaching the address.
type Exposure struct {
	Category Category `json:"category"`
	// Label names the listed address or the incident.
	Label string `json:"label"`
	// Incident is the open incident whose taint this is (stolen, direct);
	// the API clears it and the title for a key that may not read it.
	Incident string `json:"incident,omitempty"`
	// Address is the listed address (or the screened one, direct).
	Address string `json:"address"`
	// Share of the address's inflow of Asset that the exposure is (1 for
	// a listed address).
	Share float64 `json:"share"`
	// Amount that reached it, in Asset's smallest unit ("" for a listed
	// address itself).
	Amount string `json:"amount"`
	Asset  string `json:"asset"`
	Hops   int    `json:"hops"`
	Path   []Hop  `json:"path"`
	Risk   string `json:"risk"`
}

// Result is an address's screening.
type Result struct {
	Chain    string     `json:"chain"`
	Address  string     `json:"address"`
	Risk     string     `json:"risk"`
	Direct   []Exposure `json:"direct"`
	Indirect []Exposure `json:"indirect"`
	// Notes say what was not screened (no index, blocks beyond
	// MaxBlocks).
	Notes []string `json:"notes,omitempty"`
}

// dprkLabel recognises a DPRK attribution in an entry's label or note
// (the shipped labels say "DPRK (TraderTraitor)", "DPRK-attributed …",
// "Lazarus …").
var dprkLabel = regexp.MustCompile(`(?i)\b(dprk|lazarus|tradertraitor|north korea|apt ?38|bluenoroff|andariel)\b`)

// category returns what an entry marks its address as (ok false: none).
// Untrusted entries (a tenant's own) mark nothing.
func category(e watchlists.Entry) (Category, bool) {
	if e.Untrusted {
		return "", false
	}
	if dprkLabel.MatchString(e.Label) || dprkLabel.MatchString(e.Note) {
		return DPRK, true
	}
	switch e.Kind {
	case watchlists.Sanctioned:
		return Sanctioned, true
	case watchlists.Stolen:
		return Stolen, true
	case watchlists.Mixer:
		return Mixer, true
	case watchlists.Bridge:
		return Bridge, true
	}
	return "", false
}

// listed returns the categories an address's entries mark it with.
func (s *Screener) listed(c chains.Chain, addr string) []Exposure {
	var out []Exposure
	seen := map[Category]bool{}
	for _, e := range s.labels.Lookup(c, addr) {
		cat, ok := category(e)
		if !ok || seen[cat] {
			continue
		}
		seen[cat] = true
		label := e.Label
		if label == "" {
			label = string(e.Kind)
		}
		out = append(out, Exposure{Category: cat, Label: label, Address: watchlists.Display(c, addr)})
	}
	return out
}

// inflow is what one sender paid an address, per asset.
type inflow struct {
	from   string
	asset  chains.Asset
	amount *big.Int
	tx     string // the largest payment's
	max    *big.Int
}

func assetKey(a chains.Asset) string { return a.Contract }

func assetName(a chains.Asset) string {
	if a.Contract != "" {
		return a.Contract
	}
	return a.Symbol
}

// inflows reads what addr received, per (sender, asset), and its total
// per asset, from the latest MaxBlocks blocks the index holds for it.
func (s *Screener) inflows(ctx context.Context, c chains.Chain, addr string) ([]*inflow, map[string]*big.Int, bool, error) {
	hs, err := s.index.AddressBlocks(ctx, c, addr, s.cfg.MaxBlocks+1)
	if err != nil {
		return nil, nil, false, err
	}
	truncated := len(hs) > s.cfg.MaxBlocks
	if truncated {
		hs = hs[1:]
	}
	by := map[[2]string]*inflow{}
	total := map[string]*big.Int{}
	for _, h := range hs {
		b, err := s.index.Block(ctx, c, h)
		if err != nil {
			return nil, nil, false, err
		}
		if b == nil {
			continue
		}
		for ti := range b.Txs {
			tx := &b.Txs[ti]
			if tx.Failed {
				continue
			}
			for _, t := range tx.Transfers {
				if t.To != addr || t.From == addr || t.Kind == chains.Fee || t.Kind == chains.NFT || t.Amount == nil || t.Amount.Sign() <= 0 {
					continue
				}
				k := [2]string{t.From, assetKey(t.Asset)}
				in := by[k]
				if in == nil {
					in = &inflow{from: t.From, asset: t.Asset, amount: new(big.Int), max: new(big.Int)}
					by[k] = in
				}
				in.amount.Add(in.amount, t.Amount)
				if t.Amount.Cmp(in.max) > 0 {
					in.max.Set(t.Amount)
					in.tx = tx.Hash
				}
				tot := total[k[1]]
				if tot == nil {
					tot = new(big.Int)
					total[k[1]] = tot
				}
				tot.Add(tot, t.Amount)
			}
		}
	}
	out := make([]*inflow, 0, len(by))
	for _, in := range by {
		out = append(out, in)
	}
	sortInflows(out)
	return out, total, truncated, nil
}

// sortInflows orders inflows the largest first, then by sender, for a
// stable answer.
func sortInflows(out []*inflow) {
	sort.Slice(out, func(i, j int) bool {
		if d := out[i].amount.Cmp(out[j].amount); d != 0 {
			return d > 0
		}
		if out[i].from != out[j].from {
			return out[i].from < out[j].from
		}
		return assetKey(out[i].asset) < assetKey(out[j].asset)
	})
}

// share is part/whole as a float for display (0 when whole is 0).
func share(part, whole *big.Int) float64 {
	if whole == nil || whole.Sign() == 0 {
		return 0
	}
	f, _ := new(big.Rat).SetFrac(part, whole).Float64()
	return min(f, 1)
}

// Screen screens one normalised address of chain c.
func (s *Screener) Screen(ctx context.Context, c chains.Chain, addr string) (Result, error) {
	r := Result{Chain: string(c), Address: watchlists.Display(c, addr), Direct: []Exposure{}, Indirect: []Exposure{}}
	for _, e := range s.listed(c, addr) {
		e.Share, e.Path = 1, []Hop{}
		r.Direct = append(r.Direct, e)
	}
	var total map[string]*big.Int
	var firsts []*inflow
	var fetch func([]string) (map[string]*received, error)
	var paidBy map[string]bool // Bitcoin: the outpoints that paid addr
	utxo := c == chains.Bitcoin
	switch {
	case s.index == nil:
		r.Notes = append(r.Notes, "no transfer index: indirect exposure not screened")
	case utxo:
		got, cut, err := s.utxoInflows(ctx, c, map[string]bool{addr: true}, true)
		if err != nil {
			return r, err
		}
		if cut[addr] {
			r.Notes = append(r.Notes, "only the latest blocks of the address were read")
		}
		if rc := got[addr]; rc != nil {
			firsts, total, paidBy = rc.ins, rc.total, rc.outs
		}
		fetch = func(addrs []string) (map[string]*received, error) {
			set := make(map[string]bool, len(addrs))
			for _, a := range addrs {
				set[a] = true
			}
			got, _, err := s.utxoInflows(ctx, c, set, false)
			return got, err
		}
	case s.cfg.Hops > 0:
		var truncated bool
		var err error
		firsts, total, truncated, err = s.inflows(ctx, c, addr)
		if err != nil {
			return r, err
		}
		if truncated {
			r.Notes = append(r.Notes, "only the latest blocks of the address were read")
		}
		fetch = func(addrs []string) (map[string]*received, error) {
			out := make(map[string]*received, len(addrs))
			for _, a := range addrs {
				ins, tot, _, err := s.inflows(ctx, c, a)
				if err != nil {
					return nil, err
				}
				out[a] = &received{ins: ins, total: tot}
			}
			return out, nil
		}
	}
	if s.holdings != nil {
		for _, h := range s.heldBy(c, addr, paidBy) {
			label := h.Title
			if label == "" {
				label = "open incident " + h.Incident
			}
			r.Direct = append(r.Direct, Exposure{Category: Stolen, Label: label, Incident: h.Incident, Address: r.Address,
				Share: heldShare(h, total), Amount: h.Amount.String(), Asset: assetName(h.Asset), Path: []Hop{}})
		}
	}
	if fetch != nil && s.cfg.Hops > 0 {
		var err error
		if r.Indirect, err = s.indirect(ctx, c, addr, firsts, total, fetch); err != nil {
			return r, err
		}
	}
	for i := range r.Direct {
		r.Direct[i].Risk = s.cfg.Risk.Level(r.Direct[i].Category, 0)
	}
	for i := range r.Indirect {
		r.Indirect[i].Risk = s.cfg.Risk.Level(r.Indirect[i].Category, r.Indirect[i].Hops)
	}
	r.Risk = None
	for _, e := range slices.Concat(r.Direct, r.Indirect) {
		if levelRank(e.Risk) < levelRank(r.Risk) {
			r.Risk = e.Risk
		}
	}
	return r, nil
}

// heldBy returns the open incidents' taint addr holds: the engine's
// holdings of the address on the account model; on Bitcoin those of the
// outpoints that paid it (paidBy), one per incident and asset.
func (s *Screener) heldBy(c chains.Chain, addr string, paidBy map[string]bool) []Holding {
	if c != chains.Bitcoin {
		return s.holdings.Holdings(c, addr)
	}
	oh, ok := s.holdings.(OutpointHoldings)
	if !ok || len(paidBy) == 0 {
		return nil
	}
	byOut := oh.OutpointHoldings(c, paidBy)
	outs := make([]string, 0, len(byOut))
	for o := range byOut {
		outs = append(outs, o)
	}
	sort.Strings(outs)
	var out []Holding
	for _, o := range outs {
	next:
		for _, h := range byOut[o] {
			for i := range out {
				if out[i].Incident == h.Incident && assetKey(out[i].Asset) == assetKey(h.Asset) {
					out[i].Amount = new(big.Int).Add(out[i].Amount, h.Amount)
					out[i].Hops = min(out[i].Hops, h.Hops)
					continue next
				}
			}
			h.Amount = new(big.Int).Set(h.Amount)
			out = append(out, h)
		}
	}
	return out
}

// heldShare is a holding's share of the address's inflow of its asset
// (1 when the index knows of none).
func heldShare(h Holding, total map[string]*big.Int) float64 {
	if t := total[assetKey(h.Asset)]; t != nil && t.Sign() > 0 {
		return share(h.Amount, t)
	}
	return 1
}

// step is a sender reached going back from the screened address: what of
// the screened address's inflow came from it (amount, of asset), and the
// path from it to the screened address.
type step struct {
	addr   string
	asset  chains.Asset
	amount *big.Int
	path   []Hop
}

// indirect walks back from addr over inflows, up to Hops, reporting each
// listed sender once per category (the nearest, then the largest). The
// amount of a far sender is what its share of each intermediate's inflow
// carries forward (haircut): a × in(s→m) / inflow(m).
func (s *Screener) indirect(ctx context.Context, c chains.Chain, addr string, firsts []*inflow, total map[string]*big.Int, fetch func([]string) (map[string]*received, error)) ([]Exposure, error) {
	best := map[[2]string]*Exposure{} // (category, listed address)
	visited := map[string]bool{addr: true}
	var level []step
	for i, in := range firsts {
		if i == s.cfg.MaxFanIn {
			break
		}
		level = append(level, step{addr: in.from, asset: in.asset, amount: new(big.Int).Set(in.amount),
			path: []Hop{{Chain: string(c), Tx: in.tx, From: watchlists.Display(c, in.from), To: watchlists.Display(c, addr), Amount: in.amount.String(), Asset: assetName(in.asset)}}})
	}
	for hops := 1; hops <= s.cfg.Hops && len(level) > 0; hops++ {
		// What the senders to follow further received, read at once (one
		// pass over the window on Bitcoin).
		var expand []string
		seen := map[string]bool{}
		for _, st := range level {
			if hops < s.cfg.Hops && !visited[st.addr] && !seen[st.addr] && len(s.listed(c, st.addr)) == 0 {
				seen[st.addr] = true
				expand = append(expand, st.addr)
			}
		}
		var got map[string]*received
		if len(expand) > 0 {
			var err error
			if got, err = fetch(expand); err != nil {
				return nil, err
			}
		}
		var next []step
		for _, st := range level {
			listed := s.listed(c, st.addr)
			for _, e := range listed {
				k := [2]string{string(e.Category), st.addr}
				if old := best[k]; old != nil && old.Hops <= hops {
					continue
				}
				e.Hops, e.Path = hops, st.path
				e.Amount, e.Asset = st.amount.String(), assetName(st.asset)
				e.Share = share(st.amount, total[assetKey(st.asset)])
				best[k] = &e
			}
			if len(listed) > 0 || hops == s.cfg.Hops || visited[st.addr] {
				continue // a listed address is where exposure stops
			}
			visited[st.addr] = true
			rc := got[st.addr]
			if rc == nil {
				continue
			}
			ins, tot := rc.ins, rc.total
			n := 0
			for _, in := range ins {
				if n == s.cfg.MaxFanIn {
					break
				}
				if assetKey(in.asset) != assetKey(st.asset) || visited[in.from] {
					continue
				}
				n++
				carried := new(big.Int).Mul(st.amount, in.amount)
				carried.Quo(carried, tot[assetKey(in.asset)])
				if carried.Sign() == 0 {
					continue
				}
				hop := Hop{Chain: string(c), Tx: in.tx, From: watchlists.Display(c, in.from), To: watchlists.Display(c, st.addr), Amount: in.amount.String(), Asset: assetName(in.asset)}
				next = append(next, step{addr: in.from, asset: in.asset, amount: carried, path: append([]Hop{hop}, st.path...)})
			}
		}
		level = next
	}
	out := make([]Exposure, 0, len(best))
	for _, e := range best {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Hops != b.Hops {
			return a.Hops < b.Hops
		}
		if ci, cj := slices.Index(Categories, a.Category), slices.Index(Categories, b.Category); ci != cj {
			return ci < cj
		}
		return strings.Compare(a.Address, b.Address) < 0
	})
	return out, nil
}

// ScreenAll screens addrs (normalised) of chain c on up to workers
// goroutines (0: GOMAXPROCS), the results in their order; the first
// error stops it, naming the address's index.
func (s *Screener) ScreenAll(ctx context.Context, c chains.Chain, addrs []string, workers int) ([]Result, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]Result, len(addrs))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(addrs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(addrs) {
					return
				}
				r, err := s.Screen(ctx, c, addrs[i])
				if err != nil {
					cancel(fmt.Errorf("screen addresses[%d] %s: %w", i, addrs[i], err))
					return
				}
				out[i] = r
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}
