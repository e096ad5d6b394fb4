package watchlists

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/address/v2/bech32"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/ethereum/go-ethereum/common"
)

// AddressError says why an address was refused. Reason is one of the
// Reason* constants; Detail says more.
type AddressError struct {
	Chain   chains.Chain
	Address string
	Reason  string
	Detail  string
}

// Reasons an address is refused.
const (
	ReasonChecksum  = "bad checksum"
	ReasonNetwork   = "wrong network"
	ReasonLength    = "wrong length"
	ReasonCharacter = "bad character"
	ReasonFormat    = "bad format"
)

func (e *AddressError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("invalid %s address %q: %s", e.Chain, e.Address, e.Reason)
	}
	return fmt.Sprintf("invalid %s address %q: %s (%s)", e.Chain, e.Address, e.Reason, e.Detail)
}

// ErrUnknownNetwork is returned for a network name docs/interface.md does not list.
var ErrUnknownNetwork = errors.New("unknown network")

// EthereumNetworks and BitcoinNetworks are the networks of docs/interface.md.
var (
	EthereumNetworks = []string{"mainnet", "sepolia", "holesky", "dev"}
	BitcoinNetworks  = []string{"mainnet", "testnet", "testnet4", "signet", "regtest", "simnet"}
)

// BitcoinParams returns the chaincfg parameters of a Bitcoin network name.
func BitcoinParams(network string) (*chaincfg.Params, error) {
	switch network {
	case "mainnet", "":
		return &chaincfg.MainNetParams, nil
	case "testnet":
		return &chaincfg.TestNet3Params, nil
	case "testnet4":
		return &chaincfg.TestNet4Params, nil
	case "signet":
		return &chaincfg.SigNetParams, nil
	case "regtest":
		return &chaincfg.RegressionNetParams, nil
	case "simnet":
		return &chaincfg.SimNetParams, nil
	}
	return nil, fmt.Errorf("%w %q for bitcoin (want %s)", ErrUnknownNetwork, network, strings.Join(BitcoinNetworks, ", "))
}

// Normalize validates addr as an address of chain on network and returns
// its stored form: lowercase 0x-hex on Ethereum (a mixed-case address must
// carry a valid EIP-55 checksum), the network's base58check or lowercase
// bech32/bech32m encoding on Bitcoin. An empty network means mainnet. A
// refused address gives an *AddressError naming the reason.
func Normalize(chain chains.Chain, network string, addr string) (string, error) {
	switch chain {
	case chains.Ethereum:
		switch network {
		case "", "mainnet", "sepolia", "holesky", "dev":
		default:
			return "", fmt.Errorf("%w %q for ethereum (want %s)", ErrUnknownNetwork, network, strings.Join(EthereumNetworks, ", "))
		}
		return normalizeEthereum(addr)
	case chains.Bitcoin:
		params, err := BitcoinParams(network)
		if err != nil {
			return "", err
		}
		return normalizeBitcoin(params, addr)
	}
	return "", fmt.Errorf("unknown chain %q (want ethereum or bitcoin)", chain)
}

// Display returns addr (normalised) as shown to people: EIP-55 on
// Ethereum, unchanged on Bitcoin.
func Display(chain chains.Chain, addr string) string {
	if chain == chains.Ethereum && len(addr) == 42 {
		return common.HexToAddress(addr).Hex()
	}
	return addr
}

