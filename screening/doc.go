// Package screening answers "is this address exposed to bad funds?"
// before a company pays it or an exchange credits it: its exposure to
// DPRK-attributed, sanctioned, stolen (open incidents' taint), mixer and
// bridge funds, direct (the address is listed, or holds an incident's
// taint) and indirect (funds reached it from a listed address within N
// hops over the transfer index), each as a category with its share,
// amount, hops and path, and a risk level from a configurable table
// (docs/decisions/0022-screening.md).
//
// A Screener depends on three small interfaces: the watchlist's Lookup
// (trusted entries only: a tenant's own entry never marks an address for
// others), the open incidents' holdings, and the transfer index
// (*tracer.IndexReader), whose address entries name the blocks to read:
// on Bitcoin the blocks whose outputs paid the address, where each input
// address pays its proportional part of an output, and the taint an
// incident holds by outpoint is mapped to the address those outpoints
// paid (bitcoin.go).
package screening
