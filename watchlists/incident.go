package watchlists

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chainhound/chainhound/chains"
)

// ErrNotFound is returned for an incident that does not exist.
var ErrNotFound = errors.New("not found")

// MaxHopsLimit bounds an incident's max_hops.
const MaxHopsLimit = 64

// MarshalJSON writes Dust as a decimal string (docs/interface.md: amounts are
// decimal strings in the chain's smallest unit).
func (inc Incident) MarshalJSON() ([]byte, error) {
	type plain Incident
	var dust *string
	if inc.Dust != nil {
		s := inc.Dust.String()
		dust = &s
	}
	return json.Marshal(struct {
		plain
		Dust *string `json:"dust,omitempty"`
	}{plain(inc), dust})
}

// UnmarshalJSON reads Dust from a decimal string (a bare JSON integer is
// accepted too).
func (inc *Incident) UnmarshalJSON(b []byte) error {
	type plain Incident
	var v struct {
		plain
		Dust json.RawMessage `json:"dust,omitempty"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*inc = Incident(v.plain)
	inc.Dust = nil
	if len(v.Dust) > 0 && string(v.Dust) != "null" {
		s := strings.Trim(string(v.Dust), `"`)
		d, err := ParseAmount(s)
		if err != nil {
			return fmt.Errorf("dust: %w", err)
		}
		inc.Dust = d
	}
	return nil
}

// ParseAmount parses a non-negative decimal integer in the chain's smallest
// unit.
func ParseAmount(s string) (*big.Int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" || len(s) > 78 {
		return nil, fmt.Errorf("%q is not a non-negative integer in the smallest unit", s)
	}
	d, _ := new(big.Int).SetString(s, 10)
	return d, nil
}

// NewIncidentID returns "inc_" and a ULID: 48 bits of milliseconds and 80
// random bits in Crockford base32, so IDs sort by creation time.
func NewIncidentID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	hi := new(big.Int).SetBytes(b[:])
	out := make([]byte, 26)
	mask := big.NewInt(31)
	for i := 25; i >= 0; i-- {
		out[i] = alphabet[new(big.Int).And(hi, mask).Int64()]
		hi.Rsh(hi, 5)
	}
	return "inc_" + string(out)
}

// IncidentBook holds the incidents: opened, listed, closed, persisted.
// It tells no one of its changes; Tracked decorates it with the tracker
// (the tracer) that follows the incidents it opens and closes.
type IncidentBook struct {
	store    Store
	networks Networks

	// Check, when set, is asked before an incident is stored: an error
	// refuses it (the daemon checks that its seed transactions are on
	// the chain).
	Check func(context.Context, Incident) error
	// DefaultPolicy is the policy of an incident opened without one (the
	// configuration's tracer.policy); haircut when empty.
	DefaultPolicy Policy

	mu        sync.Mutex
	incidents map[string]Incident
	now       func() time.Time
}

// NewIncidentBook returns a book over store (nil: memory only).
func NewIncidentBook(store Store, networks Networks) *IncidentBook {
	return &IncidentBook{store: store, networks: networks, incidents: map[string]Incident{}, now: time.Now}
}

