package bitcoin

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/chainhound/chainhound/chains"
)

// Script opcodes used by the output templates.
const (
	opFalse         = 0x00
	opPushData1     = 0x4c
	opPushData2     = 0x4d
	opPushData4     = 0x4e
	op1Negate       = 0x4f
	op1             = 0x51
	op16            = 0x60
	opReturn        = 0x6a
	opDup           = 0x76
	opEqual         = 0x87
	opEqualVerify   = 0x88
	opHash160       = 0xa9
	opCheckSig      = 0xac
	opCheckMultisig = 0xae
)

// ScriptOutput classifies an output script and names where it pays:
// an address encoded for params for P2PKH, P2SH, P2WPKH, P2WSH, P2TR and
// P2A; "op_return:<hex>" with the pushed data for OP_RETURN; and
// "script:<sha256 hex of the script>" for everything else (P2PK, bare
// multisig, future witness versions, non-standard scripts), which stays
// the same identifier wherever the script appears.
func ScriptOutput(script []byte, params *chaincfg.Params) (class chains.ScriptClass, addr string, data []byte) {
	class = scriptClass(script)
	if class == chains.NullData {
		data = nullData(script[1:])
	}
	return class, scriptAddress(script, class, data, params), data
}

// scriptClass classifies an output script by its template alone.
func scriptClass(script []byte) chains.ScriptClass {
	n := len(script)
	switch {
	case n == 25 && script[0] == opDup && script[1] == opHash160 && script[2] == 20 &&
		script[23] == opEqualVerify && script[24] == opCheckSig:
		return chains.P2PKH
	case n == 23 && script[0] == opHash160 && script[1] == 20 && script[22] == opEqual:
		return chains.P2SH
	case n == 22 && script[0] == opFalse && script[1] == 20:
		return chains.P2WPKH
	case n == 34 && script[0] == opFalse && script[1] == 32:
		return chains.P2WSH
	case n == 34 && script[0] == op1 && script[1] == 32:
		return chains.P2TR
	case n == 4 && script[0] == op1 && script[1] == 2 && script[2] == 0x4e && script[3] == 0x73:
		return chains.P2A
	case n > 0 && script[0] == opReturn:
		return chains.NullData
	case (n == 35 && script[0] == 33 || n == 67 && script[0] == 65) && script[n-1] == opCheckSig:
		return chains.P2PK
	case n > 0 && script[n-1] == opCheckMultisig:
		if ok, err := txscript.IsMultisigScript(script); ok && err == nil {
			return chains.Multisig
		}
	}
	return chains.NonStandard
}

// scriptAddress encodes where a script of class pays (data: an OP_RETURN's
// pushed data).
func scriptAddress(script []byte, class chains.ScriptClass, data []byte, params *chaincfg.Params) string {
	switch class {
	case chains.P2PKH:
		return base58Check(params.PubKeyHashAddrID, script[3:23])
	case chains.P2SH:
		return base58Check(params.ScriptHashAddrID, script[2:22])
	case chains.P2WPKH, chains.P2WSH:
		return segwitAddress(params.Bech32HRPSegwit, 0, script[2:])
	case chains.P2TR, chains.P2A:
		return segwitAddress(params.Bech32HRPSegwit, 1, script[2:])
	case chains.NullData:
		return "op_return:" + hex.EncodeToString(data)
	}
	return scriptID(script)
}

// scriptID is the stable identifier of a script without an address.
func scriptID(script []byte) string {
	sum := sha256.Sum256(script)
	return "script:" + hex.EncodeToString(sum[:])
}

// nextOp reads the operation at s[i:]: its opcode, the data it pushes
// (nil for an opcode that pushes none) and where the next begins. ok is
// false when the script ends inside the operation.
func nextOp(s []byte, i int) (op byte, data []byte, next int, ok bool) {
	op = s[i]
	i++
	var l uint64
	switch {
	case op < opPushData1:
		l = uint64(op)
	case op == opPushData1:
		if i+1 > len(s) {
			return op, nil, i, false
		}
		l = uint64(s[i])
		i++
	case op == opPushData2:
		if i+2 > len(s) {
			return op, nil, i, false
		}
		l = uint64(s[i]) | uint64(s[i+1])<<8
		i += 2
	case op == opPushData4:
		if i+4 > len(s) {
			return op, nil, i, false
		}
		l = uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24
		i += 4
	default:
		return op, nil, i, true
	}
	if l > uint64(len(s)-i) {
		return op, nil, i, false
	}
	return op, s[i : i+int(l)], i + int(l), true
}

// isPush says whether op pushes data (OP_0 and the OP_PUSHDATA forms).
func isPush(op byte) bool { return op <= opPushData4 }

// nullData returns the data an OP_RETURN script carries: its pushes
// concatenated, or the raw bytes after OP_RETURN when they are not all
// pushes (so nothing a bridge wrote there is lost).
func nullData(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		op, data, next, ok := nextOp(s, i)
		switch {
		case !ok:
			return append([]byte(nil), s...)
		case isPush(op):
			out = append(out, data...)
		case op >= op1 && op <= op16 || op == op1Negate: // small numbers carry no bytes
		default:
			return append([]byte(nil), s...)
		}
		i = next
	}
	return out
}
