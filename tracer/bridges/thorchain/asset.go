package thorchain

import (
	"fmt"
	"strings"

	"github.com/chainhound/chainhound/chains"
)

// Kind says how an asset is held: on its own chain (Layer1) or as one of
// THORChain's derived forms, which live on THORChain itself.
type Kind uint8

const (
	// Layer1 is CHAIN.SYMBOL: the asset on its own chain.
	Layer1 Kind = iota
	// Synth is CHAIN/SYMBOL.
	Synth
	// Trade is CHAIN~SYMBOL, a trade-account balance.
	Trade
	// Secured is CHAIN-SYMBOL.
	Secured
)

var kindSeparators = [...]string{Layer1: ".", Synth: "/", Trade: "~", Secured: "-"}

// Asset is an asset in THORChain notation.
type Asset struct {
	Chain  string // upper case, 3 to 10 letters: "BTC", "ETH", "THOR"
	Symbol string // upper case, e.g. "BTC", "USDT-0XDAC17F958D2EE523A2206206994597C13D831EC7"
	Kind   Kind
}

// shortCodes are THORNode's asset abbreviations (common/asset.go,
// Asset.ShortCode and NewAssetWithShortCodesV3_1_0). They match exactly:
// "B" is not "b".
var shortCodes = map[string]Asset{
	"r":  {Chain: "THOR", Symbol: "RUNE"},
	"b":  {Chain: "BTC", Symbol: "BTC"},
	"e":  {Chain: "ETH", Symbol: "ETH"},
	"g":  {Chain: "GAIA", Symbol: "ATOM"},
	"d":  {Chain: "DOGE", Symbol: "DOGE"},
	"l":  {Chain: "LTC", Symbol: "LTC"},
	"c":  {Chain: "BCH", Symbol: "BCH"},
	"a":  {Chain: "AVAX", Symbol: "AVAX"},
	"s":  {Chain: "BSC", Symbol: "BNB"},
	"f":  {Chain: "BASE", Symbol: "ETH"},
	"tr": {Chain: "TRON", Symbol: "TRX"},
	"x":  {Chain: "XRP", Symbol: "XRP"},
}

// maxTickerLen is THORNode's ticker limit (common/ticker.go).
const maxTickerLen = 13

// ParseAsset reads an asset as THORNode's NewAssetWithShortCodes does: a
// short code, or CHAIN<sep>SYMBOL where the first of ~ . / - in the input
// is the separator (so "ETH.USDT-0X…" is a Layer1 token and "ETH-USDT"
// secured), or a bare SYMBOL on THORChain ("RUNE", "TCY").
func ParseAsset(s string) (Asset, error) {
	if a, ok := shortCodes[s]; ok {
		return a, nil
	}
	if s == "" {
		return Asset{}, fmt.Errorf("asset is empty")
	}
	a := Asset{Chain: "THOR"}
	sym := s
	if i := strings.IndexAny(s, "~./-"); i >= 0 {
		switch s[i] {
		case '~':
			a.Kind = Trade
		case '/':
			a.Kind = Synth
		case '-':
			a.Kind = Secured
		}
		a.Chain, sym = strings.ToUpper(s[:i]), s[i+1:]
		if err := checkChain(a.Chain); err != nil {
			return Asset{}, fmt.Errorf("asset %q: %w", s, err)
		}
	}
	if sym == "" {
		return Asset{}, fmt.Errorf("asset %q has no symbol", s)
	}
	for i := 0; i < len(sym); i++ {
		if c := sym[i]; !isAlnum(c) && c != '-' && c != '.' && c != '_' {
			return Asset{}, fmt.Errorf("asset %q: symbol has the character %q", s, c)
		}
	}
	ticker, _, _ := strings.Cut(sym, "-")
	if ticker == "" || len(ticker) > maxTickerLen {
		return Asset{}, fmt.Errorf("asset %q: ticker %q must be 1 to %d characters", s, ticker, maxTickerLen)
	}
	a.Symbol = strings.ToUpper(sym)
	return a, nil
}

// checkChain is THORNode's Chain.Valid: 3 to 10 upper-case letters.
func checkChain(c string) error {
	if len(c) < 3 || len(c) > 10 {
		return fmt.Errorf("chain %q must be 3 to 10 letters", c)
	}
	for i := 0; i < len(c); i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return fmt.Errorf("chain %q must be letters only", c)
		}
	}
	return nil
}

// String writes the asset in THORChain notation.
func (a Asset) String() string {
	return a.Chain + kindSeparators[a.Kind] + a.Symbol
}

// PayoutChain is the chain a payout of the asset lands on, in chainhound's
// names where chainhound has one: ETH is "ethereum", BTC "bitcoin", others
// THORChain's chain name lower-cased. Synth, trade and secured assets and
// bare THORChain symbols are held on THORChain: "thor".
func (a Asset) PayoutChain() string {
	if a.Kind != Layer1 {
		return "thor"
	}
	switch a.Chain {
	case "ETH":
		return string(chains.Ethereum)
	case "BTC":
		return string(chains.Bitcoin)
	}
	return strings.ToLower(a.Chain)
}
