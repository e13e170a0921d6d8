package reconcile

import (
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// TestRotatedFeedsApart: after a key rotation one participant has two
// feeds, numbered from 1 each. IN's old feed holds certificate IN0000001
// at seq 3, its new feed another certificate IN0000002 at seq 3 and, at
// seq 4, a correction of that seq 3 (fewer carats). Both certificates
// count, IN0000002 as corrected, and the correction leaves the old feed's
// seq 3 alone, in whatever order the records arrive: BE's confirmations
// of both (the second with the corrected carats) match, so nothing is
// raised.
func TestRotatedFeedsApart(t *testing.T) {
	first := newCert("IN", "IN0000001", "BE", "2026-01-05")
	second := newCert("IN", "IN0000002", "BE", "2026-01-06", line("7102.31", "100.00", "15000.00"))
	corrected := newCert("IN", "IN0000002", "BE", "2026-01-06", line("7102.31", "90.00", "13500.00"))
	corrected.Supersedes = &protocol.Supersedes{Seq: 3}
	in := func(key string, seq uint64, body any) Record {
		return Record{Ref: RecordRef{Feed: "IN", Seq: seq}, FeedKey: key, Body: body}
	}
	recs := []Record{
		in("old-key", 3, first),
		in("new-key", 3, second),
		in("new-key", 4, corrected),
		{Ref: RecordRef{Feed: "BE", Seq: 1}, Body: confirm(first, "2026-01-10")},
		{Ref: RecordRef{Feed: "BE", Seq: 2}, Body: confirm(corrected, "2026-01-11")},
	}
	for _, order := range permutations(len(recs)) {
		s := newState(t, "BE")
		for _, i := range order {
			s.Add(recs[i])
		}
		wantIDs(t, s.Findings(at("2026-01-20")))
		if n, _ := s.Len(); n != 4 {
			t.Fatalf("order %v: %d current records, want 4 (two certificates, two confirmations)", order, n)
		}
	}
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}
