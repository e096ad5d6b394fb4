// Package evmbridges decodes the deposit-side events of EVM bridges that
// name where the funds go (issue 14, item 5): LI.FI's diamond, Across's
// SpokePool, Wormhole's Core contract (token-bridge transfers) and
// Stargate (v1 pools, v2 OFT). Each decoder turns one chains.Log into a
// Transfer: the bridge, the destination chain (chainhound's name where one
// exists, else the bridge's own name for it, lower case), the bridge's own
// id for that chain, and — where the event says so — the recipient, the
// asset and the amount.
//
// This package only decodes: it keeps no state, knows no mainnet
// addresses and wires no recogniser. A topic0 says which event a log
// claims to be, not who emitted it: LogMessagePublished is emitted by the
// Wormhole Core contract for every sender, OFTSent by every LayerZero
// OFT, not only Stargate's. The caller decides which emitters to trust
// (the shipped labels, watchlists/labels/bridge.csv, name the mainnet
// contracts) and, for Wormhole, which senders (topic 1) are a token
// bridge.
//
// What each event gives:
//
//   - LI.FI LiFiTransferStarted(BridgeData): destination chain id,
//     receiver, sending asset, minAmount, and the underlying bridge
//     (Transfer.Via). A non-EVM destination (Bitcoin, Solana, …) has the
//     placeholder receiver 0x11f1…11f1; its real receiver is in a
//     BridgeToNonEVMChain event of the same transaction (decoded here,
//     without amount or asset) or only in the underlying bridge's data.
//   - Across V3FundsDeposited and FundsDeposited: destination chain id,
//     recipient, output token and output amount (what the recipient is
//     paid on the destination chain).
//   - Wormhole LogMessagePublished whose payload is a token transfer
//     (payload 1, or 3 with a payload): the Wormhole chain id and 32-byte
//     address of the recipient, the token's origin chain and address and
//     the amount, which Wormhole normalises to at most 8 decimals. Other
//     messages are not transfers (Decode says false).
//   - Stargate v1 pool Swap: the LayerZero v1 chain id and the amount in
//     the pool's shared decimals; the event has no recipient (it travels
//     in the LayerZero packet). Stargate v2 OFTSent: the LayerZero v2
//     endpoint id and the amount received; it has no recipient either.
//
// Chain id tables: LI.FI and Across use EVM chain ids plus their own ids
// for non-EVM chains (LI.FI's LiFiData.sol: bitcoin 20000000000001,
// solana 1151111081099710, …); Wormhole its chain ids (1 solana,
// 2 ethereum, …); Stargate v1 LayerZero v1 ids (101 ethereum, …), v2
// endpoint ids (30101 ethereum, …). An id outside the tables decodes with
// an empty DestChain and its DestChainID.
package evmbridges
