// Package demo plays a scripted theft in the shape of the 2025 Bybit case
// against the real daemon, on an embedded Ethereum chain and, where a btcd
// binary is found, on a Bitcoin regtest node: a watched treasury is
// drained, an incident opens on its own, the funds are split across many
// addresses, hop on and land at an exchange deposit address; every alert
// is printed as it arrives on the websocket.
package demo
