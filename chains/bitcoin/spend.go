package bitcoin

import (
	"bytes"
	"crypto/sha256"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/chainhound/chainhound/chains"
)

// What a spending script reveals about the output it spends.
type spendKind uint8

const (
	spendUnknown spendKind = iota
	spendP2PKH             // data: the public key
	spendP2SH              // data: the redeem script
	spendP2WPKH            // data: the public key
	spendP2WSH             // data: the witness script
)

// Opcodes of spending scripts beyond those of the output templates.
const (
	opReserved  = 0x50 // also the first byte of a taproot annex
	opFirstBad  = 0xba // OP_CHECKSIGADD and above cannot start a valid witness v0 script
	maxTapDepth = 128
)

// classifySpend reads an input's scriptSig and witness and says which kind
// of output they spend and which bytes its address hashes, without knowing
// the output. It answers spendUnknown whenever the shape is ambiguous:
// taproot (key path, script path, annex), P2PK and bare multisig (whose
// scriptSigs carry only signatures), non-push or malformed scriptSigs,
// empty and single-item witnesses.
func classifySpend(sig []byte, wit []byte) (spendKind, []byte) {
	if len(sig) == 0 {
		return classifyWitness(wit)
	}
	// The scriptSig must be push-only (BIP 16 requires it for P2SH, and a
	// P2PKH spend is two pushes); count the pushes and keep the last.
	var n int
	var last []byte
	for i := 0; i < len(sig); {
		op, data, next, ok := nextOp(sig, i)
		if !ok || op > op16 {
			return spendUnknown, nil
		}
		// OP_1NEGATE, OP_RESERVED and OP_1..OP_16 are push-only but
		// carry no data: data is nil for them.
		n++
		last, i = data, next
	}
	lastData := len(last) > 0
	switch {
	case !lastData:
		return spendUnknown, nil
	case n == 2 && isPubKey(last):
		return spendP2PKH, last
	case isRedeemScript(last):
		return spendP2SH, last
	}
	return spendUnknown, nil
}

// classifyWitness handles an input with an empty scriptSig: native
// segwit. wit is the serialized witness stack.
func classifyWitness(wit []byte) (spendKind, []byte) {
	n, last := witnessItems(wit)
	if n < 2 {
		// None: a legacy script needing no arguments, P2A, or invalid.
		// One: a taproot key-path signature or a P2WSH script needing no
		// arguments, which cannot be told apart; left unknown.
		return spendUnknown, nil
	}
	switch {
	case len(last) > 0 && last[0] == opReserved:
		return spendUnknown, nil // taproot annex
	case isControlBlock(last):
		return spendUnknown, nil // taproot script path
	case n == 2 && len(last) == 33 && (last[0] == 2 || last[0] == 3):
		return spendP2WPKH, last
	case n == 2 && len(last) == 65 && last[0] == 4:
		// An uncompressed key (P2WPKH, consensus-valid but non-standard)
		// or a 65-byte witness script: ambiguous.
		return spendUnknown, nil
	case len(last) > 0 && last[0] >= opFirstBad:
		// Cannot begin a valid witness v0 script: some other version.
		return spendUnknown, nil
	}
	return spendP2WSH, last
}

// isControlBlock says whether b has the shape of a BIP 341 control block
// for a tapscript leaf: 33 + 32k bytes, k ≤ 128, leaf version 0xc0.
func isControlBlock(b []byte) bool {
	return len(b) >= 33 && (len(b)-33)%32 == 0 && (len(b)-33)/32 <= maxTapDepth && b[0]&0xfe == 0xc0
}

// isPubKey says whether b has the shape of a serialized secp256k1 public
// key: compressed, uncompressed or hybrid.
func isPubKey(b []byte) bool {
	switch len(b) {
	case 33:
		return b[0] == 2 || b[0] == 3
	case 65:
		return b[0] == 4 || b[0] == 6 || b[0] == 7
	}
	return false
}

// isDERSignature says whether b has the shape of a DER-encoded ECDSA
// signature followed by its sighash byte (BIP 66 shape, loosely).
func isDERSignature(b []byte) bool {
	return len(b) >= 9 && len(b) <= 73 && b[0] == 0x30 && int(b[1]) == len(b)-3 && b[2] == 0x02
}

// isRedeemScript says whether the last push of a push-only scriptSig is a
// P2SH redeem script rather than a signature or a key: it is a witness
// program (P2SH-P2WPKH, P2SH-P2WSH), or it parses as a script and holds
// at least one operation that is not a push.
func isRedeemScript(r []byte) bool {
	if isDERSignature(r) || isPubKey(r) {
		return false
	}
	if n := len(r); n >= 4 && n <= 42 && (r[0] == opFalse || r[0] >= op1 && r[0] <= op16) && int(r[1]) == n-2 {
		return true
	}
	ops := false
	for i := 0; i < len(r); {
		op, _, next, ok := nextOp(r, i)
		if !ok || op == opPushData4 { // no real redeem script needs a 4-byte length
			return false
		}
		ops = ops || op > op16
		i = next
	}
	return ops
}

// addresser is the chains.Addresser of decoded blocks: it encodes output
// scripts and input spending data for one network, reusing its hash
// buffer and remembering the previous input's answer (consolidations
// spend many coins of one key in a row). One block uses it at a time.
type addresser struct {
	params   *chaincfg.Params
	first    [sha256.Size]byte
	sum      [20]byte
	lastKind spendKind
	lastData []byte
	lastAddr string
}

var _ chains.Addresser = (*addresser)(nil)

func newAddresser(params *chaincfg.Params) *addresser {
	return &addresser{params: params}
}

// OutputAddress encodes what o's script pays.
func (s *addresser) OutputAddress(o *chains.Output) string {
	return scriptAddress(o.Script, o.Class, o.Data, s.params)
}

// InputAddress is the network address of the output in spends when its
// scriptSig and witness reveal it, else "".
func (s *addresser) InputAddress(in *chains.Input) string {
	return s.address(in.SigScript, in.Witness)
}

// address derives from a scriptSig and a serialized witness stack.
func (s *addresser) address(sig, wit []byte) string {
	kind, data := classifySpend(sig, wit)
	if kind == spendUnknown {
		return ""
	}
	if kind == s.lastKind && bytes.Equal(data, s.lastData) {
		return s.lastAddr
	}
	var addr string
	switch kind {
	case spendP2PKH:
		addr = base58Check(s.params.PubKeyHashAddrID, s.hash160(data))
	case spendP2SH:
		addr = base58Check(s.params.ScriptHashAddrID, s.hash160(data))
	case spendP2WPKH:
		addr = segwitAddress(s.params.Bech32HRPSegwit, 0, s.hash160(data))
	case spendP2WSH:
		sum := sha256.Sum256(data)
		addr = segwitAddress(s.params.Bech32HRPSegwit, 0, sum[:])
	}
	s.lastKind, s.lastData, s.lastAddr = kind, data, addr
	return addr
}

//go:generate go run ./internal/ripemdgen

// hash160 is RIPEMD-160(SHA-256(b)) into the addresser's buffer (the
// unrolled RIPEMD-160 of ripemd.go, which go generate writes).
func (s *addresser) hash160(b []byte) []byte {
	s.first = sha256.Sum256(b)
	ripemd160Of32(&s.sum, &s.first)
	return s.sum[:]
}
