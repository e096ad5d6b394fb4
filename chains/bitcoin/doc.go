// Package bitcoin follows a Bitcoin node (bitcoind or btcd) over JSON-RPC
// and emits its blocks as chain-neutral chains.Events.
//
// One path serves both node kinds: the follower polls getbestblockhash,
// fetches raw blocks with `getblock <hash> 0` through btcd's rpcclient in
// HTTP POST mode, and parses them in place (rawtx.go: exactly the
// serializations wire/v2 accepts). Every block is checked against the
// hash it was asked for and its merkle root before it is delivered, so a
// truncated or corrupted answer is an error, never a silently skipped
// block.
//
// Outputs carry their value, script class and script, and an address
// (P2PKH, P2SH, P2WPKH, P2WSH, P2TR, P2A encoded for the configured
// network; bare multisig, P2PK and non-standard scripts as
// "script:<sha256 hex>"; OP_RETURN as "op_return:<hex>" with its data).
// Inputs carry the outpoint they spend, their scriptSig and witness and,
// when those reveal it (P2PKH, P2SH and wrapped segwit, P2WPKH, P2WSH;
// never taproot), the address of the output spent, unresolved. A decoded
// block encodes addresses only when asked (chains.Block.OutputAddress,
// InputAddress, DeriveAddresses). Value and address of what an input spends
// are resolved on demand through Prevouts, which needs the node's
// transaction index.
//
// Order follows docs/architecture.md "Follower order": Connected parent-first; on a
// branch switch, found by parent hash against a window of the last 144
// blocks, Disconnected newest first and then Connected; the checkpoint is
// saved only after the handler acknowledged a block, and on restart its
// hash is checked against the node so a block orphaned while chainhound
// was down is disconnected first.
//
// The follower is a chains.Backend; OpenReader opens one that only reads
// (blocks, transactions' blocks, prevouts) without a checkpoint store.
package bitcoin
