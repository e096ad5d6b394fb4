// Package tracer is chainhound's taint engine. It consumes the followers'
// block events, the declared incidents and the watchlists, and produces
// findings: where stolen value went, how much of it, and by what path.
//
// The rules are those of docs/taint.md. Two chain models are kept apart:
//
//   - account model (Ethereum): taint is an amount per (address, asset,
//     incident), beside the balance of that address the engine has seen;
//   - UTXO model (Bitcoin): taint is an amount per (outpoint, incident).
//
// Each incident is its own lane: its holdings, balances and FIFO queues are
// kept per incident, so an incident declared hours after the theft can
// replay the past blocks for itself alone (catch-up) while the live stream
// goes on for the others, and joins the live stream once it reaches it.
//
// Three policies, chosen per incident: haircut (default), poison and FIFO.
// Amounts are exact 256-bit integers: taint is never created, rounding
// remainders stay with the sender (account) or go to the fee (UTXO).
//
// Every change a block makes is recorded in that block's journal, keyed by
// the store key of what changed and holding its prior value, so a
// Disconnected event undoes the block exactly; the same records are the
// block's one write batch to the Store. Journals deeper than the chain's
// finality depth are pruned.
package tracer
