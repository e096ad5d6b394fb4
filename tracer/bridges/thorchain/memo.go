package thorchain

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// MaxMemoLen is THORChain's memo size limit in bytes (THORNode
// constants.MaxMemoSize); THORChain ignores an inbound with a longer memo.
const MaxMemoLen = 250

// maxBasisPoints is THORNode's constants.MaxBasisPts (100%).
const maxBasisPoints = 10_000

// Type is the kind of a memo.
type Type uint8

const (
	// Other is a memo THORNode knows whose function chainhound does not
	// follow (bond, unbond, THORName, trade account, …).
	Other Type = iota
	// Swap is SWAP / s / = (and the limit swap =<).
	Swap
	// Out is OUT:<inbound tx id>, the payout of a swap or withdrawal.
	Out
	// Refund is REFUND:<inbound tx id>, the return of a failed inbound.
	Refund
	// AddLiquidity is ADD / a / +.
	AddLiquidity
	// Withdraw is WITHDRAW / wd / -, a liquidity withdrawal.
	Withdraw
	// Donate is DONATE / d.
	Donate
	// LoanOpen is LOAN+ / $+.
	LoanOpen
	// LoanRepay is LOAN- / $-.
	LoanRepay
)

var typeNames = [...]string{
	Other: "other", Swap: "swap", Out: "out", Refund: "refund",
	AddLiquidity: "add", Withdraw: "withdraw", Donate: "donate",
	LoanOpen: "loan+", LoanRepay: "loan-",
}

// String names the type.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// functions maps THORNode's memo functions (stringToTxTypeMap in
// x/thorchain/memo/memo.go), lower-cased, to chainhound's types. "a" is
// not in THORNode's map at the commit read, so it is not here either.
var functions = map[string]Type{
	"add": AddLiquidity, "+": AddLiquidity,
	"withdraw": Withdraw, "wd": Withdraw, "-": Withdraw,
	"swap": Swap, "s": Swap, "=": Swap, "=<": Swap,
	"out":    Out,
	"refund": Refund,
	"donate": Donate, "d": Donate,
	"$+": LoanOpen, "loan+": LoanOpen,
	"$-": LoanRepay, "loan-": LoanRepay,
	// Known to THORNode, not followed here.
	"m=<": Other, "bond": Other, "unbond": Other, "rebond": Other,
	"leave": Other, "reserve": Other, "migrate": Other, "ragnarok": Other,
	"noop": Other, "consolidate": Other, "name": Other, "n": Other,
	"~": Other, "trade+": Other, "trade-": Other, "secure+": Other,
	"secure-": Other, "pool+": Other, "pool-": Other, "x": Other,
	"exec": Other, "switch": Other, "tcy": Other, "tcy+": Other,
	"tcy-": Other, "maint": Other, "operator": Other,
}

// Memo is a parsed THORChain memo. Fields a memo type does not carry are
// zero.
type Memo struct {
	Type Type
	// Function is the memo's first field as written ("=", "SWAP", "OUT").
	Function string
	// LimitSwap is set for "=<" (a limit order rather than a market swap).
	LimitSwap bool

	// DestAsset is the asset the memo names, in THORChain notation, upper
	// case: CHAIN.SYMBOL[-CONTRACT], CHAIN/SYMBOL (synth), CHAIN~SYMBOL
	// (trade), CHAIN-SYMBOL (secured). For a swap it is what is bought;
	// for add, withdraw, donate and loans the pool's asset.
	DestAsset string
	// DestChain is where a payout of DestAsset lands, in chainhound's
	// names where they exist ("ethereum", "bitcoin"), else THORChain's
	// chain name lower-cased ("bsc", "thor"). Synth, trade and secured
	// assets live on THORChain: "thor".
	DestChain string
	// DestAddress is the swap's (or loan's) destination as written: an
	// address or a THORName, which this package does not resolve. Empty
	// means "the sender" to THORNode. For add it is the paired address.
	DestAddress string
	// RefundAddress is the swap's DEST/REFUND refund address, if given.
	RefundAddress string
	// Limit is the minimum output (swap price limit, loan min out) in
	// 1e8 units, exact; nil when the memo gives none.
	Limit *big.Int
	// StreamInterval and StreamQuantity are a streaming swap's
	// LIMIT/INTERVAL/QUANTITY.
	StreamInterval, StreamQuantity uint64
	// Affiliates and AffiliateBps are the swap's affiliate THORNames (or
	// addresses) and their fees in basis points, one fee per affiliate.
	Affiliates   []string
	AffiliateBps []uint64
	// Aggregator, AggregatorTarget and AggregatorLimit are a swap's DEX
	// aggregator fields (7th to 9th), as written.
	Aggregator, AggregatorTarget, AggregatorLimit string
	// WithdrawBps is a withdrawal's share in basis points (10000 if
	// omitted, as THORNode defaults it).
	WithdrawBps uint64

	// InboundTx is the inbound transaction an OUT or REFUND memo answers,
	// normalised (NormaliseTxID): upper-case hex without 0x.
	InboundTx string
}

