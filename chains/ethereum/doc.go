// Package ethereum follows an Ethereum execution node (geth, erigon, any
// client with the standard JSON-RPC) and turns each block into exact,
// chain-neutral transfers (package chains).
//
// Per transaction, in this order (chains.Transfer.Seq): the native value of
// the top-level call; then, in execution order, internal ETH transfers
// (value-bearing CALL/CREATE/CREATE2/SELFDESTRUCT frames below the top level
// from debug_traceBlockByHash with the callTracer, when traces are enabled)
// and ERC-20 Transfer, ERC-721 Transfer and WETH Deposit/Withdrawal logs;
// last the fee (gasUsed × effectiveGasPrice, plus blob gas) from the sender
// to chains.FeeSink. A failed transaction (receipt status 0) moves no value
// but pays its fee. With traces on, logs and internal calls interleave in
// exact execution order (callTracer withLog positions); without, logs keep
// block order and there are no internal transfers.
//
// Tokens are identified by contract; Symbol and Decimals are filled only for
// a few well-known mainnet tokens, else Symbol is "" and Decimals 0
// (unknown: the follower never makes an extra call per token).
//
// Order and reorgs follow docs/architecture.md "Follower order": the follower keeps the
// last 256 delivered blocks; when the node's chain no longer contains its
// tip it walks back by parent hash to the common ancestor, emits
// Disconnected for each orphaned block newest first, then Connected for the
// new branch. The checkpoint is saved only after the handler returns nil.
//
// Connections: ws:// and wss:// subscribe to newHeads (resubscribing with
// backoff, polling while the subscription is down); http:// and https://
// poll eth_blockNumber.
//
// The follower is a chains.Backend; OpenReader opens one that only reads
// (blocks, transactions' blocks, balances) without a checkpoint store.
package ethereum
