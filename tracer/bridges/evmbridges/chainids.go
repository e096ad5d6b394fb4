package evmbridges

// evmChains names EVM chain ids (EIP-155), which LI.FI and Across use.
var evmChains = map[uint64]string{
	1:       "ethereum",
	10:      "optimism",
	25:      "cronos",
	56:      "bsc",
	100:     "gnosis",
	137:     "polygon",
	250:     "fantom",
	324:     "zksync",
	1088:    "metis",
	1101:    "polygon-zkevm",
	5000:    "mantle",
	8453:    "base",
	34443:   "mode",
	42161:   "arbitrum",
	42220:   "celo",
	43114:   "avalanche",
	59144:   "linea",
	81457:   "blast",
	534352:  "scroll",
	7777777: "zora",
}

// LI.FI's ids for non-EVM chains (contracts/src/Helpers/LiFiData.sol in
// lifinance/contracts; "IDs are made up by the LI.FI team"), and the
// receiver it puts in BridgeData for them.
const (
	LiFiChainBitcoin  = 20000000000001
	LiFiChainSolana   = 1151111081099710
	LiFiNonEVMAddress = "0x11f111f111f111f111f111f111f111f111f111f1"
)

var lifiNonEVM = map[uint64]string{
	20000000000001:   "bitcoin",
	20000000000002:   "bitcoincash",
	20000000000003:   "litecoin",
	20000000000004:   "dogecoin",
	1151111081099710: "solana",
	9270000000000000: "sui",
	9271000000000010: "aptos",
	1885080386571452: "tron",
}

// AcrossChainSolana is Across's id for Solana.
const AcrossChainSolana = 34268394551451

func lifiChain(id uint64) string {
	if n, ok := lifiNonEVM[id]; ok {
		return n
	}
	return evmChains[id]
}

func acrossChain(id uint64) string {
	if id == AcrossChainSolana {
		return "solana"
	}
	return evmChains[id]
}

// wormholeChains names Wormhole chain ids (wormhole-foundation/wormhole,
// sdk/vaa/structs.go).
var wormholeChains = map[uint64]string{
	1:  "solana",
	2:  "ethereum",
	3:  "terra",
	4:  "bsc",
	5:  "polygon",
	6:  "avalanche",
	7:  "oasis",
	8:  "algorand",
	9:  "aurora",
	10: "fantom",
	11: "karura",
	12: "acala",
	13: "klaytn",
	14: "celo",
	15: "near",
	16: "moonbeam",
	18: "terra2",
	19: "injective",
	20: "osmosis",
	21: "sui",
	22: "aptos",
	23: "arbitrum",
	24: "optimism",
	25: "gnosis",
	26: "pythnet",
	28: "xpla",
	30: "base",
	32: "sei",
	34: "scroll",
	35: "mantle",
	36: "blast",
	38: "linea",
}

// wormholeEVM says which Wormhole chains use 20-byte EVM addresses.
var wormholeEVM = map[uint64]bool{
	2: true, 4: true, 5: true, 6: true, 7: true, 9: true, 10: true, 11: true,
	12: true, 13: true, 14: true, 16: true, 23: true, 24: true, 25: true,
	30: true, 34: true, 35: true, 36: true, 38: true,
}

// stargateV1Chains names LayerZero v1 chain ids, which Stargate v1 pools
// emit.
var stargateV1Chains = map[uint64]string{
	101: "ethereum",
	102: "bsc",
	106: "avalanche",
	109: "polygon",
	110: "arbitrum",
	111: "optimism",
	112: "fantom",
	151: "metis",
	177: "kava",
	181: "mantle",
	183: "linea",
	184: "base",
}

// stargateV2Chains names LayerZero v2 endpoint ids, which OFTSent emits.
var stargateV2Chains = map[uint64]string{
	30101: "ethereum",
	30102: "bsc",
	30106: "avalanche",
	30109: "polygon",
	30110: "arbitrum",
	30111: "optimism",
	30151: "metis",
	30168: "solana",
	30177: "kava",
	30181: "mantle",
	30183: "linea",
	30184: "base",
	30214: "scroll",
}