// ParseMemo parses a THORChain memo the way THORNode does (see the package
// doc for the source): the function is case-insensitive, fields are
// separated by ':', anything after the first '|' is ignored. It returns an
// error naming the field that is wrong.
//
// Differences from THORNode, all on inputs THORNode would also reject or
// that chainhound cannot check: addresses are not validated per chain and
// THORNames are not resolved (no chain state here); the limit takes only
// decimal numbers with an optional fraction and exponent (THORNode's
// big.ParseFloat also takes hex floats and rounds to 64 bits of
// precision; here the value is exact); OUT/REFUND ids must be hex; the
// mimir cap on the number of affiliates is not applied; a malformed refund
// address is an error here where THORNode drops it and refunds to the
// sender.
func ParseMemo(s string) (Memo, error) {
	if s == "" {
		return Memo{}, errors.New("memo is empty")
	}
	if len(s) > MaxMemoLen {
		return Memo{}, fmt.Errorf("memo is %d bytes, over THORChain's limit of %d", len(s), MaxMemoLen)
	}
	s, _, _ = strings.Cut(s, "|")
	parts := strings.Split(s, ":")
	typ, ok := functions[strings.ToLower(parts[0])]
	if !ok {
		return Memo{}, fmt.Errorf("memo function %q is not one THORChain knows", parts[0])
	}
	m := Memo{Type: typ, Function: parts[0]}
	var err error
	switch typ {
	case Swap:
		m.LimitSwap = parts[0] == "=<"
		err = m.parseSwap(parts)
	case Out, Refund:
		err = m.parseOut(parts)
	case AddLiquidity:
		err = m.parseAdd(parts)
	case Withdraw:
		err = m.parseWithdraw(parts)
	case Donate:
		err = m.parseAsset(field(parts, 1))
	case LoanOpen, LoanRepay:
		err = m.parseLoan(parts)
	}
	if err != nil {
		return Memo{}, fmt.Errorf("%s memo: %w", typ, err)
	}
	return m, nil
}

// field returns parts[i], or "" when the memo is shorter.
func field(parts []string, i int) string {
	if i < len(parts) {
		return parts[i]
	}
	return ""
}

// parseSwap reads SWAP:ASSET:DEST[/REFUND]:LIMIT[/INTERVAL/QUANTITY]:
// AFFILIATES:FEES:AGGREGATOR:TARGET:TARGETLIMIT (THORNode
// ParseSwapMemoV3_0_0, memo_swap.go).
func (m *Memo) parseSwap(parts []string) error {
	if err := m.parseAsset(field(parts, 1)); err != nil {
		return err
	}
	dest, refund, hasRefund := strings.Cut(field(parts, 2), "/")
	if err := checkAddress("destination", dest); err != nil {
		return err
	}
	m.DestAddress = dest
	if hasRefund {
		if dest == "" && refund != "" {
			return errors.New("refund address is set but destination address is empty")
		}
		if err := checkAddress("refund address", refund); err != nil {
			return err
		}
		m.RefundAddress = refund
	}
	if err := m.parseLimit(field(parts, 3)); err != nil {
		return err
	}
	if err := m.parseAffiliates(field(parts, 4), field(parts, 5)); err != nil {
		return err
	}
	m.Aggregator, m.AggregatorTarget = field(parts, 6), field(parts, 7)
	m.AggregatorLimit = field(parts, 8)
	if m.AggregatorLimit != "" {
		if _, err := parseAmount(m.AggregatorLimit); err != nil {
			return fmt.Errorf("aggregator target limit: %w", err)
		}
	}
	return nil
}

