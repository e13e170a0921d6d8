package trade

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// TruthVersion is the version of the ground-truth file format. Version 2
// added Expected.Explains, version 3 Questions, version 4 Calendar.
// [ReadTruth] also reads version 3, without a calendar to check.
const TruthVersion = 4

// oldestTruth is the oldest version ReadTruth reads.
const oldestTruth = 3

// Truth is the ground truth of a plan, as written to truth.json: what was
// generated and the findings every node must raise, and no others.
type Truth struct {
	Version      int           `json:"version"` // TruthVersion
	Seed         int64         `json:"seed"`
	Now          time.Time     `json:"now"`
	From         protocol.Date `json:"from"`
	To           protocol.Date `json:"to"`
	Participants []string      `json:"participants"`
	Links        [][2]string   `json:"links"`
	Anomalies    int           `json:"anomalies"`
	Items        int           `json:"items"` // records in the plan
	Expected     []Expected    `json:"expected"`
	// Questions are the questionnaires each asker must show.
	Questions []ExpectedQuestions `json:"questions"`
	// Calendar is what each node's submission calendar must show late
	// and missing (from version 4; a version 3 truth checks no calendar).
	Calendar []ExpectedCalendar `json:"calendar,omitempty"`
}

// ChecksCalendar reports whether t says what the calendars must show:
// version 4 on.
func (t *Truth) ChecksCalendar() bool { return t.Version >= 4 }

// Truth returns the plan's ground truth.
func (p *Plan) Truth() *Truth {
	return &Truth{
		Version: TruthVersion, Seed: p.Options.Seed, Now: p.Options.Now, From: p.From, To: p.To,
		Participants: p.Options.Participants, Links: p.Options.Links, Anomalies: p.Options.Anomalies,
		Items: len(p.Items), Expected: p.Expected, Questions: p.Questions, Calendar: p.Calendar,
	}
}

// WriteTruth writes the plan's ground truth to w as indented JSON.
func (p *Plan) WriteTruth(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p.Truth()); err != nil {
		return fmt.Errorf("write ground truth: %w", err)
	}
	return nil
}

// ReadTruth reads a ground truth written by [Plan.WriteTruth]. It returns
// an error wrapping [ErrBadTruth] when r does not hold one.
func ReadTruth(r io.Reader) (*Truth, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var t Truth
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTruth, err)
	}
	if t.Version < oldestTruth || t.Version > TruthVersion {
		return nil, fmt.Errorf("%w: version %d, want %d..%d (load again with this kpnode)", ErrBadTruth, t.Version, oldestTruth, TruthVersion)
	}
	if t.Version < 4 && t.Calendar != nil {
		return nil, fmt.Errorf("%w: version %d holds a calendar, which came with version 4", ErrBadTruth, t.Version)
	}
	for i, e := range t.Expected {
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("%w: expected[%d]: %v", ErrBadTruth, i, err)
		}
	}
	for i, q := range t.Questions {
		if err := q.check(); err != nil {
			return nil, fmt.Errorf("%w: questions[%d]: %v", ErrBadTruth, i, err)
		}
	}
	for i, c := range t.Calendar {
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("%w: calendar[%d]: %v", ErrBadTruth, i, err)
		}
	}
	return &t, nil
}

// check reports what is wrong with an expectation read from a file.
func (e Expected) check() error {
	rule, rest, _ := strings.Cut(e.ID, "/")
	switch {
	case rest == "" || rule != e.Rule:
		return fmt.Errorf("id %q does not start with its rule %q", e.ID, e.Rule)
	case !slices.ContainsFunc(reconcile.Rules(), func(r reconcile.RuleInfo) bool { return r.ID == rule }):
		return fmt.Errorf("unknown rule %q", e.Rule)
	case e.Severity != reconcile.Info && e.Severity != reconcile.Warning && e.Severity != reconcile.Critical:
		return fmt.Errorf("id %q: unknown severity %q", e.ID, e.Severity)
	case len(e.Observers) == 0:
		return fmt.Errorf("id %q: no observers", e.ID)
	}
	return nil
}
