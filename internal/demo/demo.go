package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/ethereum/go-ethereum/common"
	"github.com/gorilla/websocket"
)

// Options tune a demo run.
type Options struct {
	Out    io.Writer    // the story and the alerts
	Logger *slog.Logger // the daemon's log (default: discarded)
	// Listen is the API address (default 127.0.0.1:0, a free port).
	Listen string
	// DataDir is the daemon's data directory (default: a new temporary one,
	// removed at the end).
	DataDir string
	// Wait keeps the daemon and the chain up after the script, until ctx
	// is done, so the API can be queried.
	Wait bool
	// Splits is how many addresses the loot is split across (default 20).
	Splits int
	// BtcdPath is the btcd binary for the Bitcoin part (default: btcd on
	// PATH, else the one the tests build into the test-node cache). With
	// none found the Bitcoin part is skipped, saying so.
	BtcdPath string
}

// Expected lists the alerts the Ethereum part of a run must raise, in
// order of first arrival; ExpectedBitcoin those of the Bitcoin part.
var Expected = []string{alerts.TypeTreasuryOutflow, alerts.TypeTreasuryDrain, alerts.TypeExchangeDeposit}

// Result is what a run saw.
type Result struct {
	Alerts   []alerts.Alert
	API      string
	Console  string // the web console's address (API + "/")
	AdminKey string
	// The script's facts, for checking the alerts against.
	Treasury, Thief, Deposit common.Address
	Drained, Deposited       *big.Int
	DepositTx                string
	// Bitcoin holds the Bitcoin script's facts; nil when it was skipped,
	// and BitcoinSkipped says why.
	Bitcoin        *BitcoinFacts
	BitcoinSkipped string
}

func ether(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }

