// Package alertstest holds the helpers the tests of alerts and its
// subpackages share: a real pebble store, a log on it, sample alerts.
package alertstest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/store/pebble"
)

// OpenStore opens a real pebble store in dir, closed at cleanup unless the
// test closes it first.
func OpenStore(tb testing.TB, dir string) *pebble.Store {
	tb.Helper()
	st, err := pebble.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, done := closedStores.LoadOrStore(st, true); !done {
			st.Close()
		}
	})
	return st
}

var closedStores sync.Map

// CloseStore closes st now (a daemon restart); cleanup will not close it again.
func CloseStore(tb testing.TB, st *pebble.Store) {
	tb.Helper()
	if _, done := closedStores.LoadOrStore(st, true); done {
		return
	}
	if err := st.Close(); err != nil {
		tb.Fatal(err)
	}
}

// OpenLog opens the alert log kept in st.
func OpenLog(tb testing.TB, st alerts.Store, r alerts.Retention) *alerts.Log {
	tb.Helper()
	l, err := alerts.OpenLog(context.Background(), st, r)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// Sample is an exchange deposit alert, the i-th of a series.
func Sample(i int) alerts.Alert {
	return alerts.Alert{
		Type:     alerts.TypeExchangeDeposit,
		Severity: alerts.Critical,
		Chain:    "ethereum",
		Block:    &alerts.BlockRef{Number: uint64(100 + i), Hash: fmt.Sprintf("0x%064x", i)},
		Tx:       fmt.Sprintf("0x%064x", 1000+i),
		Amount:   "1000000000000000000",
		Tainted:  "990000000000000000",
		Audience: []string{"binance", fmt.Sprintf("victim%d", i%3)},
		Time:     time.Date(2025, 2, 21, 14, 13, 35, 0, time.UTC),
	}
}

// Samples is Sample(from) .. Sample(from+n-1).
func Samples(from, n int) []alerts.Alert {
	out := make([]alerts.Alert, n)
	for i := range out {
		out[i] = Sample(from + i)
	}
	return out
}
