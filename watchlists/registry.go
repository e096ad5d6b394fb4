package watchlists

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/chainhound/chainhound/chains"
)

// Networks names the configured network of each chain ("" = mainnet).
type Networks map[chains.Chain]string

// Registry is the in-memory watchlist the tracer consults on every
// transfer: entries by chain and normalised address, several per address.
// Writes go to the Store first, then to memory. It is safe for concurrent
// use; Lookup takes only a read lock and allocates nothing.
type Registry struct {
	store    Store
	networks Networks

	mu     sync.RWMutex
	byAddr map[chains.Chain]map[string][]Entry
	n      int
	kinds  map[chains.Chain]map[Kind]int // entries per chain and kind
	intern map[string]string             // shared Kind/Owner/Source strings
	last   [3]string                     // the last interned Kind, Owner, Source
	mem    arena                         // backing bytes of addresses, labels, notes
	slab   []Entry                       // backing array of single-entry slices
}

// NewRegistry returns an empty registry over store (nil: memory only).
func NewRegistry(store Store, networks Networks) *Registry {
	if networks == nil {
		networks = Networks{}
	}
	return &Registry{
		store:    store,
		networks: networks,
		byAddr:   map[chains.Chain]map[string][]Entry{},
		kinds:    map[chains.Chain]map[Kind]int{},
		intern:   map[string]string{},
	}
}

// Network returns the configured network of chain ("mainnet" by default).
func (r *Registry) Network(chain chains.Chain) string {
	if n := r.networks[chain]; n != "" {
		return n
	}
	return "mainnet"
}

// Load reads every stored entry into memory (after the shipped labels, if
// any were loaded, so a stored entry with the same key wins).
func (r *Registry) Load(ctx context.Context) error {
	if r.store == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.store.Entries(ctx, func(e Entry) error {
		r.putLocked(e)
		return nil
	})
}

// Lookup returns the entries of addr (normalised) on chain, or nil. The
// returned slice is shared: callers must not modify it.
func (r *Registry) Lookup(chain chains.Chain, addr string) []Entry {
	r.mu.RLock()
	es := r.byAddr[chain][addr]
	r.mu.RUnlock()
	return es
}

// Len returns the number of entries held.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.n
}

// Validate normalises e's address for the configured network and checks
// its kind, owner and text fields. It returns the entry as it would be
// stored.
func (r *Registry) Validate(e Entry) (Entry, error) {
	addr, err := Normalize(e.Chain, r.Network(e.Chain), strings.TrimSpace(e.Address))
	if err != nil {
		return e, err
	}
	e.Address = addr
	if _, err := ParseKind(string(e.Kind)); err != nil {
		return e, err
	}
	if err := ParseProtocol(e.Protocol, e.Kind); err != nil {
		return e, &FieldError{Field: "protocol", Err: err}
	}
	if err := ValidateOwner(e.Owner); err != nil {
		return e, err
	}
	if err := checkTexts(e, sourcePrefixRoom); err != nil {
		return e, err
	}
	if e.Shipped() {
		// Shipped labels are added by AddShipped, never stored: a stored
		// entry marked shipped could be neither listed nor removed.
		return e, fieldErr("source", "%q is reserved for the labels chainhound ships", ShippedSourcePrefix)
	}
	if e.Added.IsZero() {
		e.Added = time.Now().UTC().Truncate(time.Microsecond) // fine enough to order claims (firstClaim in tracer)
	}
	return e, nil
}

// ValidateOwner checks an entry's or incident's owner: "" (the operator's
// own, e.g. shipped labels) or a tenant name, by the rule API keys follow
// (ValidateTenant), so that every owner can be some key's tenant.
func ValidateOwner(owner string) error {
	if owner == "" {
		return nil
	}
	if err := ValidateTenant(owner); err != nil {
		return &FieldError{Field: "owner", Err: err}
	}
	return nil
}