// Run plays the script. It returns when the script is done (or, with
// Wait, when ctx is done).
func Run(ctx context.Context, opts Options) (*Result, error) {
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.Splits <= 0 {
		opts.Splits = 20
	}
	if opts.DataDir == "" {
		dir, err := os.MkdirTemp("", "chainhound-demo-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		opts.DataDir = dir
	}
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	// The cast: a company's treasury, the thief, the split wallets, a peel
	// chain, and an exchange deposit address.
	treasury := NewAccount("treasury")
	thief := NewAccount("thief")
	splits := make([]Account, opts.Splits)
	for i := range splits {
		splits[i] = NewAccount(fmt.Sprintf("split-%02d", i+1))
	}
	peel := make([]Account, 4)
	for i := range peel {
		peel[i] = NewAccount(fmt.Sprintf("peel-%d", i+1))
	}
	deposit := NewAccount("exchange-deposit")

	say("== chainhound demo: a treasury drain followed to an exchange ==")
	chain, err := StartChain(map[common.Address]*big.Int{treasury.Addr: ether(10_000)})
	if err != nil {
		return nil, fmt.Errorf("start chain: %w", err)
	}
	defer chain.Close()
	say("embedded Ethereum chain (go-ethereum simulated backend) at %s", chain.WS)

	// The Bitcoin half, where a btcd can be found: a regtest node mining
	// to ACME's BTC treasury until it has a spendable coin.
	btc, skipped, err := startBitcoin(ctx, opts)
	if err != nil {
		return nil, err
	}
	if btc != nil {
		defer btc.node.Close()
		say("btcd regtest node at %s; %d blocks mined to ACME's BTC treasury", btc.node.RPC, btcMatured)
	} else {
		say("%s", skipped)
	}

	cfg := config.Default()
	cfg.DataDir = opts.DataDir
	cfg.API.Listen = opts.Listen
	cfg.Chains.Ethereum = &config.Ethereum{Network: "dev", RPC: chain.WS, Confirmations: 3,
		StartBlock: config.StartBlock{Latest: true}, Traces: "off", PollInterval: 200 * time.Millisecond}
	cfg.Tracer.DustAmounts = map[string]*big.Int{"ethereum": big.NewInt(1e15)}
	cfg.Tracer.Drain.Amounts = map[string]*big.Int{"ethereum": ether(1_000)}
	cfg.Tracer.AutoIncident = true
	if btc != nil {
		cfg.Chains.Bitcoin = &config.Bitcoin{Network: "regtest", RPC: btc.node.RPC, RPCUser: btc.node.User,
			RPCPassword: btc.node.Pass, Confirmations: 1, StartBlock: config.StartBlock{Latest: true},
			PollInterval: 200 * time.Millisecond}
		cfg.Tracer.DustAmounts["bitcoin"] = big.NewInt(10_000)
		cfg.Tracer.Drain.Amounts["bitcoin"] = big.NewInt(10e8)
	}

	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("api listen %s: %w", opts.Listen, err)
	}
	d, err := daemon.Open(ctx, cfg, daemon.Options{Logger: opts.Logger, Listener: ln})
	if err != nil {
		return nil, fmt.Errorf("open daemon: %w", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(runCtx) }()
	defer func() { stop(); <-runErr }()
	base := "http://" + d.Addr()
	say("chainhound daemon at %s (data in %s)", base, opts.DataDir)

	// An admin key, made on the store as `chainhound keys create` does.
	secret, key, err := apikey.New(apikey.RoleAdmin, "demo", time.Now())
	if err != nil {
		return nil, err
	}
	if err := d.Store.CreateKey(ctx, key); err != nil {
		return nil, err
	}
	say("web console: %s/ (open it in a browser and sign in with the admin key %s)", base, secret)
	if _, err := d.Registry.Add(ctx,
		watchlists.Entry{Chain: chains.Ethereum, Address: strings.ToLower(treasury.Addr.Hex()), Kind: watchlists.Treasury, Owner: "acme", Label: "ACME cold wallet", Source: "demo"},
		watchlists.Entry{Chain: chains.Ethereum, Address: strings.ToLower(deposit.Addr.Hex()), Kind: watchlists.Exchange, Owner: "exchange", Label: "Demo Exchange deposit", Source: "demo"},
	); err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}
	say("watchlist: %s is ACME's treasury (10,000 ETH); %s is a Demo Exchange deposit address", treasury.Addr.Hex(), deposit.Addr.Hex())
	if btc != nil {
		if _, err := d.Registry.Add(ctx,
			watchlists.Entry{Chain: chains.Bitcoin, Address: btc.treasury.Addr.EncodeAddress(), Kind: watchlists.Treasury, Owner: "acme", Label: "ACME BTC cold wallet", Source: "demo"},
			watchlists.Entry{Chain: chains.Bitcoin, Address: btc.deposit.Addr.EncodeAddress(), Kind: watchlists.Exchange, Owner: "exchange", Label: "Demo Exchange BTC deposit", Source: "demo"},
		); err != nil {
			return nil, fmt.Errorf("watchlist: %w", err)
		}
		say("watchlist: %s is ACME's BTC treasury; %s is a Demo Exchange BTC deposit address", btc.treasury.Addr.EncodeAddress(), btc.deposit.Addr.EncodeAddress())
	}

	// Subscribe before anything happens.
	hdr := http.Header{"Authorization": {"Bearer " + secret}}
	wsURL := "ws://" + d.Addr() + "/v1/alerts/ws?since=0"
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, hdr)
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", wsURL, err)
	}
	defer conn.Close()
	got := make(chan alerts.Alert, 256)
	go func() {
		defer close(got)
		for {
			var a alerts.Alert
			if err := conn.ReadJSON(&a); err != nil {
				return
			}
			got <- a
		}
	}()
	say("subscribed to %s", wsURL)

	if err := waitFollowing(ctx, d); err != nil {
		return nil, err
	}
	res := &Result{API: base, Console: base + "/", AdminKey: secret, Treasury: treasury.Addr, Thief: thief.Addr, Deposit: deposit.Addr, Drained: ether(9_000), BitcoinSkipped: skipped}
	p := &player{out: out, got: got, res: res, seen: map[string]bool{}}
	await := func(want string, timeout time.Duration) error { return p.await(ctx, "ethereum", want, timeout) }
	mine := func(step string) error {
		n, err := chain.Mine(ctx)
		if err != nil {
			return err
		}
		say("\n-- ethereum block %d: %s", n, step)
		return nil
	}

	// 1. The drain.
	if _, err := chain.Send(ctx, treasury, thief.Addr, ether(9_000)); err != nil {
		return nil, err
	}
	if err := mine("the thief drains 9,000 ETH from ACME's treasury"); err != nil {
		return nil, err
	}
	if err := await(alerts.TypeTreasuryDrain, 20*time.Second); err != nil {
		return nil, err
	}

	// 2. The split, as Bybit's thief spread the loot over dozens of wallets.
	each := new(big.Int).Div(ether(8_800), big.NewInt(int64(len(splits))))
	for _, s := range splits {
		if _, err := chain.Send(ctx, thief, s.Addr, each); err != nil {
			return nil, err
		}
	}
	if err := mine(fmt.Sprintf("the thief splits 8,800 ETH across %d wallets (%s ETH each)", len(splits), formatUnits(each, 18))); err != nil {
		return nil, err
	}

	// 3. A peel chain: each hop passes most on and peels a little off.
	from := splits[0]
	fee, err := chain.FeeFor(ctx)
	if err != nil {
		return nil, err
	}
	for i, p := range peel {
		bal, err := chain.Balance(ctx, from.Addr)
		if err != nil {
			return nil, err
		}
		peelOff := ether(5)
		pass := new(big.Int).Sub(bal, peelOff)
		pass.Sub(pass, new(big.Int).Mul(fee, big.NewInt(2)))
		if _, err := chain.Send(ctx, from, p.Addr, pass); err != nil {
			return nil, err
		}
		if _, err := chain.Send(ctx, from, NewAccount("peeled").Addr, peelOff); err != nil {
			return nil, err
		}
		if err := mine(fmt.Sprintf("peel hop %d: %s passes %s ETH to %s and peels 5 ETH off", i+1, from.Name, formatUnits(pass, 18), p.Name)); err != nil {
			return nil, err
		}
		from = p
	}

	// 4. The deposit at the exchange: the window to freeze opens now.
	bal, err := chain.Balance(ctx, from.Addr)
	if err != nil {
		return nil, err
	}
	amount := new(big.Int).Sub(bal, fee)
	h, err := chain.Send(ctx, from, deposit.Addr, amount)
	if err != nil {
		return nil, err
	}
	res.Deposited, res.DepositTx = amount, h.Hex()
	if err := mine(fmt.Sprintf("%s deposits %s ETH at the exchange", from.Name, formatUnits(amount, 18))); err != nil {
		return nil, err
	}
	if err := await(alerts.TypeExchangeDeposit, 20*time.Second); err != nil {
		return nil, err
	}

	// The Bitcoin script, the same story on the UTXO model.
	if btc != nil {
		if err := p.playBitcoin(ctx, btc); err != nil {
			return nil, err
		}
	}

	say("\n== done: %d alerts; the exchange was told within one block of each deposit ==", len(res.Alerts))
	if opts.Wait {
		say("the API stays up at %s until Ctrl-C; admin key: %s", base, secret)
		say("  web console: %s/ (sign in with the admin key)", base)
		say("  curl -H 'Authorization: Bearer %s' %s/v1/incidents", secret, base)
		say("  chainhound alerts tail --api %s --api-key %s", base, secret)
		go func() {
			for a := range got {
				printAlert(out, a)
			}
		}()
		<-ctx.Done()
	}
	return res, nil
}

