package watchlists

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

func importFile(t *testing.T, path string, opt ImportOptions) (*ImportResult, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Import(f, path, opt)
}

// tronInXBT is a TRON address that OFAC lists as "Digital Currency Address
// - XBT" (SDN profile 45404); the lists derived from the XML carry it too.
const tronInXBT = "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"

func readList(t *testing.T, path string, chain chains.Chain) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		a, err := Normalize(chain, "mainnet", strings.TrimSpace(sc.Text()))
		if err != nil {
			if sc.Text() == tronInXBT {
				out[sc.Text()] = true
				continue
			}
			t.Fatal(err)
		}
		out[a] = true
	}
	return out
}

// The real OFAC SDN advanced XML (2025-11-19): 77 distinct ETH and 517
// distinct XBT addresses, the sets of the brave-intl lists built from it;
// 519 XBT features (2 repeat an address). Addresses in Ethereum form
// listed under USDT, USDC, ARB, BSC or ETC are Ethereum entries too: 4 of
// them are listed under no ETH feature (issue 14, item 9); the others
// repeat an ETH one. One "XBT" address is really a TRON address (profile
// 45404): the list is authoritative, so it is imported without
// --skip-invalid and that row is left out with a warning naming the
// profile; 516 bitcoin entries remain.
func TestImportOFACXML(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 120 MB of XML")
	}
	res, err := importFile(t, "testdata/sdn_advanced.xml.bz2", ImportOptions{Format: FormatOFACXML})
	if err != nil {
		t.Fatal(err)
	}
	if res.BadRows != 0 || res.WarnRows != 1 || res.Warnings[0].Line != 1784431 ||
		!strings.Contains(res.Warnings[0].Reason, "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq") || !strings.Contains(res.Warnings[0].Reason, "profile 45404") {
		t.Fatalf("bad rows %d, warnings %+v; want the TRON address at line 1784431, profile 45404, as a warning", res.BadRows, res.Warnings)
	}
	got := map[chains.Chain]map[string]bool{chains.Ethereum: {}, chains.Bitcoin: {}}
	for _, e := range res.Entries {
		if e.Kind != Sanctioned || !strings.HasPrefix(e.Source, "OFAC SDN advanced XML 2025-11-19") || !strings.HasPrefix(e.Note, "OFAC SDN profile ") {
			t.Fatalf("entry %+v", e)
		}
		got[e.Chain][e.Address] = true
	}
	onlyAsTokens := []string{ // listed as USDT only
		"0xfec8a60023265364d066a1212fde3930f6ae8da7", // profile 33858
		"0x38735f03b30fbc022ddd06abed01f0ca823c6a94", // profile 43085
		"0xfac583c0cf07ea434052c49115a4682172ab6b4f", // profile 45404
		"0x175d44451403edf28469df03a9280c1197adb92c", // profile 47635
	}
	for chain, list := range map[chains.Chain]string{chains.Ethereum: "testdata/sanctioned_addresses_ETH.txt", chains.Bitcoin: "testdata/sanctioned_addresses_XBT.txt"} {
		want := readList(t, list, chain)
		delete(want, tronInXBT)
		if chain == chains.Ethereum {
			for _, a := range onlyAsTokens {
				want[a] = true
			}
		}
		if len(got[chain]) != len(want) {
			t.Errorf("%s: %d addresses, want %d", chain, len(got[chain]), len(want))
		}
		for a := range want {
			if !got[chain][a] {
				t.Errorf("%s: %s missing", chain, a)
			}
		}
	}
	if len(got[chains.Ethereum]) != 81 || len(got[chains.Bitcoin]) != 516 || res.Dups != 11 {
		t.Fatalf("eth %d, xbt %d, dups %d; want 81, 516, 11", len(got[chains.Ethereum]), len(got[chains.Bitcoin]), res.Dups)
	}
	skipped := 0
	for _, n := range res.Skipped {
		skipped += n
	}
	if skipped != 152 || res.Skipped["USDT"] != 85 || res.Skipped["TRX"] != 29 || res.Skipped["ARB"] != 0 {
		t.Fatalf("skipped %d (%s), want 152 with USDT 85 (TRON form), TRX 29, no ARB", skipped, res.SkippedSummary())
	}
	for _, e := range res.Entries {
		if e.Address == "0x098b716b8aaf21512996dc57eb0615e2383e2f96" && e.Label != "Lazarus Group" {
			t.Fatalf("label %q, want Lazarus Group", e.Label)
		}
		if e.Address == "0xfac583c0cf07ea434052c49115a4682172ab6b4f" && !strings.Contains(e.Note, "(listed as USDT)") {
			t.Fatalf("note %q, want it to say the address was listed as USDT", e.Note)
		}
	}
}

