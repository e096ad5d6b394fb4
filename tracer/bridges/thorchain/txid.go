package thorchain

import (
	"errors"
	"fmt"
	"strings"
)

// NormaliseTxID maps a transaction id to THORChain's form, in which OUT:
// and REFUND: memos name the inbound: upper-case hex without "0x". An
// Ethereum hash ("0xab…") and a Bitcoin txid (display byte order, "ab…")
// both become "AB…", so a deposit's hash joins its payout's memo. Input
// that is not 64 hex digits (after an optional 0x) is returned upper-cased
// without the prefix, never matching a valid id by accident.
func NormaliseTxID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	return strings.ToUpper(s)
}

// normaliseStrict is NormaliseTxID for memo fields: the id must be 64 hex
// digits, optionally 0x-prefixed (THORNode's NewTxID takes 64 characters,
// or 66 with 0x; it does not check for hex).
func normaliseStrict(s string) (string, error) {
	if s != strings.TrimSpace(s) {
		return "", errors.New("has surrounding spaces")
	}
	n := NormaliseTxID(s)
	if len(n) != 64 {
		return "", fmt.Errorf("must be 64 hex digits, got %d characters", len(n))
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return "", fmt.Errorf("has the non-hex character %q at %d", c, i)
		}
	}
	return n, nil
}
