package watchlists

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/chainhound/chainhound/chains"
)

// OFACAssetChain maps the asset code of an OFAC "Digital Currency Address
// - XXX" feature to a chain chainhound follows ("" for the others).
func OFACAssetChain(asset string) chains.Chain {
	switch asset {
	case "XBT":
		return chains.Bitcoin
	case "ETH":
		return chains.Ethereum
	}
	return ""
}

// ofacEVMAssets are OFAC asset codes whose addresses, when written in
// Ethereum form (0x and 40 hex digits), are the same key on Ethereum:
// tokens on Ethereum (USDT, USDC) and EVM chains sharing its key scheme
// (Arbitrum, BNB Smart Chain, Ethereum Classic). OFAC lists some
// sanctioned addresses only under these codes.
var ofacEVMAssets = map[string]bool{"USDT": true, "USDC": true, "ARB": true, "BSC": true, "ETC": true}

// ofacChain is the chain an OFAC address of asset is imported on, and
// whether it is so by its Ethereum form (not by its asset code).
func ofacChain(asset, address string) (chains.Chain, bool) {
	if c := OFACAssetChain(asset); c != "" {
		return c, false
	}
	if ofacEVMAssets[asset] && isEthereumForm(address) {
		return chains.Ethereum, true
	}
	return "", false
}

func isEthereumForm(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	for _, c := range s[2:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

const ofacFeaturePrefix = "Digital Currency Address - "

// ofacTokens reads the XML tokens of a file within the limits: each
// token at most the line limit in bytes, nesting at most the depth limit,
// at most the token limit of them, and the text of an element at most
// the line limit.
type ofacTokens struct {
	c      *collector
	dec    *xml.Decoder
	budget *budgetReader
	tokens int
	depth  int
}

func newOFACTokens(r *bufio.Reader, c *collector) *ofacTokens {
	ts := &ofacTokens{c: c}
	ts.budget = &budgetReader{r: r, max: int64(c.lim.Line), err: func() error {
		return c.limitErr(LimitLine, "an XML token", ts.line())
	}}
	// The budget reader is an io.ByteReader: the decoder reads through it
	// byte by byte, with no buffer of its own.
	ts.dec = xml.NewDecoder(ts.budget)
	return ts
}

func (ts *ofacTokens) line() int {
	line, _ := ts.dec.InputPos()
	return line
}

// next returns the next token, io.EOF at the end.
func (ts *ofacTokens) next() (xml.Token, error) {
	ts.budget.mark()
	ts.tokens++
	if ts.tokens > ts.c.lim.Tokens {
		return nil, ts.c.limitErr(LimitTokens, "the number of XML tokens", ts.line())
	}
	tok, err := ts.dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok.(type) {
	case xml.StartElement:
		ts.depth++
		if ts.depth > ts.c.lim.Depth {
			return nil, ts.c.limitErr(LimitDepth, "the nesting of XML elements", ts.line())
		}
	case xml.EndElement:
		ts.depth--
	}
	return tok, nil
}

// readOFAC streams the SDN advanced XML: the FeatureType reference values
// first, then every DistinctParty's Profile with its primary name and its
// Digital Currency Address features.
func readOFAC(r *bufio.Reader, c *collector) error {
	// The SDN list is authoritative: a row that cannot be right (OFAC
	// lists a TRON address as XBT) is left out with a warning naming its
	// profile, and the rest is imported.
	c.authoritative = true
	ts := newOFACTokens(r, c)
	dec := ts.dec
	featureTypes := map[string]string{} // ID → asset code
	var (
		path        []string
		profile     string
		name        []string
		inPrimary   bool
		nameDone    bool
		featureType string
		text        strings.Builder
		issued      [3]string
	)
	attr := func(se xml.StartElement, key string) string {
		for _, a := range se.Attr {
			if a.Name.Local == key {
				return a.Value
			}
		}
		return ""
	}
	nameLen := 0
	for {
		tok, err := ts.next()
		if err == io.EOF {
			break
		}
		var le *LimitError
		if errors.As(err, &le) {
			return err
		}
		if err != nil {
			line, _ := dec.InputPos()
			return fmt.Errorf("line %d: %w", line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			text.Reset()
			switch t.Name.Local {
			case "FeatureType":
				text.Reset()
				featureType = attr(t, "ID")
			case "Profile":
				profile, name, nameDone, nameLen = attr(t, "ID"), nil, false, 0
			case "Alias":
				inPrimary = attr(t, "Primary") == "true" && !nameDone
			case "Feature":
				featureType = attr(t, "FeatureTypeID")
			}
		case xml.CharData:
			if text.Len()+len(t) > c.lim.Line {
				return c.limitErr(LimitLine, "the text of an XML element", ts.line())
			}
			text.Write(t)
		case xml.EndElement:
			local := t.Name.Local
			s := strings.TrimSpace(text.String())
			switch {
			case local == "FeatureType" && len(path) >= 2 && path[len(path)-2] == "FeatureTypeValues":
				if strings.HasPrefix(s, ofacFeaturePrefix) {
					if len(featureTypes) >= c.lim.Entries {
						return c.limitErr(LimitEntries, "the number of feature types", ts.line())
					}
					if !c.field(ts.line(), "FeatureType", s) || !c.field(ts.line(), "FeatureType ID", featureType) {
						return c.err
					}
					featureTypes[featureType] = strings.TrimPrefix(s, ofacFeaturePrefix)
				}
			case len(path) >= 2 && path[len(path)-2] == "DateOfIssue":
				switch local {
				case "Year":
					issued[0] = s
				case "Month":
					issued[1] = s
				case "Day":
					issued[2] = s
				}
			case local == "NamePartValue" && inPrimary:
				if nameLen += len(s) + 1; nameLen-1 > c.lim.Field {
					return c.limitErr(LimitField, "field primary name", ts.line())
				}
				name = append(name, s)
			case local == "Alias" && inPrimary:
				inPrimary, nameDone = false, true
			case local == "VersionDetail" && profile != "":
				asset, ok := featureTypes[featureType]
				if !ok {
					break
				}
				line, _ := dec.InputPos()
				if !c.next(line) || !c.field(line, "address", s) || !c.field(line, "profile ID", profile) {
					return c.err
				}
				chain, evm := ofacChain(asset, s)
				if chain == "" {
					c.skip(asset)
					break
				}
				note := "OFAC SDN profile " + profile
				if evm {
					note += " (listed as " + asset + ")"
				}
				source := c.opt.Source
				if issued[0] != "" && !strings.Contains(source, "OFAC") {
					source = fmt.Sprintf("OFAC SDN advanced XML %s-%02s-%02s", issued[0], issued[1], issued[2])
				}
				c.row(line, Entry{
					Chain: chain, Address: s, Kind: kindOr(c.opt.Kind, Sanctioned),
					Label: strings.Join(name, " "), Source: source,
					Note: note,
				})
			case local == "Profile":
				profile = ""
			}
			path = path[:len(path)-1]
			text.Reset()
		}
	}
	if len(featureTypes) == 0 {
		return fmt.Errorf("no Digital Currency Address feature types: not an OFAC SDN advanced XML")
	}
	return nil
}

func kindOr(k, def Kind) Kind {
	if k == "" {
		return def
	}
	return k
}