// parseLimit reads LIMIT or LIMIT/INTERVAL/QUANTITY; empty parts are 0.
func (m *Memo) parseLimit(s string) error {
	if s == "" {
		return nil
	}
	if !strings.Contains(s, "/") {
		v, err := parseAmount(s)
		if err != nil {
			return fmt.Errorf("limit: %w", err)
		}
		m.Limit = v
		return nil
	}
	sub := strings.SplitN(s, "/", 3)
	for i := range sub {
		if sub[i] == "" {
			sub[i] = "0"
		}
	}
	v, err := parseAmount(sub[0])
	if err != nil {
		return fmt.Errorf("limit: %w", err)
	}
	m.Limit = v
	if len(sub) > 1 {
		if m.StreamInterval, err = strconv.ParseUint(sub[1], 10, 64); err != nil {
			return fmt.Errorf("stream interval %q is not an unsigned integer", sub[1])
		}
	}
	if len(sub) > 2 {
		if m.StreamQuantity, err = strconv.ParseUint(sub[2], 10, 64); err != nil {
			return fmt.Errorf("stream quantity %q is not an unsigned integer", sub[2])
		}
	}
	return nil
}

// parseAffiliates reads AFF1/AFF2/… and BPS1/BPS2/…; one fee applies to
// every affiliate, otherwise the counts must match and the total be at
// most 10000.
func (m *Memo) parseAffiliates(names, fees string) error {
	var affs []string
	if names != "" {
		affs = strings.Split(names, "/")
	}
	var bps []uint64
	if fees != "" {
		for _, f := range strings.Split(fees, "/") {
			v, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				return fmt.Errorf("affiliate fee %q is not an unsigned integer", f)
			}
			bps = append(bps, v)
		}
	}
	if len(bps) == 1 && len(affs) > 1 {
		if bps[0] > maxBasisPoints {
			return fmt.Errorf("affiliate fee %d is over %d basis points", bps[0], maxBasisPoints)
		}
		for len(bps) < len(affs) {
			bps = append(bps, bps[0])
		}
	}
	if len(affs) != len(bps) {
		return fmt.Errorf("%d affiliates but %d affiliate fees", len(affs), len(bps))
	}
	var total uint64
	for i, b := range bps {
		if err := checkAddress("affiliate", affs[i]); err != nil {
			return err
		}
		if b > maxBasisPoints {
			return fmt.Errorf("affiliate fee %d is over %d basis points", b, maxBasisPoints)
		}
		total += b
	}
	if total > maxBasisPoints {
		return fmt.Errorf("affiliate fees total %d, over %d basis points", total, maxBasisPoints)
	}
	m.Affiliates, m.AffiliateBps = affs, bps
	return nil
}

// parseOut reads OUT:<txid> and REFUND:<txid>.
func (m *Memo) parseOut(parts []string) error {
	id := field(parts, 1)
	if id == "" {
		return errors.New("inbound tx id is missing")
	}
	n, err := normaliseStrict(id)
	if err != nil {
		return fmt.Errorf("inbound tx id %q: %w", id, err)
	}
	m.InboundTx = n
	return nil
}

// parseAdd reads ADD:ASSET[:PAIREDADDR[:AFFILIATE[:FEE]]].
func (m *Memo) parseAdd(parts []string) error {
	if err := m.parseAsset(field(parts, 1)); err != nil {
		return err
	}
	if err := checkAddress("paired address", field(parts, 2)); err != nil {
		return err
	}
	m.DestAddress = field(parts, 2)
	return nil
}

// parseWithdraw reads WITHDRAW:ASSET[:BPS[:ASSET]].
func (m *Memo) parseWithdraw(parts []string) error {
	if err := m.parseAsset(field(parts, 1)); err != nil {
		return err
	}
	m.WithdrawBps = maxBasisPoints
	if b := field(parts, 2); b != "" {
		v, err := strconv.ParseUint(b, 10, 64)
		if err != nil {
			return fmt.Errorf("basis points %q is not an unsigned integer", b)
		}
		if v > maxBasisPoints {
			return fmt.Errorf("basis points %d is over %d", v, maxBasisPoints)
		}
		m.WithdrawBps = v
	}
	return nil
}