func normalizeEthereum(addr string) (string, error) {
	bad := func(reason, detail string, args ...any) error {
		return &AddressError{Chain: chains.Ethereum, Address: addr, Reason: reason, Detail: fmt.Sprintf(detail, args...)}
	}
	if !strings.HasPrefix(addr, "0x") {
		if strings.HasPrefix(addr, "0X") {
			return "", bad(ReasonFormat, "prefix must be lowercase 0x")
		}
		return "", bad(ReasonFormat, "want 0x followed by 40 hex digits")
	}
	hex := addr[2:]
	for i := 0; i < len(hex); i++ {
		if !isHex(hex[i]) {
			return "", bad(ReasonCharacter, "%q at position %d is not a hex digit", hex[i], i+2)
		}
	}
	if len(hex) != 40 {
		return "", bad(ReasonLength, "%d hex digits, want 40", len(hex))
	}
	lower := strings.ToLower(addr)
	if addr != lower && addr != "0x"+strings.ToUpper(hex) {
		if want := common.HexToAddress(lower).Hex(); want != addr {
			return "", bad(ReasonChecksum, "EIP-55 mixed case does not match; checksummed form is %s", want)
		}
	}
	return lower, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// knownHRPs maps every bech32 prefix chaincfg knows to its networks, to tell
// "wrong network" from garbage.
var knownHRPs = map[string]string{"bc": "mainnet", "tb": "testnet/testnet4/signet", "bcrt": "regtest", "sb": "simnet"}

func normalizeBitcoin(params *chaincfg.Params, addr string) (string, error) {
	bad := func(reason, detail string, args ...any) error {
		return &AddressError{Chain: chains.Bitcoin, Address: addr, Reason: reason, Detail: fmt.Sprintf(detail, args...)}
	}
	if addr == "" {
		return "", bad(ReasonFormat, "empty")
	}
	lower := strings.ToLower(addr)
	if sep := strings.LastIndexByte(lower, '1'); sep > 0 {
		if net, ok := knownHRPs[lower[:sep]]; ok {
			return normalizeSegwit(params, addr, lower, lower[:sep], net, bad)
		}
	}
	for i := 0; i < len(addr); i++ {
		if strings.IndexByte(base58Alphabet, addr[i]) < 0 {
			return "", bad(ReasonCharacter, "%q at position %d is not base58", addr[i], i)
		}
	}
	payload, version, err := base58.CheckDecode(addr)
	switch {
	case errors.Is(err, base58.ErrChecksum):
		return "", bad(ReasonChecksum, "base58check")
	case errors.Is(err, base58.ErrInvalidFormat):
		return "", bad(ReasonLength, "too short for base58check")
	case err != nil:
		return "", bad(ReasonFormat, "%v", err)
	}
	if len(payload) != 20 {
		return "", bad(ReasonLength, "%d-byte hash, want 20", len(payload))
	}
	if version != params.PubKeyHashAddrID && version != params.ScriptHashAddrID {
		return "", bad(ReasonNetwork, "version byte 0x%02x is %s, want %s", version, base58Network(version), params.Name)
	}
	return addr, nil
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

func base58Network(version byte) string {
	switch version {
	case 0x00, 0x05:
		return "mainnet"
	case 0x6f, 0xc4:
		return "testnet/testnet4/signet/regtest"
	case 0x3f, 0x7b:
		return "simnet"
	}
	return "not a Bitcoin address"
}

func normalizeSegwit(params *chaincfg.Params, addr, lower, hrp, net string, bad func(string, string, ...any) error) (string, error) {
	if addr != lower && addr != strings.ToUpper(addr) {
		return "", bad(ReasonCharacter, "bech32 must not mix upper and lower case")
	}
	if hrp != params.Bech32HRPSegwit {
		return "", bad(ReasonNetwork, "prefix %q is %s, want %q (%s)", hrp, net, params.Bech32HRPSegwit, params.Name)
	}
	for i := len(hrp) + 1; i < len(lower); i++ {
		if !strings.ContainsRune("qpzry9x8gf2tvdw0s3jn54khce6mua7l", rune(lower[i])) {
			return "", bad(ReasonCharacter, "%q at position %d is not bech32", addr[i], i)
		}
	}
	_, data, version, err := bech32.DecodeGeneric(lower)
	if err != nil {
		var cs bech32.ErrInvalidChecksum
		var il bech32.ErrInvalidLength
		switch {
		case errors.As(err, &cs):
			return "", bad(ReasonChecksum, "bech32")
		case errors.As(err, &il):
			return "", bad(ReasonLength, "%d characters", len(addr))
		}
		return "", bad(ReasonFormat, "%v", err)
	}
	if len(data) < 1 {
		return "", bad(ReasonLength, "no witness version")
	}
	witVer := data[0]
	if witVer > 16 {
		return "", bad(ReasonFormat, "witness version %d", witVer)
	}
	prog, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil {
		return "", bad(ReasonLength, "witness program: %v", err)
	}
	switch {
	case witVer == 0 && version != bech32.Version0:
		return "", bad(ReasonChecksum, "segwit v0 must use bech32, not bech32m")
	case witVer != 0 && version != bech32.VersionM:
		return "", bad(ReasonChecksum, "segwit v%d must use bech32m, not bech32", witVer)
	case witVer == 0 && len(prog) != 20 && len(prog) != 32:
		return "", bad(ReasonLength, "v0 witness program of %d bytes, want 20 or 32", len(prog))
	case len(prog) < 2 || len(prog) > 40:
		return "", bad(ReasonLength, "witness program of %d bytes, want 2 to 40", len(prog))
	}
	return lower, nil
}
