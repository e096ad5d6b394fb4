package watchlists

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/chainhound/chainhound/chains"
)

// THORChain's vaults rotate (a churn every few days), and its routers now
// and then: the current ones are what THORNode's
// /thorchain/inbound_addresses answers, an array of
//
//	{"chain": "BTC", "pub_key": "thorpub…", "address": "bc1q…",
//	 "router": "", "halted": false, "gas_rate": "…", …}
//
// (an "ETH" element names the router too). `watch import FILE --format
// thorchain-inbound` makes each vault on a chain chainhound follows, and
// each router, a bridge entry of protocol thorchain, so that a swap paid
// into the current vault is recognised (tracer/bridges/thorchain).
// Elements of other chains are counted as skipped.

// thorchainInbound is the part of an inbound_addresses element read.
type thorchainInbound struct {
	Chain   string `json:"chain"`
	Address string `json:"address"`
	Router  string `json:"router"`
	Halted  bool   `json:"halted"`
}

// THORChainProtocol is the protocol of THORChain's entries (the thorchain
// recogniser's name).
const THORChainProtocol = "thorchain"

func readTHORChainInbound(r *bufio.Reader, c *collector) error {
	w := &jsonWindow{r: r, line: 1, max: c.lim.Line}
	w.err = func() error { return c.limitErr(LimitLine, "a JSON value", w.lineAt(w.skipSpace(w.base))) }
	dec := json.NewDecoder(w)
	fail := func(err error) error {
		var le *LimitError
		if errors.As(err, &le) {
			return err
		}
		return fmt.Errorf("line %d: %w", w.lineAt(dec.InputOffset()), err)
	}
	w.advance(dec.InputOffset())
	tok, err := dec.Token()
	if err != nil {
		return fail(err)
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("line %d: want the array THORNode's /thorchain/inbound_addresses answers", w.lineAt(dec.InputOffset()))
	}
	for {
		w.advance(dec.InputOffset())
		if !dec.More() {
			break
		}
		start := w.skipSpace(dec.InputOffset())
		var in thorchainInbound
		if err := dec.Decode(&in); err != nil {
			return fail(err)
		}
		line := w.lineAt(start)
		if !c.next(line) {
			return c.err
		}
		for _, f := range [...]struct{ name, v string }{{"chain", in.Chain}, {"address", in.Address}, {"router", in.Router}} {
			if !c.field(line, f.name, f.v) {
				return c.err
			}
		}
		var chain chains.Chain
		switch strings.ToUpper(in.Chain) {
		case "BTC":
			chain = chains.Bitcoin
		case "ETH":
			chain = chains.Ethereum
		default:
			c.skip(strings.ToUpper(in.Chain))
			continue
		}
		if in.Address == "" {
			c.bad(line, "address: missing for chain %s", in.Chain)
			continue
		}
		note := ""
		if in.Halted {
			note = "the chain was halted on THORChain when listed"
		}
		c.row(line, Entry{Chain: chain, Address: in.Address, Kind: Bridge, Protocol: THORChainProtocol,
			Label: "THORChain vault (" + strings.ToUpper(in.Chain) + ")", Note: note})
		if in.Router != "" {
			c.row(line, Entry{Chain: chain, Address: in.Router, Kind: Bridge, Protocol: THORChainProtocol,
				Label: "THORChain router", Note: note})
		}
	}
	if _, err := dec.Token(); err != nil {
		return fail(err)
	}
	return nil
}
