package evmbridges

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strconv"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// Protocols are the watchlist protocols whose deposits this package reads.
var Protocols = []string{"lifi", "across", "wormhole", "stargate"}

// Recogniser names where a tainted bridge deposit goes: when taint reaches
// a trusted bridge entry of one of Protocols and the transaction carries
// that bridge's deposit event (emitted by a trusted bridge entry, or for
// Wormhole sent by one), its taint.bridge finding gets the event's
// destination (dest: chain, address, asset). The taint stays parked at the
// bridge: the payout on the other chain is not joined (yet).
type Recogniser struct {
	labels tracer.Labels
	log    *slog.Logger
}

// New returns the recogniser; labels tell the bridge contracts.
func New(labels tracer.Labels, log *slog.Logger) *Recogniser {
	if log == nil {
		log = slog.Default()
	}
	return &Recogniser{labels: labels, log: log.With("component", "evmbridges")}
}

// Name implements tracer.Recogniser.
func (r *Recogniser) Name() string { return "evmbridges" }

// KeepLogs are the topics the Ethereum follower must keep for it.
func KeepLogs() [][32]byte {
	out := make([][32]byte, 0, len(decoders))
	for t := range decoders {
		out = append(out, t)
	}
	return out
}

func (r *Recogniser) isBridge(addr string) bool {
	if r.labels == nil || addr == "" {
		return false
	}
	for _, e := range r.labels.Lookup(chains.Ethereum, addr) {
		if e.Trusted() && e.Kind == watchlists.Bridge {
			for _, p := range Protocols {
				if e.Protocol == p {
					return true
				}
			}
		}
	}
	return false
}

// Recognise implements tracer.Recogniser.
func (r *Recogniser) Recognise(_ context.Context, _ tracer.State, b *chains.Block, tx *chains.Tx, deps []tracer.Deposit) ([]tracer.Move, error) {
	if b.Chain != chains.Ethereum || len(deps) == 0 || len(tx.Logs) == 0 {
		return nil, nil
	}
	var at []int
	for i := range deps {
		if deps[i].Dest == nil && r.isBridge(deps[i].Service) {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return nil, nil
	}
	var best Transfer
	found := false
	for _, l := range tx.Logs {
		if len(l.Topics) == 0 {
			continue
		}
		if _, known := decoders[l.Topics[0]]; !known {
			continue
		}
		// The event must come from a bridge the watchlist trusts: its
		// emitter, or for Wormhole's core contract the sender (topic 1).
		from := l.Address
		if l.Topics[0] == LogMessagePublishedTopic && len(l.Topics) > 1 {
			from = "0x" + hex.EncodeToString(l.Topics[1][12:])
		}
		if !r.isBridge(from) {
			continue
		}
		t, ok, err := Decode(l)
		if err != nil {
			r.log.Warn("bridge event not understood", "tx", tx.Hash, "contract", l.Address, "err", err)
			continue
		}
		// A later event naming the recipient (LI.FI's BridgeToNonEVMChain
		// beside its LiFiTransferStarted) says more.
		if ok && (!found || best.DestAddress == "" && t.DestAddress != "") {
			if found && best.DestChain != "" && t.DestChain == "" {
				t.DestChain = best.DestChain
			}
			best, found = t, true
		}
	}
	if !found {
		return nil, nil
	}
	chain := best.DestChain
	if chain == "" && best.DestChainID != 0 {
		chain = best.Bridge + ":" + strconv.FormatUint(best.DestChainID, 10) // the bridge's own id for an unknown chain
	}
	for _, i := range at {
		deps[i].Dest = &tracer.Dest{Chain: chain, Address: best.DestAddress, Asset: best.Asset}
	}
	return nil, nil
}
