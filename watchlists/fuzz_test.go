package watchlists

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chainhound/chainhound/chains"
)

// fuzzNetworks are the networks FuzzNormalize picks from: every network
// of both chains and one unknown.
var fuzzNetworks = []string{"", "mainnet", "sepolia", "holesky", "dev", "testnet", "testnet4", "signet", "regtest", "simnet", "nope"}

// FuzzNormalize: Normalize never panics; an accepted address is its own
// normal form (normalising it again gives it back, unchanged), holds no
// control character, and its display form normalises to it; a refused
// one gives an *AddressError or an unknown network.
func FuzzNormalize(f *testing.F) {
	for _, a := range []string{
		"0x098B716B8Aaf21512996dC57EB0615e2383E2f96", "0x098b716b8aaf21512996dc57eb0615e2383e2f96",
		"0X098B716B8AAF21512996DC57EB0615E2383E2F96", "0x098B716B8Aaf21512996dC57EB0615e2383E2f9",
		"123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", "31nadacWrgPeAQxKRMabhn3fPhnhi3hjKa",
		"bc1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw", "BC1Q05AKTDDF9CE4P7HH3STGSF253M4VWEU7NKHTMW",
		"tb1q05aktddf9ce4p7hh3stgsf253m4vweu7xj7kyx", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
		"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "", "1", "bc1", "\x00", "0x\u202e",
	} {
		for c := byte(0); c < 2; c++ {
			f.Add(c, byte(0), a)
			f.Add(c, byte(5), a)
		}
	}
	f.Fuzz(func(t *testing.T, c, n byte, addr string) {
		chain := []chains.Chain{chains.Ethereum, chains.Bitcoin, "dogecoin"}[int(c)%3]
		network := fuzzNetworks[int(n)%len(fuzzNetworks)]
		out, err := Normalize(chain, network, addr)
		if err != nil {
			var ae *AddressError
			if !errors.As(err, &ae) && !errors.Is(err, ErrUnknownNetwork) && chain != "dogecoin" {
				t.Fatalf("Normalize(%s, %s, %q): %v is neither an AddressError nor an unknown network", chain, network, addr, err)
			}
			if out != "" {
				t.Fatalf("refused with a result %q", out)
			}
			return
		}
		if CheckText("address", out) != nil || out == "" {
			t.Fatalf("Normalize(%s, %s, %q) = %q: not printable", chain, network, addr, out)
		}
		again, err := Normalize(chain, network, out)
		if err != nil || again != out {
			t.Fatalf("Normalize(%q) = %q, but again: %q, %v", addr, out, again, err)
		}
		disp := Display(chain, out)
		if back, err := Normalize(chain, network, disp); err != nil || back != out {
			t.Fatalf("display %q of %q normalises to %q, %v", disp, out, back, err)
		}
	})
}

// fuzzLimits are small, so that the fuzzer reaches every limit.
var fuzzLimits = ImportLimits{Size: 1 << 14, Line: 512, Field: 128, Depth: 8, Entries: 64, Tokens: 2048}