// ValidateTenant checks a tenant name: 1–64 of lower-case letters,
// digits, '.', '_' and '-', starting with a letter or digit.
func ValidateTenant(s string) error {
	if len(s) == 0 || len(s) > 64 {
		return fmt.Errorf("invalid tenant %q (want 1-64 lowercase letters, digits, '.', '_' or '-')", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		lowerOrDigit := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !lowerOrDigit && (i == 0 || c != '.' && c != '_' && c != '-') {
			if c >= 'A' && c <= 'Z' {
				return fmt.Errorf("invalid tenant %q: tenant names are lower case (%q)", s, strings.ToLower(s))
			}
			return fmt.Errorf("invalid tenant %q (want 1-64 lowercase letters, digits, '.', '_' or '-')", s)
		}
	}
	return nil
}

// Add validates and stores entries, all or none: the first invalid one
// fails the call and nothing is stored. It returns the entries as stored.
func (r *Registry) Add(ctx context.Context, entries ...Entry) ([]Entry, error) {
	out := make([]Entry, len(entries))
	for i, e := range entries {
		v, err := r.Validate(e)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		prior, held := r.held(v.Key())
		if v.Untrusted && held && prior.Trusted() {
			return nil, fmt.Errorf("entry %d: %s %s (%s of %q): %w", i+1, v.Chain, Display(v.Chain, v.Address), v.Kind, v.Owner, ErrVouched)
		}
		if held && !prior.Added.IsZero() {
			// A replaced entry keeps when it was first added: the earliest
			// claim of a treasury is the one whose incidents tell others.
			v.Added = prior.Added
		}
		out[i] = v
	}
	if r.store != nil && len(out) > 0 {
		if err := r.store.PutEntries(ctx, out); err != nil {
			return nil, fmt.Errorf("store %d entries: %w", len(out), err)
		}
	}
	r.mu.Lock()
	for _, e := range out {
		r.putLocked(e)
	}
	r.mu.Unlock()
	return out, nil
}

// ErrVouched is returned when an untrusted entry would replace one that
// an admin or the operator made: only they may change or remove it, since
// it decides how every incident's taint is followed.
var ErrVouched = errors.New("an admin or the operator vouches for this entry; only an admin may change or remove it")

// held returns the entry with key k, if one is held.
func (r *Registry) held(k EntryKey) (Entry, bool) {
	for _, e := range r.Lookup(k.Chain, k.Address) {
		if e.Key() == k {
			return e, true
		}
	}
	return Entry{}, false
}

// AddShipped puts already-valid entries in memory only (the embedded
// labels: never written to the store).
func (r *Registry) AddShipped(entries []Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range entries {
		r.putLocked(e)
	}
}

// in returns the shared copy of s (slot caches the last one of a field).
func (r *Registry) in(slot int, s string) string {
	if s == "" {
		return ""
	}
	if s == r.last[slot] {
		return r.last[slot]
	}
	v, ok := r.intern[s]
	if !ok {
		v = strings.Clone(s)
		r.intern[v] = v
	}
	r.last[slot] = v
	return v
}

// one returns e as a one-element slice carved from a shared slab (cap 1,
// so an append copies).
func (r *Registry) one(e Entry) []Entry {
	if len(r.slab) == cap(r.slab) {
		r.slab = make([]Entry, 0, 4096)
	}
	r.slab = append(r.slab, e)
	n := len(r.slab)
	return r.slab[n-1 : n : n]
}

func (r *Registry) putLocked(e Entry) {
	e.Kind = Kind(r.in(0, string(e.Kind)))
	e.Owner = r.in(1, e.Owner)
	e.Source = r.in(2, e.Source)
	e.Label = r.mem.str(e.Label)
	e.Note = r.mem.str(e.Note)
	m := r.byAddr[e.Chain]
	if m == nil {
		m = map[string][]Entry{}
		r.byAddr[e.Chain] = m
	}
	es := m[e.Address]
	for i := range es {
		if es[i].Owner == e.Owner && es[i].Kind == e.Kind {
			// Copy on write: a reader may hold the old slice.
			ns := slices.Clone(es)
			e.Address = es[i].Address
			ns[i] = e
			m[e.Address] = ns
			return
		}
	}
	if len(es) == 0 {
		e.Address = r.mem.str(e.Address)
		m[e.Address] = r.one(e)
	} else {
		e.Address = es[0].Address
		ns := make([]Entry, len(es)+1)
		copy(ns, es)
		ns[len(es)] = e
		m[e.Address] = ns
	}
	r.n++
	if r.kinds[e.Chain] == nil {
		r.kinds[e.Chain] = map[Kind]int{}
	}
	r.kinds[e.Chain][e.Kind]++
}

// Watches reports whether any entry of kind is held for chain: the tracer
// skips work (deriving every Bitcoin input's address) for kinds nobody
// watches.
func (r *Registry) Watches(chain chains.Chain, kind Kind) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.kinds[chain][kind] > 0
}

// arena packs many small immutable strings into shared 64 KiB chunks:
// one allocation for hundreds of entries instead of one per field, which
// is what keeps a million entries small and quick for the GC. Bytes are
// never written after a string is made from them.
type arena struct{ buf []byte }

