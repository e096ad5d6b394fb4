package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/alerts"
)

// ExpectedBitcoin lists the alerts the Bitcoin part of a run must raise,
// in order of first arrival.
var ExpectedBitcoin = []string{alerts.TypeTreasuryOutflow, alerts.TypeTreasuryDrain, alerts.TypeExchangeDeposit}

// BitcoinFacts are the Bitcoin script's facts, for checking the alerts
// against. Addresses are as the node encodes them (bech32, lowercase).
type BitcoinFacts struct {
	Treasury, Thief, Deposit string
	Drained, Deposited       int64 // satoshi
	DepositTx                string
}

const (
	btcFee     = 10_000 // satoshi, every transaction of the script
	btcDrain   = 25e8   // what the thief takes
	btcSplits  = 3
	btcMatured = 101 // blocks mined before the daemon starts: block 1's coinbase is spendable
)

// btcCast is the Bitcoin half's node and keys.
type btcCast struct {
	node                          *BitcoinNode
	treasury, thief, hop, deposit BitcoinKey
	splits                        []BitcoinKey
}

// startBitcoin finds btcd and starts it mining to a fresh treasury key
// until the treasury has a mature coin. It returns nil and why when the
// Bitcoin part is skipped; an error only when an explicitly named btcd
// fails.
func startBitcoin(ctx context.Context, opts Options) (*btcCast, string, error) {
	bin, looked := FindBtcd(opts.BtcdPath)
	if bin == "" {
		return nil, fmt.Sprintf("bitcoin: skipped, no btcd found (looked at %s); to include it: %s", looked, BtcdInstallHint), nil
	}
	params := btcParams()
	c := &btcCast{
		treasury: NewBitcoinKey("treasury", params),
		thief:    NewBitcoinKey("thief", params),
		hop:      NewBitcoinKey("hop", params),
		deposit:  NewBitcoinKey("exchange-deposit", params),
	}
	for i := 0; i < btcSplits; i++ {
		c.splits = append(c.splits, NewBitcoinKey(fmt.Sprintf("split-%d", i+1), params))
	}
	n, err := StartBitcoin(ctx, bin, c.treasury.Addr)
	if err == nil {
		if _, err = n.Mine(btcMatured); err != nil {
			n.Close()
		}
	}
	if err != nil {
		if opts.BtcdPath != "" || ctx.Err() != nil {
			return nil, "", fmt.Errorf("bitcoin: %w", err)
		}
		return nil, fmt.Sprintf("bitcoin: skipped, %s did not start (%v); to use another: %s", bin, err, BtcdInstallHint), nil
	}
	c.node = n
	return c, "", nil
}

// playBitcoin is the Bitcoin script: a drain of the treasury, a split, a
// hop and a deposit at the exchange, one block per step.
func (p *player) playBitcoin(ctx context.Context, c *btcCast) error {
	n := c.node
	f := &BitcoinFacts{Treasury: c.treasury.Addr.EncodeAddress(), Thief: c.thief.Addr.EncodeAddress(),
		Deposit: c.deposit.Addr.EncodeAddress(), Drained: btcDrain}
	p.res.Bitcoin = f
	mine := func(step string) error {
		h, err := n.Mine(1)
		if err != nil {
			return err
		}
		p.say("\n-- bitcoin block %d: %s", h, step)
		return nil
	}
	btc := func(sat int64) string { return formatSats(sat) + " BTC" }

	// 1. The drain: one of the treasury's coins pays the thief, the change
	// goes back to the treasury.
	coin, err := n.CoinbaseCoin(1, c.treasury)
	if err != nil {
		return err
	}
	drain, err := n.Pay([]Coin{coin},
		wire.NewTxOut(btcDrain, c.thief.Script),
		wire.NewTxOut(coin.Value-btcDrain-btcFee, c.treasury.Script))
	if err != nil {
		return fmt.Errorf("bitcoin drain: %w", err)
	}
	if err := mine(fmt.Sprintf("the thief takes %s from ACME's BTC treasury (change back to it)", btc(btcDrain))); err != nil {
		return err
	}
	if err := p.await(ctx, "bitcoin", alerts.TypeTreasuryDrain, 20*time.Second); err != nil {
		return err
	}

	// 2. The split.
	loot := Out(drain, 0, c.thief)
	each := (loot.Value - btcFee) / int64(len(c.splits))
	var outs []*wire.TxOut
	for _, s := range c.splits {
		outs = append(outs, wire.NewTxOut(each, s.Script))
	}
	split, err := n.Pay([]Coin{loot}, outs...)
	if err != nil {
		return fmt.Errorf("bitcoin split: %w", err)
	}
	if err := mine(fmt.Sprintf("the thief splits the loot across %d wallets (%s each)", len(c.splits), btc(each))); err != nil {
		return err
	}

	// 3. A hop.
	from := Out(split, 0, c.splits[0])
	hop, err := n.Pay([]Coin{from}, wire.NewTxOut(from.Value-btcFee, c.hop.Script))
	if err != nil {
		return fmt.Errorf("bitcoin hop: %w", err)
	}
	if err := mine(fmt.Sprintf("%s passes %s to a fresh wallet", from.Owner.Name, btc(from.Value-btcFee))); err != nil {
		return err
	}

	// 4. The deposit at the exchange.
	from = Out(hop, 0, c.hop)
	dep, err := n.Pay([]Coin{from}, wire.NewTxOut(from.Value-btcFee, c.deposit.Script))
	if err != nil {
		return fmt.Errorf("bitcoin deposit: %w", err)
	}
	f.Deposited, f.DepositTx = from.Value-btcFee, dep.TxHash().String()
	if err := mine(fmt.Sprintf("the hop wallet deposits %s at the exchange", btc(f.Deposited))); err != nil {
		return err
	}
	return p.await(ctx, "bitcoin", alerts.TypeExchangeDeposit, 20*time.Second)
}
