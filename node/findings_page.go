package node

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/kpnode/kpnode/reconcile"
)

// MaxFindingsPage bounds a page of [Node.FindingsPage].
const MaxFindingsPage = 1000

// cursorPrefix starts every findings cursor: it names the cursor's kind
// and version, so that a records cursor is refused here.
const cursorPrefix = "f1:"

// FindingsPage is one page of findings in id order and the cursor of the
// next page ("" on the last one).
type FindingsPage struct {
	Findings []FindingView `json:"findings"`
	Next     string        `json:"next,omitempty"`
}

// FindingsPage returns at most q.Limit (1 … [MaxFindingsPage]) of the
// current findings q selects, in id order, after q.Cursor. The cursor is
// stable: a finding present all along is listed once, whatever comes or
// goes meanwhile. It returns an error wrapping [ErrBadCursor] or
// [ErrInvalidRequest] for a bad cursor or limit.
func (n *Node) FindingsPage(q FindingsQuery) (FindingsPage, error) {
	if q.Limit < 1 || q.Limit > MaxFindingsPage {
		return FindingsPage{}, fmt.Errorf("%w: limit %d is not in 1 … %d", ErrInvalidRequest, q.Limit, MaxFindingsPage)
	}
	after, err := decodeFindingCursor(q.Cursor)
	if err != nil {
		return FindingsPage{}, err
	}
	page := FindingsPage{Findings: []FindingView{}}
	more := false
	n.eachFinding(q, after, true, func(x *reconcile.Finding, period string, ack *FindingAck) bool {
		if len(page.Findings) == q.Limit {
			more = true
			return false
		}
		page.Findings = append(page.Findings, FindingView{Finding: *x, Period: period, Ack: ack})
		return true
	})
	if more {
		page.Next = encodeFindingCursor(page.Findings[len(page.Findings)-1].ID)
	}
	return page, nil
}

// eachFinding calls fn with every current finding q selects after the id
// after, in id order, with its period and acknowledgement, until fn
// returns false; fn must not call the Node (the findings' lock is held).
// With describe, x is the whole finding, fn's to keep; without, only its
// head (reconcile.State.Each), which fn must neither keep nor modify:
// counting by group describes no finding. It returns the generation of
// the findings and of the acknowledgements it read.
func (n *Node) eachFinding(q FindingsQuery, after string, describe bool, fn func(x *reconcile.Finding, period string, ack *FindingAck) bool) (gen, acks uint64) {
	n.waitFindings()
	sc := reconcile.Scope{Partner: q.Partner, NoPartner: q.NoPartner, Period: q.Period}
	if id, ok := reconcile.RuleID(q.Rule); ok {
		sc.Prefix = id + "/"
	}
	parties := n.calendarParties()
	head := q.Query
	head.Since = time.Time{} // a head has no Since: the whole finding is matched on it
	f := n.findings
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st.SetParties(parties) // the calendar's missing submissions (R11) of partners that sent nothing
	f.st.Each(n.now(), sc, after, func(x *reconcile.Finding) bool {
		if !head.Match(*x) {
			return true
		}
		ack := f.ackOf(x)
		if q.Open && ack != nil || q.Acknowledged && ack == nil {
			return true
		}
		if describe || !q.Since.IsZero() {
			whole, _ := f.st.Finding(x.ID)
			if !q.Query.Match(whole) {
				return true
			}
			if describe {
				x = &whole
			}
		}
		return fn(x, f.st.Period(x.ID), ack)
	})
	return f.st.Generation(), f.ackGen
}

// ackOf returns the acknowledgement of x at its current severity, or nil.
// The caller holds f.mu.
func (f *findings) ackOf(x *reconcile.Finding) *FindingAck {
	if a, ok := f.acks[x.ID]; ok && a.Severity == x.Severity {
		return &a
	}
	return nil
}

// A findings cursor is "f1:" and the id of the last finding of the
// previous page, URL-safe base64.
func encodeFindingCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + id))
}

func decodeFindingCursor(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	id, ok := strings.CutPrefix(string(b), cursorPrefix)
	if err != nil || !ok || !validFindingID(id) {
		return "", fmt.Errorf("%w %q", ErrBadCursor, clipCursor(s))
	}
	return id, nil
}

// validFindingID reports whether id could name a finding: 1 … 200 of
// the characters finding ids use.
func validFindingID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '/' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// clipCursor shortens a refused cursor for the error message.
func clipCursor(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