// FuzzImport: every format, plain or gzip-compressed, with or without
// SkipInvalid: Import never panics; it gives a result or an error, never
// both; a limit error names a known limit whose value was exceeded; every
// entry of a result is valid as the registry would store it (normalised
// address, known kind and chain, text without control characters, fields
// within the limit), no more rows than the entries limit, and the same
// file imports to the same result twice.
func FuzzImport(f *testing.F) {
	seeds := map[Format][]string{
		FormatCSV: {"chain,address,kind,label\nethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,sanctioned,Lazarus\n",
			"address,owner,note\n\"123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX\",acme,\"a\nb\"\n", "address\n\x1b[2J\n"},
		FormatJSON: {`[{"chain":"bitcoin","address":"bc1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw","kind":"stolen","label":"x"}]`,
			`{"x":[1,{"y":2}],"entries":[{"address":"0x098b716b8aaf21512996dc57eb0615e2383e2f96","added":"2025-01-01T00:00:00Z"}]}`},
		FormatLines: {"# c\n0x098b716b8aaf21512996dc57eb0615e2383e2f96\n\n123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX # x\n"},
		FormatTagPack: {"label: l\ncurrency: ETH\ntags:\n- address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96'\n  label: y\n- address: x\nactor: a\n",
			"tags: [{address: '123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX', currency: BTC}]\n"},
		FormatOFACXML: {ofacSeed},
	}
	for i, format := range Formats {
		for _, s := range seeds[format] {
			f.Add(byte(i), false, false, []byte(s))
			f.Add(byte(i), true, true, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, fi byte, gz, skip bool, data []byte) {
		format := Formats[int(fi)%len(Formats)]
		if gz {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(data)
			zw.Close()
			data = b.Bytes()
		}
		opt := ImportOptions{Format: format, Chain: chains.Bitcoin, Kind: Custom, SkipInvalid: skip, Limits: fuzzLimits}
		res, err := Import(bytes.NewReader(data), "f", opt)
		if (res == nil) == (err == nil) {
			t.Fatalf("result %v and error %v", res, err)
		}
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		checkFuzzResult(t, res)
		res2, err := Import(bytes.NewReader(data), "f", opt)
		if err != nil || len(res2.Entries) != len(res.Entries) || res2.BadRows != res.BadRows {
			t.Fatalf("second import differs: %v, %+v vs %+v", err, res2, res)
		}
	})
}

func checkFuzzError(t *testing.T, err error) {
	var le *LimitError
	if errors.As(err, &le) {
		switch le.Limit {
		case LimitSize, LimitLine, LimitField, LimitDepth, LimitEntries, LimitTokens:
		default:
			t.Fatalf("unknown limit in %v", err)
		}
		if le.File != "f" || !strings.HasPrefix(err.Error(), "f") {
			t.Fatalf("limit error %q does not name the file", err)
		}
		return
	}
	var ie *ImportError
	if errors.As(err, &ie) && (len(ie.Bad) == 0 || len(ie.Bad) > MaxBadRows) {
		t.Fatalf("import error with %d bad rows", len(ie.Bad))
	}
}

func checkFuzzResult(t *testing.T, res *ImportResult) {
	rows := len(res.Entries) + res.BadRows + res.Dups + res.Shipped
	for _, n := range res.Skipped {
		rows += n
	}
	if rows > fuzzLimits.Entries {
		t.Fatalf("%d rows past the entries limit %d", rows, fuzzLimits.Entries)
	}
	if len(res.Bad) > MaxBadRows || len(res.Bad) > res.BadRows {
		t.Fatalf("%d bad rows listed of %d", len(res.Bad), res.BadRows)
	}
	for _, e := range res.Entries {
		if a, err := Normalize(e.Chain, "", e.Address); err != nil || a != e.Address {
			t.Fatalf("entry %+v: address not normal (%v)", e, err)
		}
		if _, err := ParseKind(string(e.Kind)); err != nil {
			t.Fatalf("entry %+v: %v", e, err)
		}
		if err := checkTexts(e, 0); err != nil {
			t.Fatalf("entry %+v: %v", e, err)
		}
		if err := ValidateOwner(e.Owner); err != nil {
			t.Fatalf("entry %+v: %v", e, err)
		}
		for _, s := range []string{e.Label, e.Source, e.Note} {
			if !utf8.ValidString(s) || Printable(s) != strings.ReplaceAll(s, `\`, `\\`) {
				t.Fatalf("entry %+v: text not printable", e)
			}
		}
	}
}

// ofacSeed is a small SDN advanced XML in the shape of the real one.
const ofacSeed = `<?xml version="1.0" encoding="utf-8"?>
<Sanctions>
 <DateOfIssue><Year>2025</Year><Month>11</Month><Day>19</Day></DateOfIssue>
 <ReferenceValueSets><FeatureTypeValues>
  <FeatureType ID="345">Digital Currency Address - XBT</FeatureType>
  <FeatureType ID="344">Digital Currency Address - ETH</FeatureType>
  <FeatureType ID="887">Digital Currency Address - TRX</FeatureType>
 </FeatureTypeValues></ReferenceValueSets>
 <DistinctParties><DistinctParty><Profile ID="36216">
  <Identity><Alias Primary="true"><DocumentedName><DocumentedNamePart><NamePartValue>Lazarus Group</NamePartValue></DocumentedNamePart></DocumentedName></Alias></Identity>
  <Feature FeatureTypeID="344"><FeatureVersion><VersionDetail>0x098B716B8Aaf21512996dC57EB0615e2383E2f96</VersionDetail></FeatureVersion></Feature>
  <Feature FeatureTypeID="345"><FeatureVersion><VersionDetail>123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX</VersionDetail></FeatureVersion></Feature>
  <Feature FeatureTypeID="887"><FeatureVersion><VersionDetail>TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq</VersionDetail></FeatureVersion></Feature>
 </Profile></DistinctParty></DistinctParties>
</Sanctions>
`