// player prints alerts as they arrive and keeps them in the result.
type player struct {
	out  io.Writer
	got  <-chan alerts.Alert
	res  *Result
	seen map[string]bool // chain + " " + type
}

func (p *player) say(format string, args ...any) { fmt.Fprintf(p.out, format+"\n", args...) }

// await prints alerts as they come until one of type want on chain arrives.
func (p *player) await(ctx context.Context, chain, want string, timeout time.Duration) error {
	deadline := time.After(timeout)
	for !p.seen[chain+" "+want] {
		select {
		case a, ok := <-p.got:
			if !ok {
				return errors.New("websocket closed")
			}
			p.res.Alerts = append(p.res.Alerts, a)
			p.seen[a.Chain+" "+a.Type] = true
			printAlert(p.out, a)
		case <-deadline:
			return fmt.Errorf("no %s alert on %s within %s", want, chain, timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// waitFollowing waits until every follower has processed its chain's head.
func waitFollowing(ctx context.Context, d *daemon.Daemon) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		all := true
		for _, st := range d.ChainStatus() {
			all = all && st.Connected && st.Processed >= st.Head
		}
		if all && len(d.ChainStatus()) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("the followers did not reach their chains' heads within 20s: %+v", d.ChainStatus())
}

func printAlert(w io.Writer, a alerts.Alert) {
	block := ""
	if a.Block != nil {
		block = fmt.Sprintf("block %d ", a.Block.Number)
	}
	switch {
	case a.Confirms != nil:
		blocks := "blocks"
		if a.Confirmations == 1 {
			blocks = "block"
		}
		fmt.Fprintf(w, "   ALERT #%d %-8s %-24s alert #%d is %d %s deep\n", a.Seq, "", a.Type, *a.Confirms, a.Confirmations, blocks)
		return
	case a.Retracts != nil:
		fmt.Fprintf(w, "   ALERT #%d %-8s %-24s alert #%d came from an orphaned block\n", a.Seq, "", a.Type, *a.Retracts)
		return
	}
	fmt.Fprintf(w, "   ALERT #%d %-8s %-24s %s %s%s\n", a.Seq, strings.ToUpper(a.Severity), a.Type, a.Chain, block, short(a.Tx))
	sym := "ETH"
	dec := 18
	if a.Asset != nil {
		sym, dec = a.Asset.Symbol, int(a.Asset.Decimals)
	}
	amt, _ := new(big.Int).SetString(a.Amount, 10)
	line := fmt.Sprintf("         %s → %s: %s %s", short(a.From), short(a.To), formatUnits(amt, dec), sym)
	if t, ok := new(big.Int).SetString(a.Tainted, 10); ok && t.Sign() > 0 {
		line += fmt.Sprintf(", tainted %s %s (%.1f%% of the theft)", formatUnits(t, dec), sym, a.Share*100)
	}
	if a.Label != nil {
		line += fmt.Sprintf(" [%s: %s, owner %s]", a.Label.Kind, a.Label.Name, a.Label.Owner)
	}
	if a.Incident != "" {
		line += " incident " + a.Incident
	}
	fmt.Fprintln(w, line)
	if len(a.Path) > 0 {
		var hops []string
		for _, h := range a.Path {
			v, _ := new(big.Int).SetString(h.Amount, 10)
			hops = append(hops, fmt.Sprintf("%s →(%s) %s", short(h.From), formatUnits(v, dec), short(h.To)))
		}
		fmt.Fprintf(w, "         path (%d hops): %s\n", a.Hops, strings.Join(hops, " ; "))
	}
}

func short(s string) string {
	if len(s) > 14 {
		return s[:8] + "…" + s[len(s)-4:]
	}
	return s
}

// formatUnits prints an integer amount with dec decimals, exactly.
func formatUnits(v *big.Int, dec int) string { return tracer.FormatUnits(v, uint8(dec)) }
