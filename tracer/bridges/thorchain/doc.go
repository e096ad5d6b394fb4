// Package thorchain decodes what chainhound needs to follow funds through
// THORChain cross-chain swaps (issue 14; docs/bridges.md): the
// memos that carry a swap's intent, the Ethereum router's Deposit and
// TransferOut events, and the OP_RETURN memo of a Bitcoin inbound.
//
// THORChain moves value in two legs on two chains. The inbound leg is a
// deposit to a vault: on Ethereum a call to the router, which emits
// Deposit(to = vault, asset, amount, memo); on Bitcoin a payment to the
// vault address with the memo in an OP_RETURN output. The memo names the
// destination, e.g. "=:b:bc1q…:0/1/0:dx:30" (swap to BTC.BTC, paid to
// bc1q…). The outbound leg is the vault's payout on the destination
// chain; its memo is "OUT:<inbound tx id>" ("REFUND:<inbound tx id>"
// when the swap failed), on Ethereum in the router's TransferOut event,
// on Bitcoin in the payout's OP_RETURN.
//
// The inbound transaction id is therefore the join key between the two
// legs. THORChain writes tx ids as upper-case hex without "0x";
// NormaliseTxID maps an Ethereum hash or a Bitcoin txid to that form, and
// Memo.InboundTx is already normalised, so a later recogniser can key a
// tainted deposit by NormaliseTxID(its tx hash) and, when a payout's memo
// says OUT: with that key, move the taint to the payout's recipient on
// the destination chain (the memo's DestChain / DestAddress say where to
// expect it).
//
// Recogniser (recogniser.go) does that join on the tracer's engine: a
// tainted inbound at a trusted thorchain bridge entry names its
// destination on its taint.bridge finding and waits under its inbound id
// (in the recogniser's state on its chain); the payout, on whichever chain
// and whichever is applied first, completes the join and moves the taint
// to the output or address paid. The package knows no mainnet addresses
// (routers and vaults rotate; the watchlist says which to trust, see
// data/labels/curated/thorchain_routers.csv).
//
// The memo grammar follows THORNode's parser (x/thorchain/memo and
// common/asset.go). The copy read was LZeroAnalytics/thornode, a fork of
// gitlab.com/thorchain/thornode, at commit
// a0d762ef6d129bf4599eeefb97f75cd0c24d774a (2025-07-18, THORNode v3).
// Where this parser differs from THORNode it says so at the function.
package thorchain
