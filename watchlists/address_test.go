package watchlists

import (
	"encoding/csv"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/address/v2/bech32"
	"github.com/chainhound/chainhound/chains"
)

type realAddress struct {
	chain chains.Chain
	typ   string
	addr  string
}

func loadRealAddresses(t *testing.T) []realAddress {
	t.Helper()
	f, err := os.Open("testdata/addresses.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []realAddress
	for _, r := range rows[1:] {
		out = append(out, realAddress{chain: chains.Chain(r[0]), typ: r[1], addr: r[2]})
	}
	return out
}

// corrupt replaces the character at i by another one of the same alphabet
// (so the only thing wrong is the checksum).
func corrupt(addr string, i int, alphabet string) string {
	c := addr[i]
	j := strings.IndexByte(alphabet, c)
	if j < 0 {
		j = strings.IndexByte(alphabet, c|0x20)
	}
	n := alphabet[(j+1)%len(alphabet)]
	return addr[:i] + string(n) + addr[i+1:]
}

// toTestnet re-encodes a mainnet Bitcoin address for testnet: the same
// hash, valid checksum, other network.
func toTestnet(t *testing.T, addr string) string {
	t.Helper()
	if strings.HasPrefix(addr, "bc1") {
		hrp, data, ver, err := bech32.DecodeGeneric(addr)
		if err != nil || hrp != "bc" {
			t.Fatalf("decode %s: %v", addr, err)
		}
		enc := bech32.Encode
		if ver == bech32.VersionM {
			enc = bech32.EncodeM
		}
		out, err := enc("tb", data)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	payload, ver, err := base58.CheckDecode(addr)
	if err != nil {
		t.Fatal(err)
	}
	nv := byte(0x6f)
	if ver == 0x05 {
		nv = 0xc4
	}
	return base58.CheckEncode(payload, nv)
}

func TestNormalizeRealAddresses(t *testing.T) {
	for _, a := range loadRealAddresses(t) {
		t.Run(string(a.chain)+"/"+a.typ+"/"+a.addr, func(t *testing.T) {
			got, err := Normalize(a.chain, "mainnet", a.addr)
			if err != nil {
				t.Fatalf("good address refused: %v", err)
			}
			want := a.addr
			if a.chain == chains.Ethereum || strings.HasPrefix(a.addr, "bc1") {
				want = strings.ToLower(a.addr)
			}
			if got != want {
				t.Fatalf("normalised %q, want %q", got, want)
			}
			if d := Display(a.chain, got); d != a.addr {
				t.Fatalf("Display = %q, want the original %q", d, a.addr)
			}

			// One character changed, in the middle.
			alphabet := base58Alphabet
			switch {
			case a.chain == chains.Ethereum:
				alphabet = "0123456789abcdef"
			case strings.HasPrefix(a.addr, "bc1"):
				alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
			}
			bad := corrupt(want, len(want)/2, alphabet)
			if a.chain == chains.Ethereum {
				// A lowercase address carries no checksum: corrupt the
				// checksummed form's case instead.
				bad = flipCaseAt(a.addr, firstLetter(a.addr))
			}
			expectReason(t, a.chain, "mainnet", bad, ReasonChecksum)

			// Wrong length: one character dropped.
			short := want[:len(want)-1]
			if a.chain == chains.Ethereum {
				expectReason(t, a.chain, "mainnet", short, ReasonLength)
			} else {
				if _, err := Normalize(a.chain, "mainnet", short); err == nil {
					t.Fatalf("%s accepted", short)
				}
			}

			// Bad character.
			expectReason(t, a.chain, "mainnet", want[:5]+"O"+want[6:], ReasonCharacter)

			if a.chain == chains.Bitcoin {
				// Wrong network, both ways.
				expectReason(t, a.chain, "testnet", a.addr, ReasonNetwork)
				tn := toTestnet(t, a.addr)
				expectReason(t, a.chain, "mainnet", tn, ReasonNetwork)
				if _, err := Normalize(a.chain, "testnet", tn); err != nil {
					t.Fatalf("testnet form %s refused on testnet: %v", tn, err)
				}
				if strings.HasPrefix(a.addr, "bc1") {
					// Upper case bech32 is valid and stored lowercase; mixed case is not.
					if got, err := Normalize(a.chain, "mainnet", strings.ToUpper(a.addr)); err != nil || got != want {
						t.Fatalf("upper case: %q, %v", got, err)
					}
					expectReason(t, a.chain, "mainnet", strings.ToUpper(a.addr[:6])+a.addr[6:], ReasonCharacter)
				} else {
					// base58 is case-sensitive: another case is another (invalid) address.
					if _, err := Normalize(a.chain, "mainnet", flipCaseAt(a.addr, firstLetter(a.addr))); err == nil {
						t.Fatal("case-flipped base58 accepted")
					}
				}
			} else {
				// Ethereum: all lower and all upper carry no checksum and are accepted.
				for _, v := range []string{strings.ToLower(a.addr), "0x" + strings.ToUpper(a.addr[2:])} {
					if got, err := Normalize(a.chain, "mainnet", v); err != nil || got != want {
						t.Fatalf("%s: %q, %v", v, got, err)
					}
				}
			}
		})
	}
}

func firstLetter(s string) int {
	for i := 2; i < len(s); i++ {
		if c := s[i] | 0x20; c >= 'a' && c <= 'z' && c != 'l' && c != 'o' && c != 'i' {
			return i
		}
	}
	return -1
}

func flipCaseAt(s string, i int) string {
	return s[:i] + string(s[i]^0x20) + s[i+1:]
}

func expectReason(t *testing.T, chain chains.Chain, network, addr, reason string) {
	t.Helper()
	_, err := Normalize(chain, network, addr)
	var ae *AddressError
	if !errors.As(err, &ae) {
		t.Fatalf("%s on %s: got %v, want %s", addr, network, err, reason)
	}
	if ae.Reason != reason {
		t.Fatalf("%s on %s: reason %q (%v), want %q", addr, network, ae.Reason, err, reason)
	}
}

func TestNormalizeNetworks(t *testing.T) {
	for name, tc := range map[string]struct {
		chain   chains.Chain
		network string
		addr    string
		ok      bool
	}{
		"eth sepolia":         {chains.Ethereum, "sepolia", "0x04dba1194ee10112fe6c3207c0687def0e78bacf", true},
		"eth unknown network": {chains.Ethereum, "ropsten", "0x04dba1194ee10112fe6c3207c0687def0e78bacf", false},
		"eth no prefix":       {chains.Ethereum, "mainnet", "04dba1194ee10112fe6c3207c0687def0e78bacf", false},
		"btc signet on tb":    {chains.Bitcoin, "signet", "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", false},
		"btc unknown network": {chains.Bitcoin, "litecoin", "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", false},
		"unknown chain":       {chains.Chain("tron"), "mainnet", "TA3941uFAvmVibSkQ6fMJXxmaSNovX86mz", false},
		"btc empty":           {chains.Bitcoin, "mainnet", "", false},
		"btc simnet on sb":    {chains.Bitcoin, "simnet", "bc1q05aktddf9ce4p7hh3stgsf253m4vweu7nkhtmw", false},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Normalize(tc.chain, tc.network, tc.addr)
			if (err == nil) != tc.ok {
				t.Fatalf("ok=%v, err=%v", tc.ok, err)
			}
		})
	}
}
