package main

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// screen offline on --data-dir: a payroll CSV in (the address column
// found by its header), the same CSV out with each payee's risk, the
// exposure and the path; a bad address names the file, line and column.
func TestScreenPayrollOffline(t *testing.T) {
	dir := t.TempDir()
	st, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := func(n int) string { return fmt.Sprintf("0x%040x", n) }
	dprk, mid, alice, bob, carol := a(0xd1), a(0xa0), a(0xa1), a(0xb0b), a(0xc0)
	pays := [][3]any{{dprk, alice, 5}, {dprk, mid, 10}, {mid, bob, 4}, {a(0xf0), carol, 2}}
	var puts []tracer.KV
	for i, p := range pays {
		h := uint64(i + 1)
		b := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: h, Hash: fmt.Sprintf("0x%064x", h)}}
		tr := chains.Transfer{Kind: chains.Native, LogIndex: -1, From: p[0].(string), To: p[1].(string), Asset: chains.ETH, Amount: big.NewInt(int64(p[2].(int)))}
		b.Txs = []chains.Tx{{Hash: fmt.Sprintf("0x%064x", 100+h), From: tr.From, To: tr.To, GasPrice: big.NewInt(1), Transfers: []chains.Transfer{tr}}}
		puts = append(puts, tracer.IndexKVs(b)...)
	}
	puts = append(puts, tracer.IndexMetaKV(chains.Ethereum, 1, uint64(len(pays))))
	if err := st.SaveTracer(context.Background(), puts, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := watchlists.NewRegistry(st, nil).Add(context.Background(), watchlists.Entry{Chain: chains.Ethereum, Address: dprk, Kind: watchlists.Stolen, Label: "DPRK (TraderTraitor)"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	disp := func(s string) string { return watchlists.Display(chains.Ethereum, s) }
	csvIn := filepath.Join(t.TempDir(), "payroll.csv")
	os.WriteFile(csvIn, []byte("name,payout address,amount\nAlice,"+alice+",1000\nBob,"+disp(bob)+",2000\nCarol,"+carol+",3000\n"), 0o600)
	out, msg, code := runCLI(t, "--data-dir", dir, "screen", "--chain", "ethereum", "--file", csvIn, "--format", "csv")
	if code != 0 {
		t.Fatalf("screen: exit %d %s", code, msg)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != "name,payout address,amount,risk,exposure,path" {
		t.Fatalf("csv out:\n%s", out)
	}
	for i, want := range []string{
		"Alice," + alice + ",1000,severe,dprk (1 hops from DPRK (TraderTraitor))," + disp(dprk) + " -> " + disp(alice),
		"Bob," + disp(bob) + ",2000,high,dprk (2 hops from DPRK (TraderTraitor))," + disp(dprk) + " -> " + disp(mid) + " -> " + disp(bob),
		"Carol," + carol + ",3000,none,,",
	} {
		if lines[i+1] != want {
			t.Errorf("row %d:\n got %s\nwant %s", i+1, lines[i+1], want)
		}
	}
	// Addresses as arguments, as a table.
	if out, msg, code := runCLI(t, "--data-dir", dir, "screen", "--chain", "ethereum", carol, alice); code != 0 || !strings.Contains(out, "none") || !strings.Contains(out, "severe") {
		t.Fatalf("table: exit %d %s\n%s", code, msg, out)
	}
	// Bad input: the file, line and column.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("name,wallet\nAlice,"+alice+"\nBob,0x12\n"), 0o600)
	if _, msg, code := runCLI(t, "--data-dir", dir, "screen", "--chain", "ethereum", "--file", bad); code != 2 || !strings.Contains(msg, "bad.csv:3") || !strings.Contains(msg, `"wallet"`) {
		t.Fatalf("bad address: exit %d %s", code, msg)
	}
	noCol := filepath.Join(t.TempDir(), "nocol.csv")
	os.WriteFile(noCol, []byte("name,iban\nAlice,DE00\n"), 0o600)
	if _, msg, code := runCLI(t, "--data-dir", dir, "screen", "--chain", "ethereum", "--file", noCol); code != 2 || !strings.Contains(msg, "nocol.csv:1") {
		t.Fatalf("no address column: exit %d %s", code, msg)
	}
}