func TestImportLists(t *testing.T) {
	for name, tc := range map[string]struct {
		path    string
		chain   chains.Chain
		want    int
		badLine int
	}{
		"eth": {"testdata/sanctioned_addresses_ETH.txt", chains.Ethereum, 77, 0},
		"xbt": {"testdata/sanctioned_addresses_XBT.txt", chains.Bitcoin, 516, 379},
	} {
		t.Run(name, func(t *testing.T) {
			opt := ImportOptions{Format: FormatLines, Chain: tc.chain, Kind: Sanctioned}
			res, err := importFile(t, tc.path, opt)
			if tc.badLine != 0 {
				var ie *ImportError
				if !errors.As(err, &ie) || ie.Bad[0].Line != tc.badLine || len(ie.Bad) != 1 {
					t.Fatalf("got %v, want one bad row at line %d", err, tc.badLine)
				}
				opt.SkipInvalid = true
				res, err = importFile(t, tc.path, opt)
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Entries) != tc.want {
				t.Fatalf("%d entries, want %d", len(res.Entries), tc.want)
			}
			if res.Entries[0].Source != "sanctioned_addresses_"+strings.ToUpper(map[string]string{"eth": "ETH", "xbt": "XBT"}[name])+".txt" {
				t.Fatalf("source %q", res.Entries[0].Source)
			}
		})
	}
}

func TestImportTagPack(t *testing.T) {
	res, err := importFile(t, "testdata/exchange-wallets-okx.yaml", ImportOptions{Format: FormatTagPack})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 36 || res.Entries[0].Kind != Exchange || res.Entries[0].Chain != chains.Bitcoin || res.Entries[0].Label != "okx reserves wallets" {
		t.Fatalf("%d entries, first %+v", len(res.Entries), res.Entries[0])
	}
	res, err = importFile(t, "testdata/tornado_cash.yaml", ImportOptions{Format: FormatTagPack})
	if err != nil {
		t.Fatal(err)
	}
	// 39 tags, one address listed twice.
	if len(res.Entries) != 38 || res.Dups != 1 || res.Entries[0].Kind != Mixer || res.Entries[0].Address != "0x8589427373d6d84e98730d7795d8f6f8731fda16" {
		t.Fatalf("%d entries, first %+v", len(res.Entries), res.Entries[0])
	}
}

