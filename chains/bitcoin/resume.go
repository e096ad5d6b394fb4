package bitcoin

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/chainhound/chainhound/chains"
)

// Check asks the node what Run asks first: its chain against the
// network, and its transaction index.
func (f *Follower) Check(ctx context.Context) error { return f.checkNode(ctx) }

// checkNode refuses a node on another network and one without the
// transaction index that prevout resolution needs.
func (f *Follower) checkNode(ctx context.Context) error {
	var info chainInfo
	if err := f.node.callInto(ctx, &info, "getblockchaininfo"); err != nil {
		return err
	}
	if !slices.Contains(f.cfg.net.chainNames(), info.Chain) {
		return fatalf("node at %s is on chain %q but network is %q (expected chain %q): point rpc at a %s node or change network",
			f.cfg.host, info.Chain, f.cfg.net.Name, f.cfg.net.Chain, f.cfg.net.Name)
	}
	if info.Blocks < 0 {
		return fmt.Errorf("getblockchaininfo: %w: blocks %d", errBadAnswer, info.Blocks)
	}
	return f.checkTxIndex(ctx, uint64(info.Blocks))
}

const txIndexHelp = "enable the transaction index (bitcoind: -txindex=1, then restart; btcd: --txindex): resolving the value and address an input spends needs it"

// checkTxIndex asks getindexinfo (bitcoind 0.21+); a node without that
// method (btcd) is probed with getrawtransaction of block 1's coinbase,
// which only a transaction index can answer.
func (f *Follower) checkTxIndex(ctx context.Context, blocks uint64) error {
	res, err := f.node.call(ctx, "getindexinfo")
	if err == nil {
		var idx map[string]json.RawMessage
		if err := json.Unmarshal(res, &idx); err != nil {
			return fmt.Errorf("getindexinfo: %w: %v", errBadAnswer, err)
		}
		if _, ok := idx["txindex"]; !ok {
			return fatalf("node at %s has no transaction index: %s", f.cfg.host, txIndexHelp)
		}
		return nil
	}
	if code, ok := rpcCode(err); !ok || code != -32601 { // anything but "method not found"
		return err
	}
	if blocks < 1 {
		f.log.Warn("bitcoin node has no block yet: cannot check its transaction index", "rpc", f.cfg.host)
		return nil
	}
	b, err := f.fetchBlock(ctx, 1)
	if err != nil {
		return err
	}
	if _, err := f.node.rawTx(ctx, b.Txs[0].Hash); err != nil {
		if _, ok := rpcCode(err); ok {
			return fatalf("node at %s cannot look up transactions (%v): %s", f.cfg.host, err, txIndexHelp)
		}
		return err
	}
	return nil
}

// resume loads the checkpoint. If its block was orphaned while chainhound
// was down, it is disconnected (newest first) before anything else.
func (f *Follower) resume(ctx context.Context, h chains.Handler) error {
	cp, ok, err := f.cfg.Checkpoints.Checkpoint(ctx, chains.Bitcoin)
	if err != nil {
		return fatalf("load checkpoint: %w", err)
	}
	if !ok {
		f.log.Info("bitcoin follower starting without checkpoint", "start_block", f.cfg.StartBlock)
		return nil
	}
	if _, err := chainhash.NewHashFromStr(cp.Hash); err != nil {
		return fatalf("checkpoint %s: bad hash: %w", cp, err)
	}
	best, err := f.node.bestBlockHash(ctx)
	if err != nil {
		return err
	}
	bh, err := f.node.header(ctx, best)
	if err != nil {
		return err
	}
	f.head = uint64(bh.Height)
	ref := cp
	f.tip = &ref
	f.window = []chains.BlockRef{ref}
	depth := max(f.cfg.Confirmations, 1)
	if ref.Number+2 > depth {
		f.confirmNext = ref.Number + 2 - depth // confirmed before the checkpoint was saved
	}
	f.setStatus(func(s *chains.Status) { s.Head = f.head; s.Processed = ref.Number; s.LastBlockTime = ref.Time })
	f.log.Info("bitcoin follower resuming", "block", ref.Number, "hash", ref.Hash, "head", f.head)
	if err := f.unwind(ctx, h); err != nil {
		return err
	}
	return f.fillWindow(ctx, depth)
}

// fillWindow loads the references of the acknowledged blocks below the
// tip that Confirmed may still be emitted for.
func (f *Follower) fillWindow(ctx context.Context, depth uint64) error {
	for len(f.window) < int(min(depth, MaxReorgDepth)) && f.window[0].Number > 0 && f.window[0].Number > f.confirmNext {
		hash, err := chainhash.NewHashFromStr(f.window[0].Parent)
		if err != nil {
			return fatalf("block %s: bad parent hash: %w", f.window[0], err)
		}
		hd, err := f.node.header(ctx, *hash)
		if err != nil {
			return err
		}
		f.window = append([]chains.BlockRef{hd.ref()}, f.window...)
	}
	return nil
}
