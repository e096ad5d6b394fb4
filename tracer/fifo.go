package tracer

import "github.com/holiman/uint256"

// appendSegment appends s to q, merging it into the last segment when both
// are clean or both tainted (adjacent segments of one label merge).
func appendSegment(q []segment, s segment) []segment {
	if s.amt.IsZero() {
		return q
	}
	if n := len(q); n > 0 && q[n-1].tainted == s.tainted {
		last := &q[n-1]
		if s.tainted && last.amt.Lt(&s.amt) {
			last.via = s.via
		}
		last.amt.Add(&last.amt, &s.amt)
		return q
	}
	return append(q, s)
}

// takeFront cuts amt off the front of *q and returns what it took, in
// order. If q holds less than amt, it takes all of it.
func takeFront(q *[]segment, amt *uint256.Int) []segment {
	var out []segment
	need := *amt
	src := *q
	i := 0
	for i < len(src) && !need.IsZero() {
		s := &src[i]
		if s.amt.Gt(&need) || s.amt.Eq(&need) {
			part := segment{tainted: s.tainted, amt: need, via: s.via}
			out = append(out, part)
			s.amt.Sub(&s.amt, &need)
			need.Clear()
			if s.amt.IsZero() {
				i++
			}
			break
		}
		out = append(out, *s)
		need.Sub(&need, &s.amt)
		i++
	}
	rest := src[i:]
	*q = append(src[:0:0], rest...)
	return out
}

func taintedSum(segs []segment) uint256.Int {
	var x uint256.Int
	for i := range segs {
		if segs[i].tainted {
			x.Add(&x, &segs[i].amt)
		}
	}
	return x
}

// largestVia returns the hop of the largest tainted segment (the first on
// ties), or def when none is tainted.
func largestVia(segs []segment, def hopID) hopID {
	var best *segment
	for i := range segs {
		if segs[i].tainted && segs[i].via != 0 && (best == nil || segs[i].amt.Gt(&best.amt)) {
			best = &segs[i]
		}
	}
	if best == nil {
		return def
	}
	return best.via
}