// parseLoan reads LOAN+:ASSET:DESTADDR[:MINOUT…] and
// LOAN-:ASSET:OWNER[:MINOUT].
func (m *Memo) parseLoan(parts []string) error {
	if err := m.parseAsset(field(parts, 1)); err != nil {
		return err
	}
	addr := field(parts, 2)
	if addr == "" {
		return errors.New("address is missing")
	}
	if err := checkAddress("address", addr); err != nil {
		return err
	}
	m.DestAddress = addr
	if s := field(parts, 3); s != "" {
		v, err := parseAmount(s)
		if err != nil {
			return fmt.Errorf("min out: %w", err)
		}
		m.Limit = v
	}
	return nil
}

// parseAsset sets DestAsset and DestChain from the memo's asset field.
func (m *Memo) parseAsset(s string) error {
	if s == "" {
		return errors.New("asset is missing")
	}
	a, err := ParseAsset(s)
	if err != nil {
		return err
	}
	m.DestAsset, m.DestChain = a.String(), a.PayoutChain()
	return nil
}

// checkAddress accepts an address or THORName as THORNode could read it:
// letters, digits and . _ - (THORNames; chain addresses are alphanumeric).
// Empty is allowed; callers that need one say so.
func checkAddress(what, s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("%s %q has the character %q at %d", what, s, c, i)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// maxExponent bounds the exponent of a scientific-notation amount: 1e77
// is already beyond uint256, and a bound keeps "1e999999999" from
// allocating.
const maxExponent = 100

// parseAmount reads a non-negative amount: decimal digits, an optional
// fraction and an optional exponent ("1033655", "15e6", "1.5e3"), and
// truncates the fraction as THORNode does.
func parseAmount(s string) (*big.Int, error) {
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return nil, fmt.Errorf("%q is not a non-negative decimal number", s)
	}
	e := 0
	if hasExp {
		v, err := strconv.Atoi(exp)
		if err != nil || exp == "" || exp[0] == '+' && len(exp) == 1 {
			return nil, fmt.Errorf("%q has a malformed exponent", s)
		}
		if v > maxExponent || v < -maxExponent {
			return nil, fmt.Errorf("%q has an exponent beyond ±%d", s, maxExponent)
		}
		e = v
	}
	digits := intPart + frac
	e -= len(frac)
	n, ok := new(big.Int).SetString("0"+digits, 10)
	if !ok {
		return nil, fmt.Errorf("%q is not a non-negative decimal number", s)
	}
	if e >= 0 {
		return n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(e)), nil)), nil
	}
	return n.Quo(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-e)), nil)), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String writes the memo back in THORChain's long form ("SWAP:BTC.BTC:…"
// rather than "=:b:…"); ParseMemo of the result gives the same key fields.
// An Other memo gives its function only.
func (m Memo) String() string {
	switch m.Type {
	case Out, Refund:
		return strings.ToUpper(m.Type.String()) + ":" + m.InboundTx
	case Swap:
		fn := "SWAP"
		if m.LimitSwap {
			fn = "=<"
		}
		dest := m.DestAddress
		if m.RefundAddress != "" {
			dest += "/" + m.RefundAddress
		}
		limit := ""
		if m.Limit != nil {
			limit = m.Limit.String()
		}
		if m.StreamInterval > 0 || m.StreamQuantity > 0 {
			limit = fmt.Sprintf("%s/%d/%d", limit, m.StreamInterval, m.StreamQuantity)
		}
		bps := make([]string, len(m.AffiliateBps))
		for i, b := range m.AffiliateBps {
			bps[i] = strconv.FormatUint(b, 10)
		}
		f := []string{fn, m.DestAsset, dest, limit, strings.Join(m.Affiliates, "/"),
			strings.Join(bps, "/"), m.Aggregator, m.AggregatorTarget, m.AggregatorLimit}
		for len(f) > 2 && f[len(f)-1] == "" {
			f = f[:len(f)-1]
		}
		return strings.Join(f, ":")
	case AddLiquidity, Withdraw, Donate, LoanOpen, LoanRepay:
		f := []string{strings.ToUpper(m.Type.String()), m.DestAsset}
		switch m.Type {
		case AddLiquidity:
			f = append(f, m.DestAddress)
		case Withdraw:
			f = append(f, strconv.FormatUint(m.WithdrawBps, 10))
		case LoanOpen, LoanRepay:
			f = append(f, m.DestAddress)
			if m.Limit != nil {
				f = append(f, m.Limit.String())
			}
		}
		return strings.Join(f, ":")
	}
	return m.Function
}
