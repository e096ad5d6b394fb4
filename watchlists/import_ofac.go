package watchlists

import (
	"bufio"
	"compress/bzip2"
	"encoding/xml"
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

const ofacFeaturePrefix = "Digital Currency Address - "

// readOFAC streams the SDN advanced XML: the FeatureType reference values
// first, then every DistinctParty's Profile with its primary name and its
// Digital Currency Address features. A bzip2-compressed file is accepted.
func readOFAC(r *bufio.Reader, c *collector) error {
	var in io.Reader = r
	if magic, _ := r.Peek(3); string(magic) == "BZh" {
		in = bzip2.NewReader(r)
	}
	dec := xml.NewDecoder(in)
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
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
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
				profile, name, nameDone = attr(t, "ID"), nil, false
			case "Alias":
				inPrimary = attr(t, "Primary") == "true" && !nameDone
			case "Feature":
				featureType = attr(t, "FeatureTypeID")
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			local := t.Name.Local
			s := strings.TrimSpace(text.String())
			switch {
			case local == "FeatureType" && len(path) >= 2 && path[len(path)-2] == "FeatureTypeValues":
				if strings.HasPrefix(s, ofacFeaturePrefix) {
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
				name = append(name, s)
			case local == "Alias" && inPrimary:
				inPrimary, nameDone = false, true
			case local == "VersionDetail" && profile != "":
				asset, ok := featureTypes[featureType]
				if !ok {
					break
				}
				line, _ := dec.InputPos()
				chain := OFACAssetChain(asset)
				if chain == "" {
					c.skip(asset)
					break
				}
				source := c.opt.Source
				if issued[0] != "" && !strings.Contains(source, "OFAC") {
					source = fmt.Sprintf("OFAC SDN advanced XML %s-%02s-%02s", issued[0], issued[1], issued[2])
				}
				c.row(line, Entry{
					Chain: chain, Address: s, Kind: kindOr(c.opt.Kind, Sanctioned),
					Label: strings.Join(name, " "), Source: source,
					Note: "OFAC SDN profile " + profile,
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