func (a *arena) str(s string) string {
	switch {
	case s == "":
		return ""
	case len(s) > 1024:
		return strings.Clone(s)
	}
	if cap(a.buf)-len(a.buf) < len(s) {
		a.buf = make([]byte, 0, 64<<10)
	}
	off := len(a.buf)
	a.buf = append(a.buf, s...)
	return unsafe.String(&a.buf[off], len(s))
}

// Remove deletes the entries of addr on chain owned by owner; kind ""
// means every kind. It returns how many went. addr is normalised first.
func (r *Registry) Remove(ctx context.Context, chain chains.Chain, addr, owner string, kind Kind) (int, error) {
	norm, err := Normalize(chain, r.Network(chain), strings.TrimSpace(addr))
	if err != nil {
		return 0, err
	}
	var keys []EntryKey
	for _, e := range r.Lookup(chain, norm) {
		if e.Owner == owner && (kind == "" || e.Kind == kind) && !e.Shipped() {
			keys = append(keys, e.Key())
		}
	}
	if len(keys) == 0 {
		return 0, nil
	}
	if r.store != nil {
		if err := r.store.DeleteEntries(ctx, keys); err != nil {
			return 0, fmt.Errorf("delete %s %s: %w", chain, norm, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removeLocked(chain, norm, keys)
	return len(keys), nil
}

// removeLocked drops the entries of addr on chain with keys from memory.
func (r *Registry) removeLocked(chain chains.Chain, addr string, keys []EntryKey) {
	m := r.byAddr[chain]
	es := m[addr]
	if len(es) == 0 {
		return
	}
	ns := make([]Entry, 0, len(es))
	for _, e := range es {
		if slices.Contains(keys, e.Key()) {
			r.n--
			r.kinds[chain][e.Kind]--
			continue
		}
		ns = append(ns, e)
	}
	if len(ns) == 0 {
		delete(m, addr)
	} else {
		m[addr] = ns
	}
}

// Apply puts and removes stored entries in memory only: what another
// process (a replica on the same Redis) wrote to the store.
func (r *Registry) Apply(puts []Entry, dels []EntryKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range dels {
		r.removeLocked(k.Chain, k.Address, []EntryKey{k})
	}
	for _, e := range puts {
		r.putLocked(e)
	}
}

// Filter selects entries in List; zero fields match everything. A
// non-empty Owner matches that owner only; with OwnerSet, Owner "" matches
// only unowned entries. Shipped, when set, keeps only shipped (true) or
// only stored (false) entries.
type Filter struct {
	Chain    chains.Chain
	Kind     Kind
	Owner    string
	OwnerSet bool // match Owner exactly, even ""
	Shipped  *bool
}

// List returns the entries matching f, sorted by chain, address, owner, kind.
func (r *Registry) List(f Filter) []Entry {
	r.mu.RLock()
	var out []Entry
	for chain, m := range r.byAddr {
		if f.Chain != "" && chain != f.Chain {
			continue
		}
		for _, es := range m {
			for _, e := range es {
				if f.Kind != "" && e.Kind != f.Kind {
					continue
				}
				if (f.OwnerSet || f.Owner != "") && e.Owner != f.Owner {
					continue
				}
				if f.Shipped != nil && e.Shipped() != *f.Shipped {
					continue
				}
				out = append(out, e)
			}
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(strings.Compare(string(a.Chain), string(b.Chain)), strings.Compare(a.Address, b.Address),
			strings.Compare(a.Owner, b.Owner), strings.Compare(string(a.Kind), string(b.Kind)))
	})
	return out
}

// ShippedSourcePrefix starts the Source of every embedded label entry.
const ShippedSourcePrefix = "shipped:"

// MaxTextBytes bounds an entry's label, source and note as given.
const MaxTextBytes = 1024

// checkTexts checks an entry's label, source and note: at most
// MaxTextBytes (the source sourceRoom more), and text CheckText accepts.
func checkTexts(e Entry, sourceRoom int) error {
	for _, f := range [...]struct{ name, v string }{{"label", e.Label}, {"source", e.Source}, {"note", e.Note}} {
		limit := MaxTextBytes
		if f.name == "source" {
			limit += sourceRoom
		}
		if len(f.v) > limit {
			return fieldErr(f.name, "longer than %d bytes", limit)
		}
		if err := CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// sourcePrefixRoom is what a stored source may hold beyond MaxTextBytes:
// the API puts the key that added an entry before the source given
// ("api:KEY: "), so every source an importer accepts can be stored.
const sourcePrefixRoom = 64

// Shipped reports whether e comes from the embedded label files.
func (e Entry) Shipped() bool { return strings.HasPrefix(e.Source, ShippedSourcePrefix) }
