package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/chainhound/chainhound/chains"
)

// Record is one stored alert: the alert, the tenants that may see it and
// when it was appended (for retention by age).
type Record struct {
	Alert    Alert     `json:"alert"`
	Audience []string  `json:"audience,omitempty"`
	Appended time.Time `json:"appended"`
}

// BlockSeq says that alert Seq was raised from block Hash of Chain.
type BlockSeq struct {
	Chain chains.Chain
	Hash  string
	Seq   uint64
}

// FindingSeq says that finding ID raised alert Seq.
type FindingSeq struct {
	ID  string
	Seq uint64
}

// AlertWrite is one atomic, durable change to the alert log and its
// indexes. Records carry their assigned Seq; Last is the new value of the
// sequence counter (0: leave it unchanged, for index-only writes).
type AlertWrite struct {
	Records     []Record
	Last        uint64
	SetFindings []FindingSeq
	DelFindings []string
	AddBlocks   []BlockSeq
	DelBlocks   []BlockSeq
	// Regressed: the store's counter went back below seqs the log had
	// handed out (a Redis failover lost acknowledged writes), so the
	// Records follow the log's seqs, and a shared store accepts them over
	// any counter below them instead of refusing them (SeqTakenError):
	// a seq delivered is never used again.
	Regressed bool
}

// SeqTakenError is WriteAlerts' refusal of records whose seqs another
// process took first (a shared store: replicas on one Redis). Nothing was
// written; Last is the store's sequence counter, from which Log assigns
// the seqs again.
type SeqTakenError struct{ Last uint64 }

func (e *SeqTakenError) Error() string {
	return fmt.Sprintf("alert seqs taken by another process (the log is at %d)", e.Last)
}

// Store keeps the alert log. store/pebble and store/redis implement it.
// Every method is safe for concurrent use.
type Store interface {
	// WriteAlerts applies w atomically and durably (synced) before it
	// returns. A shared store refuses records that do not follow its
	// sequence counter with *SeqTakenError, writing nothing.
	WriteAlerts(ctx context.Context, w AlertWrite) error
	// AlertsSince returns up to limit records with Seq > since, ascending.
	AlertsSince(ctx context.Context, since uint64, limit int) ([]Record, error)
	// LastAlertSeq returns the sequence counter: the last Seq ever
	// written, kept when records are pruned; 0 for an empty store.
	LastAlertSeq(ctx context.Context) (uint64, error)
	// PruneAlerts deletes the records with Seq ≤ through, and the index
	// entries that point at them, returning how many records it deleted.
	// The sequence counter is kept.
	PruneAlerts(ctx context.Context, through uint64) (int, error)
	// AlertFinding returns the seq of the live alert raised for finding
	// id (not retracted, not pruned).
	AlertFinding(ctx context.Context, id string) (seq uint64, ok bool, err error)
	// BlockAlerts returns the seqs of the unconfirmed, unretracted alerts
	// raised from block hash of chain, ascending.
	BlockAlerts(ctx context.Context, chain chains.Chain, hash string) ([]uint64, error)
}
