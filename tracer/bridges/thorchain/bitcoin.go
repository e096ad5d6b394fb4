package thorchain

// Script opcodes DecodeBitcoinMemo reads.
const (
	opReturn    = 0x6a
	opPushData1 = 0x4c
	opPushData2 = 0x4d
	opPushData4 = 0x4e
)

// DecodeBitcoinMemo returns the memo carried by an OP_RETURN output
// script: OP_RETURN followed by one data push that fills the rest of the
// script. ok is false for any other script, an empty push, a push that
// runs past the script, or data longer than MaxMemoLen.
//
// Bitcoin Core relayed OP_RETURN data up to 80 bytes until v30, and
// THORChain builds its own Bitcoin memos to fit; the bound here is
// THORChain's memo limit instead, so a larger push a miner accepted still
// decodes. THORNode's bifrost (utxo/client_internal.go getMemo) also joins
// the OP_RETURN pushes of several outputs and continues an 80-byte memo
// ending in '^' into the following outputs' key hashes; a caller that
// needs that assembles the parts itself.
func DecodeBitcoinMemo(script []byte) (string, bool) {
	if len(script) < 2 || script[0] != opReturn {
		return "", false
	}
	op, rest := script[1], script[2:]
	var n int
	switch {
	case op >= 0x01 && op <= 0x4b:
		n = int(op)
	case op == opPushData1:
		if len(rest) < 1 {
			return "", false
		}
		n, rest = int(rest[0]), rest[1:]
	case op == opPushData2:
		if len(rest) < 2 {
			return "", false
		}
		n, rest = int(rest[0])|int(rest[1])<<8, rest[2:]
	case op == opPushData4:
		if len(rest) < 4 {
			return "", false
		}
		v := uint64(rest[0]) | uint64(rest[1])<<8 | uint64(rest[2])<<16 | uint64(rest[3])<<24
		if v > MaxMemoLen {
			return "", false
		}
		n, rest = int(v), rest[4:]
	default:
		return "", false
	}
	if n == 0 || n > MaxMemoLen || n != len(rest) {
		return "", false
	}
	return string(rest), true
}
