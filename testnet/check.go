package testnet

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/store"
	"github.com/kpnode/kpnode/testnet/trade"
)

// CheckOptions tunes [Network.Check].
type CheckOptions struct {
	// Timeout bounds the wait for convergence (default 2 minutes).
	Timeout time.Duration
	// Truth is the ground truth of a load; nil skips the findings and
	// questionnaires checks.
	Truth *trade.Truth
}

// Report is the verdict of [Network.Check].
type Report struct {
	OK        bool          `json:"ok"`
	Converged bool          `json:"converged"`
	Waited    time.Duration `json:"waited_ns"`
	// Problems lists every failed condition but the findings', one line
	// each; the findings' mismatches are in Findings.
	Problems []string     `json:"problems"`
	Nodes    []NodeReport `json:"nodes"`
	// Findings scores the reconciliation findings against the ground
	// truth, summed over the members; nil when there is no truth.
	Findings *trade.Score `json:"findings,omitempty"`
}

// NodeReport is one member's part of a [Report].
type NodeReport struct {
	Code     string `json:"code"`
	Running  bool   `json:"running"`
	Head     uint64 `json:"head"`
	Entries  int    `json:"entries_verified"`
	Records  int    `json:"records"`
	Findings int    `json:"findings"`
}

// Check waits (bounded) until every member holds every partner's whole
// feed and every partner has receipted its own, then checks: every entry
// addressed to a member is there with its record, every store verifies,
// no equivocation, and the findings match the truth. Every member must
// be running.
func (n *Network) Check(ctx context.Context, o CheckOptions) (*Report, error) {
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	r := &Report{}
	for _, m := range n.st.Members {
		if !n.runner.Running(m) {
			r.Problems = append(r.Problems, m.Code+" is not running (start it with chaos start)")
		}
	}
	if len(r.Problems) > 0 {
		return r, nil
	}
	start := time.Now()
	lag, err := n.waitConverged(ctx, o.Timeout)
	if err != nil {
		return nil, err
	}
	r.Waited, r.Converged = time.Since(start), len(lag) == 0
	r.Problems = append(r.Problems, lag...)
	for _, m := range n.st.Members {
		nr, probs, err := n.checkMember(ctx, m, o.Truth, r)
		if err != nil {
			return nil, err
		}
		r.Nodes = append(r.Nodes, nr)
		r.Problems = append(r.Problems, probs...)
	}
	r.OK = len(r.Problems) == 0 && (r.Findings == nil || r.Findings.OK())
	return r, nil
}

// waitConverged polls the members' status until no link lags, or the
// timeout; it returns what still lags.
func (n *Network) waitConverged(ctx context.Context, timeout time.Duration) ([]string, error) {
	deadline := time.Now().Add(timeout)
	for {
		lag, err := n.lagging(ctx)
		if err != nil || len(lag) == 0 || time.Now().After(deadline) {
			return lag, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// lagging lists the links not converged: a member lacking part of a
// partner's feed, or a partner that has not receipted a member's feed.
func (n *Network) lagging(ctx context.Context) ([]string, error) {
	sts := map[string]node.Status{}
	for _, m := range n.st.Members {
		var s node.Status
		if err := n.call(ctx, m, "GET", "/api/status", nil, &s); err != nil {
			return nil, fmt.Errorf("status of %s: %w", m.Code, err)
		}
		sts[m.Code] = s
	}
	var lag []string
	for _, m := range n.st.Members {
		for _, p := range sts[m.Code].Partners {
			theirs := ownHead(sts[p.Code])
			if p.OurCopy != theirs {
				lag = append(lag, fmt.Sprintf("%s holds %s's feed up to %d of %d", m.Code, p.Code, p.OurCopy, theirs))
			}
			if p.Undelivered != 0 {
				lag = append(lag, fmt.Sprintf("%s has not receipted %d entries of %s", p.Code, p.Undelivered, m.Code))
			}
		}
	}
	return lag, nil
}

// ownHead returns a node's own head from its status.
func ownHead(s node.Status) uint64 {
	for _, f := range s.Feeds {
		if f.Author == s.Participant {
			return f.Seq
		}
	}
	return 0
}

// checkMember checks one member's copies of its partners' feeds, its
// store and its findings.
func (n *Network) checkMember(ctx context.Context, m *Member, truth *trade.Truth, r *Report) (NodeReport, []string, error) {
	nr := NodeReport{Code: m.Code, Running: true}
	var probs []string
	for _, p := range Partners(n.st.Spec.Links, m.Code) {
		got, recs, err := n.checkFeed(ctx, m, p)
		if err != nil {
			return nr, nil, err
		}
		nr.Records += recs
		probs = append(probs, got...)
	}
	var vr store.VerifyReport
	if err := n.call(ctx, m, "POST", "/api/verify", nil, &vr); err != nil {
		return nr, nil, fmt.Errorf("verify %s: %w", m.Code, err)
	}
	nr.Entries = vr.Entries
	for _, p := range vr.Problems {
		probs = append(probs, fmt.Sprintf("%s: verify: %v", m.Code, p))
	}
	var s node.Status
	if err := n.call(ctx, m, "GET", "/api/status", nil, &s); err != nil {
		return nr, nil, err
	}
	nr.Head = ownHead(s)
	for _, e := range s.Equivocations {
		probs = append(probs, fmt.Sprintf("%s: equivocation in %s's feed at seq %d", m.Code, e.Feed, e.Seq))
	}
	var expected []Expected
	if truth != nil {
		qp, err := n.checkQuestions(ctx, m, truth.Questions)
		if err != nil {
			return nr, nil, err
		}
		probs = append(probs, qp...)
		if truth.ChecksCalendar() {
			cp, err := n.checkCalendar(ctx, m, truth.Calendar)
			if err != nil {
				return nr, nil, err
			}
			probs = append(probs, cp...)
		}
		expected = truth.Expected
		if expected == nil {
			expected = []Expected{} // a truth without findings still checks that none are raised
		}
	}
	count, err := n.checkFindings(ctx, m, expected, r)
	nr.Findings = count
	return nr, probs, err
}

// checkFeed checks that m holds partner p's whole feed, with the record
// of every entry addressed to m; it returns the problems and the number
// of records.
func (n *Network) checkFeed(ctx context.Context, m *Member, p string) ([]string, int, error) {
	var probs []string
	recs := 0
	next := uint64(1)
	for {
		var page []node.FeedEntry
		path := "/api/feeds/" + p + "/entries?limit=2000&from=" + strconv.FormatUint(next, 10)
		if err := n.call(ctx, m, "GET", path, nil, &page); err != nil {
			return nil, 0, fmt.Errorf("%s's copy of %s's feed: %w", m.Code, p, err)
		}
		for _, e := range page {
			if e.Seq != next {
				probs = append(probs, fmt.Sprintf("%s lacks %s's entry %d (next held is %d)", m.Code, p, next, e.Seq))
			}
			next = e.Seq + 1
			addressed := slices.Contains(e.Audience, m.Code)
			if addressed && len(e.Record) == 0 {
				probs = append(probs, fmt.Sprintf("%s holds %s's entry %d addressed to it without its record", m.Code, p, e.Seq))
			}
			if len(e.Record) > 0 {
				recs++
			}
		}
		if len(page) < 2000 {
			return probs, recs, nil
		}
	}
}