// Load reads the stored incidents. It tells no tracker (nor does a
// TrackedBook's): the caller hands Open() to the tracer at start.
func (b *IncidentBook) Load(ctx context.Context) error {
	if b.store == nil {
		return nil
	}
	list, err := b.store.Incidents(ctx)
	if err != nil {
		return fmt.Errorf("load incidents: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, inc := range list {
		b.incidents[inc.ID] = inc
	}
	return nil
}

// Refresh puts inc in memory as another process (a replica on the same
// Redis) stored it.
func (b *IncidentBook) Refresh(inc Incident) { b.refresh(inc) }

// refresh is Refresh, saying whether inc opened (it is open and was not)
// or closed (it is closed and was open).
func (b *IncidentBook) refresh(inc Incident) (opened, closed bool) {
	b.mu.Lock()
	old, known := b.incidents[inc.ID]
	b.incidents[inc.ID] = inc
	b.mu.Unlock()
	opened = inc.Status == Open && (!known || old.Status != Open)
	closed = inc.Status == Closed && known && old.Status == Open
	return opened, closed
}

// FieldError is a validation error of one field of an entry or an
// incident, named as in the JSON of docs/interface.md ("seeds[0].tx",
// "max_hops"), so that a caller can point at its own flag or field.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Validate checks and normalises a new incident: chain, seeds (tx hashes
// or addresses), policy, dust, max hops. Errors are *FieldError.
func (b *IncidentBook) Validate(inc Incident) (Incident, error) {
	if _, err := chains.ParseChain(string(inc.Chain)); err != nil {
		return inc, &FieldError{Field: "chain", Err: err}
	}
	if len(inc.Seeds) == 0 {
		return inc, fieldErr("seeds", "at least one theft tx or compromised address is required")
	}
	seeds := make([]Seed, len(inc.Seeds))
	for i, s := range inc.Seeds {
		switch {
		case s.Tx != "" && s.Address != "":
			return inc, fieldErr(fmt.Sprintf("seeds[%d]", i), "give a tx or an address, not both")
		case s.Tx != "":
			tx, err := NormalizeTxHash(inc.Chain, s.Tx)
			if err != nil {
				return inc, &FieldError{Field: fmt.Sprintf("seeds[%d].tx", i), Err: err}
			}
			if s.FromBlock != 0 {
				return inc, fieldErr(fmt.Sprintf("seeds[%d].from_block", i), "only with an address")
			}
			seeds[i] = Seed{Tx: tx}
		case s.Address != "":
			network := b.networks[inc.Chain]
			a, err := Normalize(inc.Chain, network, strings.TrimSpace(s.Address))
			if err != nil {
				return inc, &FieldError{Field: fmt.Sprintf("seeds[%d].address", i), Err: err}
			}
			seeds[i] = Seed{Address: a, FromBlock: s.FromBlock}
		default:
			return inc, fieldErr(fmt.Sprintf("seeds[%d]", i), "empty (want tx or address)")
		}
	}
	inc.Seeds = seeds
	if inc.Policy == "" {
		inc.Policy = b.DefaultPolicy
	}
	p, err := ParsePolicy(string(inc.Policy))
	if err != nil {
		return inc, &FieldError{Field: "policy", Err: err}
	}
	inc.Policy = p
	if inc.Dust != nil && inc.Dust.Sign() < 0 {
		return inc, fieldErr("dust", "negative")
	}
	if inc.MaxHops < 0 || inc.MaxHops > MaxHopsLimit {
		return inc, fieldErr("max_hops", "%d out of range 0..%d", inc.MaxHops, MaxHopsLimit)
	}
	if f := inc.ConfidenceFloor; f != nil && !(*f >= 0 && *f <= 1) { // NaN too
		return inc, fieldErr("confidence_floor", "%v out of range 0..1", *f)
	}
	if len(inc.Title) > 256 {
		return inc, fieldErr("title", "longer than 256 bytes")
	}
	if err := CheckText("title", inc.Title); err != nil {
		return inc, err
	}
	if err := ValidateOwner(inc.Owner); err != nil {
		return inc, err
	}
	return inc, nil
}

// NormalizeTxHash checks a transaction hash: 0x + 64 hex on Ethereum, 64
// hex on Bitcoin; returned lowercase.
func NormalizeTxHash(chain chains.Chain, h string) (string, error) {
	h = strings.TrimSpace(h)
	want := 64
	if chain == chains.Ethereum {
		if !strings.HasPrefix(h, "0x") {
			return "", fmt.Errorf("%q: want 0x and 64 hex digits", h)
		}
		want = 66
	}
	if len(h) != want {
		return "", fmt.Errorf("%q: %d characters, want %d", h, len(h), want)
	}
	start := want - 64
	for i := start; i < len(h); i++ {
		if !isHex(h[i]) {
			return "", fmt.Errorf("%q: %q at position %d is not a hex digit", h, h[i], i)
		}
	}
	return strings.ToLower(h), nil
}

// Covering names the open incidents of inc's owner on its chain that
// already follow one of its seeds (the same theft transaction, or the
// same compromised address): opening inc would follow that taint twice.
func (b *IncidentBook) Covering(inc Incident) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, o := range b.incidents {
		if o.Status != Open || o.Owner != inc.Owner || o.Chain != inc.Chain {
			continue
		}
		for _, s := range inc.Seeds {
			if slices.ContainsFunc(o.Seeds, func(x Seed) bool {
				return s.Tx != "" && strings.EqualFold(x.Tx, s.Tx) || s.Address != "" && strings.EqualFold(x.Address, s.Address)
			}) {
				what := "transaction " + s.Tx
				if s.Tx == "" {
					what = "address " + Display(inc.Chain, s.Address)
				}
				out = append(out, fmt.Sprintf("incident %s of the same owner already follows the seed %s", o.ID, what))
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// Open validates inc, gives it an ID, status open and the opening time,
// and stores it.
func (b *IncidentBook) Open(ctx context.Context, inc Incident) (Incident, error) {
	inc, err := b.Validate(inc)
	if err != nil {
		return Incident{}, err
	}
	if b.Check != nil {
		if err := b.Check(ctx, inc); err != nil {
			return Incident{}, err
		}
	}
	now := b.now().UTC()
	inc.ID = NewIncidentID(now)
	inc.Status = Open
	inc.Opened = now.Truncate(time.Millisecond)
	inc.Closed = nil
	if b.store != nil {
		if err := b.store.PutIncident(ctx, inc); err != nil {
			return Incident{}, err
		}
	}
	b.mu.Lock()
	b.incidents[inc.ID] = inc
	b.mu.Unlock()
	return inc, nil
}

// Close marks the incident closed (tracking stops, the record stays).
// Closing a closed incident is a no-op.
func (b *IncidentBook) Close(ctx context.Context, id string) (Incident, error) {
	inc, _, err := b.close(ctx, id)
	return inc, err
}

// close is Close, saying whether it closed the incident (false: it was
// closed already).
func (b *IncidentBook) close(ctx context.Context, id string) (Incident, bool, error) {
	b.mu.Lock()
	inc, ok := b.incidents[id]
	b.mu.Unlock()
	if !ok {
		return Incident{}, false, fmt.Errorf("incident %q: %w", id, ErrNotFound)
	}
	if inc.Status == Closed {
		return inc, false, nil
	}
	now := b.now().UTC().Truncate(time.Millisecond)
	inc.Status = Closed
	inc.Closed = &now
	inc.Seeds = slices.Clone(inc.Seeds)
	if b.store != nil {
		if err := b.store.PutIncident(ctx, inc); err != nil {
			return Incident{}, false, err
		}
	}
	b.mu.Lock()
	b.incidents[id] = inc
	b.mu.Unlock()
	return inc, true, nil
}

// Get returns the incident with id.
func (b *IncidentBook) Get(id string) (Incident, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	inc, ok := b.incidents[id]
	if !ok {
		return Incident{}, fmt.Errorf("incident %q: %w", id, ErrNotFound)
	}
	return inc, nil
}

// List returns the incidents of owner ("*" for all), oldest first; with
// status "" every status.
func (b *IncidentBook) List(owner string, status IncidentStatus) []Incident {
	b.mu.Lock()
	var out []Incident
	for _, inc := range b.incidents {
		if (owner == "*" || inc.Owner == owner) && (status == "" || inc.Status == status) {
			out = append(out, inc)
		}
	}
	b.mu.Unlock()
	slices.SortFunc(out, func(x, y Incident) int { return strings.Compare(x.ID, y.ID) })
	return out
}
