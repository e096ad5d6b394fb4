package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	goredis "github.com/redis/go-redis/v9"
)

// The change stream: every write of watchlist entries or incidents
// appends, in its own script, what it changed to the stream chg (capped
// at about 100,000 changes), so that every replica applies it to its
// memory (Changes). A write of more than maxChangeKeys entries says "all":
// the replicas read every entry again.

const (
	changeEntries   = "w"
	changeIncidents = "i"
	maxChangeKeys   = 10000
)

func (s *Store) addChange(b *batch, kind string, keys []string) {
	if len(keys) == 0 {
		return
	}
	p := []byte(`"*"`)
	if len(keys) <= maxChangeKeys {
		p, _ = json.Marshal(keys)
	}
	b.op("XA", s.changesKey(), kind, p)
}

// Change is one write of entries or incidents made by some replica.
type Change struct {
	ID string // the stream entry's id
	// Entries: the changed entries' keys, present (Puts) or gone (Dels);
	// All: too many to list, every entry must be read again.
	Puts []watchlists.Entry
	Dels []watchlists.EntryKey
	All  bool
	// Incidents: the changed incidents as stored now.
	Incidents []watchlists.Incident
}

// ChangesHead returns the id of the last change ("0-0": none), from which
// a replica that loads its memory now follows the changes.
func (s *Store) ChangesHead(ctx context.Context) (string, error) {
	ms, err := s.c.XRevRangeN(ctx, s.changesKey(), "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("read the change stream: %w", err)
	}
	if len(ms) == 0 {
		return "0-0", nil
	}
	return ms[0].ID, nil
}

// Changes returns the changes after id after, waiting up to wait for the
// first one (XREAD), each with the entries and incidents it names as
// stored now. behind is true when changes after after were trimmed off
// the stream unread: the caller must read everything again.
func (s *Store) Changes(ctx context.Context, after string, wait time.Duration) (out []Change, behind bool, err error) {
	res, err := s.c.XRead(ctx, &goredis.XReadArgs{Streams: []string{s.changesKey(), after}, Count: 100, Block: wait}).Result()
	if isNil(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the change stream after %s: %w", after, err)
	}
	for _, st := range res {
		if len(st.Messages) > 0 && after != "0-0" {
			// The entry right after ours must still be there.
			first, err := s.c.XRangeN(ctx, s.changesKey(), after, "+", 1).Result()
			if err != nil {
				return nil, false, fmt.Errorf("read the change stream at %s: %w", after, err)
			}
			if len(first) == 0 || first[0].ID != after {
				return nil, true, nil
			}
		}
		for _, m := range st.Messages {
			c, err := s.change(ctx, m)
			if err != nil {
				return out, false, err
			}
			out = append(out, c)
		}
	}
	return out, false, nil
}

func (s *Store) change(ctx context.Context, m goredis.XMessage) (Change, error) {
	c := Change{ID: m.ID}
	kind, _ := m.Values["t"].(string)
	p, _ := m.Values["p"].(string)
	if p == `"*"` {
		c.All = true
		return c, nil
	}
	var keys []string
	if err := json.Unmarshal([]byte(p), &keys); err != nil {
		return c, fmt.Errorf("change %s: %w", m.ID, err)
	}
	switch kind {
	case changeEntries:
		vs, err := s.c.HMGet(ctx, s.entriesKey(), keys...).Result()
		if err != nil {
			return c, fmt.Errorf("change %s: read entries: %w", m.ID, err)
		}
		for i, v := range vs {
			sv, ok := v.(string)
			if !ok {
				f := strings.SplitN(keys[i], "\x00", 4)
				if len(f) != 4 {
					return c, fmt.Errorf("change %s: corrupt entry key %q", m.ID, keys[i])
				}
				c.Dels = append(c.Dels, watchlists.EntryKey{Chain: chains.Chain(f[0]), Address: f[1], Owner: f[2], Kind: watchlists.Kind(f[3])})
				continue
			}
			var e watchlists.Entry
			if err := json.Unmarshal([]byte(sv), &e); err != nil {
				return c, fmt.Errorf("change %s: decode entry %q: %w", m.ID, keys[i], err)
			}
			c.Puts = append(c.Puts, e)
		}
	case changeIncidents:
		vs, err := s.c.HMGet(ctx, s.incidentsKey(), keys...).Result()
		if err != nil {
			return c, fmt.Errorf("change %s: read incidents: %w", m.ID, err)
		}
		for _, v := range vs {
			sv, ok := v.(string)
			if !ok {
				continue
			}
			var inc watchlists.Incident
			if err := json.Unmarshal([]byte(sv), &inc); err != nil {
				return c, fmt.Errorf("change %s: decode incident: %w", m.ID, err)
			}
			c.Incidents = append(c.Incidents, inc)
		}
	default:
		return c, fmt.Errorf("change %s: unknown kind %q", m.ID, kind)
	}
	return c, nil
}