// A file with one bad row in the middle imports nothing and names the
// row; with SkipInvalid it keeps the others and lists the bad one.
func TestImportOneBadRow(t *testing.T) {
	for name, tc := range map[string]struct {
		format Format
		body   string
		line   int
		reason string
	}{
		"csv": {FormatCSV, "chain,address,kind,label\n" +
			"ethereum,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,sanctioned,Lazarus\n" +
			"bitcoin,123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KY,sanctioned,corrupted\n" +
			"bitcoin,bc1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw,sanctioned,\n", 3, "bad checksum"},
		"json": {FormatJSON, "[\n {\"chain\":\"ethereum\",\"address\":\"0x098B716B8Aaf21512996dC57EB0615e2383E2f96\",\"kind\":\"sanctioned\"},\n" +
			" {\"chain\":\"ethereum\",\n  \"address\":\"0x098b716b8aaf21512996dc57eb0615e2383e2f9\",\"kind\":\"sanctioned\"},\n" +
			" {\"chain\":\"bitcoin\",\"address\":\"bc1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw\",\"kind\":\"stolen\"}\n]\n", 3, "wrong length"},
		"lines":                 {FormatLines, "# OFAC\n123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX\ntb1q05aktddf9ce4p7hh3stgsf253m4vweu7xj7kyx\n31nadacWrgPeAQxKRMabhn3fPhnhi3hjKa\n", 3, "wrong network"},
		"csv owner in capitals": {FormatCSV, "address,owner\n123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX,acme\n31nadacWrgPeAQxKRMabhn3fPhnhi3hjKa,Acme\nbc1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw,\n", 3, `tenant names are lower case ("acme")`},
		"csv bad kind":          {FormatCSV, "address,kind\n123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX,exchange\n31nadacWrgPeAQxKRMabhn3fPhnhi3hjKa,casino\nbc1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw,mixer\n", 3, "unknown kind"},
	} {
		t.Run(name, func(t *testing.T) {
			opt := ImportOptions{Format: tc.format, Chain: chains.Bitcoin, Kind: Sanctioned}
			res, err := Import(strings.NewReader(tc.body), "f."+string(tc.format), opt)
			var ie *ImportError
			if !errors.As(err, &ie) || res != nil {
				t.Fatalf("got %v, %v; want an ImportError and no result", res, err)
			}
			if len(ie.Bad) != 1 || ie.Bad[0].Line != tc.line || !strings.Contains(ie.Bad[0].Reason, tc.reason) {
				t.Fatalf("bad rows %+v, want line %d with %q", ie.Bad, tc.line, tc.reason)
			}
			if want := "f." + string(tc.format) + ":" + strconv.Itoa(tc.line) + ":"; !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error %q does not start with %q", err, want)
			}
			opt.SkipInvalid = true
			res, err = Import(strings.NewReader(tc.body), "f", opt)
			if err != nil || len(res.Entries) != 2 || len(res.Bad) != 1 || res.Bad[0].Line != tc.line {
				t.Fatalf("skip-invalid: %+v, %v", res, err)
			}
		})
	}
}

func TestImportUnparsable(t *testing.T) {
	for name, tc := range map[string]struct {
		format Format
		body   string
		want   string
	}{
		"csv no address column": {FormatCSV, "chain,label\nethereum,x\n", "line 1: no address column"},
		"csv bad quote":         {FormatCSV, "address\n\"0xabc\n", "line"},
		"json not array":        {FormatJSON, "\n\n\"x\"", "line 3"},
		"xml not ofac":          {FormatOFACXML, "<a><b/></a>", "not an OFAC"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Import(strings.NewReader(tc.body), "f", ImportOptions{Format: tc.format, Chain: chains.Ethereum, Kind: Custom})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestImportLeavesShippedLabelsOut: an export lists the shipped labels
// beside the stored entries; importing it again stores only the latter.
func TestImportLeavesShippedLabelsOut(t *testing.T) {
	body := "address,kind,source\n" +
		"123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX,exchange,mine\n" +
		"31nadacWrgPeAQxKRMabhn3fPhnhi3hjKa,sanctioned,shipped:ofac\n"
	res, err := Import(strings.NewReader(body), "export.csv", ImportOptions{Format: FormatCSV, Chain: chains.Bitcoin})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || res.Entries[0].Source != "mine" || res.Shipped != 1 || len(res.Bad) != 0 {
		t.Fatalf("entries %+v, shipped %d, bad %+v", res.Entries, res.Shipped, res.Bad)
	}
}

// TestImportJSONExport: what `watch ls --format json` prints imports
// again: a mixer's protocol is kept, the export's added, shipped and
// untrusted fields are accepted (trust is whoever imports), and an unknown
// field is still refused.
func TestImportJSONExport(t *testing.T) {
	export := `{"entries":[{"chain":"ethereum","address":"0x910cbd523d972eb0a6f4cae4618ad62622b39dbf","kind":"mixer","label":"Tornado 10 ETH","owner":"ops","protocol":"tornado","added":"2026-12-06T00:00:00Z","untrusted":true}]}`
	res, err := Import(strings.NewReader(export), "export.json", ImportOptions{Format: FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || res.Entries[0].Protocol != "tornado" || res.Entries[0].Untrusted {
		t.Fatalf("entries %+v, want the mixer with protocol tornado, trusted as the importer decides", res.Entries)
	}
	_, err = Import(strings.NewReader(strings.Replace(export, `"untrusted"`, `"nosuchfield"`, 1)), "export.json", ImportOptions{Format: FormatJSON})
	if err == nil {
		t.Fatal("an unknown field was accepted")
	}
}
