package daemon_test

import (
	"bufio"
	"context"
	"math/big"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// On Redis, each block is one write: its tracer state, its alerts and its
// checkpoint in one script, whether it raised alerts or not. Every script
// the server runs is watched (MONITOR) while the daemon follows a block
// without alerts, a treasury outflow and another block without alerts.
func TestRedisOneWritePerBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and redis-server")
	}
	g := testnodes.StartGeth(t)
	r := testnodes.StartRedis(t)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	treasury, bystander := g.NewAccount(t, eth(100)), g.NewAccount(t, eth(10))

	d, _ := daemontest.Start(t, `
store: { backend: redis, url: `+r.URL+` }
chains:
  ethereum:
    network: dev
    rpc: `+g.WS+`
    confirmations: 64
    start_block: latest
    traces: "off"
    poll_interval: 100ms
`, func(ctx context.Context, d *daemon.Daemon) {
		if _, err := d.Registry.Add(ctx, watchlists.Entry{Chain: chains.Ethereum, Address: crypto.PubkeyToAddress(treasury.PublicKey).Hex(), Kind: watchlists.Treasury, Owner: "acme", Label: "acme"}); err != nil {
			t.Fatal(err)
		}
	})
	processed := func(n uint64) {
		testnodes.WaitFor(t, 30*time.Second, "block "+strconv.FormatUint(n, 10)+" processed", func() bool {
			return d.ChainStatus()[chains.Ethereum].Processed >= n
		})
	}
	head0 := g.BlockNumber(t)
	processed(head0)

	// MONITOR on a connection of its own: one "+…" line per command.
	conn, err := net.Dial("tcp", r.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var scripts [][]string // the keys of each script run
	seen := map[string]bool{}
	go func() {
		sc := bufio.NewScanner(conn)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			k, wid, ok := scriptKeys(sc.Text())
			if !ok {
				continue
			}
			mu.Lock()
			// An attempt sent again after a lost reply or a timeout
			// (decision 0020) carries the first one's write id: one
			// write, however loaded the machine.
			if wid == "" || !seen[wid] {
				scripts = append(scripts, k)
			}
			seen[wid] = true
			mu.Unlock()
		}
	}()
	time.Sleep(200 * time.Millisecond)

	to := func() common.Address {
		k, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		return crypto.PubkeyToAddress(k.PublicKey)
	}
	g.SendETH(t, bystander, to(), big.NewInt(1))
	g.SendETH(t, treasury, to(), eth(50))
	last := g.SendETH(t, bystander, to(), big.NewInt(1)).BlockNumber.Uint64()
	processed(last)
	testnodes.WaitFor(t, 10*time.Second, "the outflow alert", func() bool { return d.Alerts.Last() >= 1 })
	time.Sleep(300 * time.Millisecond)

	// geth --dev may seal an empty block of its own between or after the
	// three: every block processed since MONITOR started is counted.
	end := d.ChainStatus()[chains.Ethereum].Processed
	time.Sleep(300 * time.Millisecond)
	if now := d.ChainStatus()[chains.Ethereum].Processed; now != end {
		t.Fatalf("blocks still arriving (%d, then %d): geth sealed blocks of its own", end, now)
	}
	mu.Lock()
	defer mu.Unlock()
	blocks, withAlert := 0, 0
	for _, keys := range scripts {
		cp := slices.Contains(keys, "{ch}:cp:ethereum")
		if cp {
			blocks++
			if slices.Contains(keys, "{ch}:a:log") {
				withAlert++
			}
			continue
		}
		if slices.Contains(keys, "{ch}:t") || slices.Contains(keys, "{ch}:a:log") {
			t.Errorf("a write of a block without its checkpoint: keys %v", keys)
		}
	}
	if want := int(end - head0); end < last || blocks != want || withAlert != 1 {
		t.Errorf("%d blocks were %d writes with the checkpoint, %d of them with alerts; want %d and 1", want, blocks, withAlert, want)
	}
}

var quoted = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)

// scriptKeys returns the keys of a MONITOR line that runs a script, and
// the write's id where the script is a store write (ARGV: n guards, n
// pairs, the applied set's key index, the id; store/redis/apply.go).
func scriptKeys(line string) (keys []string, wid string, ok bool) {
	var args []string
	for _, m := range quoted.FindAllStringSubmatch(line, -1) {
		args = append(args, m[1])
	}
	if len(args) < 3 || (!strings.EqualFold(args[0], "evalsha") && !strings.EqualFold(args[0], "eval")) {
		return nil, "", false
	}
	n, err := strconv.Atoi(args[2])
	if err != nil || 3+n > len(args) {
		return nil, "", false
	}
	argv := args[3+n:]
	if len(argv) > 0 {
		if g, err := strconv.Atoi(argv[0]); err == nil && 2+2*g < len(argv) {
			wid = argv[2+2*g]
		}
	}
	return args[3 : 3+n], wid, true
}
