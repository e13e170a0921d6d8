package protocol

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

func date(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func change(t *testing.T, code, what, effective, decision string, src MembershipSource) MembershipChange {
	return MembershipChange{Update: ParticipantUpdate{Version: 1, Participant: code, Change: what,
		Effective: date(t, effective), Decision: decision}, Source: src}
}

func fromRecord(partner string, seq uint64) MembershipSource {
	return MembershipSource{Kind: SourceRecord, Partner: partner, Seq: seq}
}

// TestMembershipRemovedMidYear: a participant removed on 2012-07-01 is
// active before, removed on and after, and the entry names the decision.
func TestMembershipRemovedMidYear(t *testing.T) {
	m := NewMembership([]MembershipChange{change(t, "VE", ChangeRemoved, "2012-07-01", "Plenary 2011, Final Communiqué ¶6", fromRecord("ZA", 4))})
	before, _ := m.On("VE", date(t, "2012-06-30"))
	on, _ := m.On("VE", date(t, "2012-07-01"))
	if !before.Active() || before.Name != "Venezuela" {
		t.Errorf("before the removal: %+v, want active Venezuela", before)
	}
	if on.Active() || on.Status != StatusRemoved || on.Decision != "Plenary 2011, Final Communiqué ¶6" || on.Source != fromRecord("ZA", 4) {
		t.Errorf("on the removal: %+v", on)
	}
	if !m.Known("VE", date(t, "2013-01-01")) {
		t.Error("a removed participant is no longer known: its old records could not name it")
	}
	if b, _ := BuiltinMembership().On("VE", date(t, "2013-01-01")); !b.Active() {
		t.Error("the built-in view changed")
	}
}

// TestMembershipJoin: a new code is not a member before it joins and is
// one from its effective date, with the name and kind the update gives.
func TestMembershipJoin(t *testing.T) {
	j := change(t, "SS", ChangeJoined, "2024-01-01", "Plenary 2023, Final Communiqué ¶3", MembershipSource{Kind: SourceFile, File: "u.csv", Row: 1})
	j.Update.Name, j.Update.Kind = "South Sudan", KindState
	m := NewMembership([]MembershipChange{j})
	if _, ok := BuiltinMembership().On("SS", date(t, "2025-01-01")); ok {
		t.Fatal("SS is in the built-in list; pick another code for this test")
	}
	if mb, ok := m.On("SS", date(t, "2023-12-31")); !ok || mb.Status != StatusNotJoined || m.Known("SS", date(t, "2023-12-31")) {
		t.Errorf("before joining: %+v %v", mb, ok)
	}
	if mb, _ := m.On("SS", date(t, "2024-01-01")); !mb.Active() || mb.Name != "South Sudan" || !m.CanRunNode("SS", date(t, "2024-01-01")) {
		t.Errorf("after joining: %+v", mb)
	}
}

// TestMembershipRenameKeepsHistory: a rename changes the name from its
// date on; before it, the old name stands, and both changes stay in the
// history.
func TestMembershipRenameKeepsHistory(t *testing.T) {
	r := change(t, "SZ", ChangeRenamed, "2018-04-19", "Plenary 2018 ¶2", fromRecord("ZA", 1))
	r.Update.Name, r.Update.Authority = "Eswatini (renamed)", "Eswatini Diamond Office"
	s := change(t, "SZ", ChangeSuspended, "2020-01-01", "Plenary 2019 ¶9", fromRecord("ZA", 2))
	m := NewMembership([]MembershipChange{s, r})
	old, _ := m.On("SZ", date(t, "2018-04-18"))
	renamed, _ := m.On("SZ", date(t, "2018-04-19"))
	later, _ := m.On("SZ", date(t, "2021-01-01"))
	if old.Name != "Eswatini" || old.Authority != "" {
		t.Errorf("before the rename: %+v", old)
	}
	if renamed.Name != "Eswatini (renamed)" || renamed.Authority != "Eswatini Diamond Office" || !renamed.Active() {
		t.Errorf("after the rename: %+v", renamed)
	}
	if later.Name != "Eswatini (renamed)" || later.Status != StatusSuspended {
		t.Errorf("after the suspension: %+v", later)
	}
	if h := m.History("SZ"); len(h) != 2 || h[0].Update.Change != ChangeRenamed || h[1].Update.Change != ChangeSuspended {
		t.Errorf("history %+v", h)
	}
}

// TestMembershipAnyOrder: any arrival order of the same changes gives the
// same list on every date, including changes with the same effective date.
func TestMembershipAnyOrder(t *testing.T) {
	j := change(t, "SS", ChangeJoined, "2024-01-01", "d1", fromRecord("ZA", 1))
	j.Update.Name, j.Update.Kind = "South Sudan", KindState
	changes := []MembershipChange{
		j,
		change(t, "VE", ChangeSuspended, "2012-01-01", "d2", fromRecord("ZA", 2)),
		change(t, "VE", ChangeReadmitted, "2012-01-01", "d3", fromRecord("BW", 1)),
		change(t, "VE", ChangeRemoved, "2012-01-01", "d4", MembershipSource{Kind: SourceFile, File: "f", Row: 1}),
		change(t, "CF", ChangeSuspended, "2013-05-23", "d5", fromRecord("ZA", 3)),
		change(t, "CF", ChangeReadmitted, "2024-01-01", "d6", fromRecord("ZA", 5)),
		change(t, "SS", ChangeSuspended, "2023-01-01", "before joining", fromRecord("ZA", 6)),
	}
	dates := []Date{date(t, "2011-12-31"), date(t, "2012-01-01"), date(t, "2013-06-01"), date(t, "2023-06-01"), date(t, "2024-06-01")}
	want := make([][]Member, len(dates))
	for i, d := range dates {
		want[i] = NewMembership(changes).List(d)
	}
	m := NewMembership(changes)
	for _, d := range dates { // StatusOn, the checks' shortcut, agrees with On
		for _, mb := range m.List(d) {
			status, set, ok := m.StatusOn(mb.Code, d)
			src := MembershipSource{Kind: SourceBuiltIn}
			if set != nil {
				src = set.Source
			}
			if !ok || status != mb.Status || src != mb.Source {
				t.Errorf("%s on %s: StatusOn = %s %v %v, On = %+v", mb.Code, d, status, set, ok, mb)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		shuffled := append([]MembershipChange(nil), changes...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		m := NewMembership(shuffled)
		for i, d := range dates {
			if got := m.List(d); !reflect.DeepEqual(got, want[i]) {
				t.Fatalf("order %v: the list on %s differs", shuffled, d)
			}
		}
	}
}

func TestParseParticipantUpdate(t *testing.T) {
	good := []string{
		`{"version":1,"participant":"VE","change":"removed","effective":"2012-01-01","decision":"Plenary 2011, Final Communiqué ¶6"}`,
		`{"version":1,"participant":"SS","change":"joined","effective":"2024-01-01","decision":"d","name":"South Sudan","kind":"state"}`,
		`{"version":1,"participant":"BE","change":"renamed","effective":"2024-01-01","decision":"d","authority":"Antwerp Diamond Office"}`,
	}
	for _, b := range good {
		if _, err := ParseParticipantUpdate([]byte(b)); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
	bad := map[string]string{
		`{"version":1,"participant":"VE","change":"removed","effective":"2012-01-01"}`:                                      "decision",
		`{"version":1,"participant":"ven","change":"removed","effective":"2012-01-01","decision":"d"}`:                      "participant",
		`{"version":1,"participant":"VE","change":"expelled","effective":"2012-01-01","decision":"d"}`:                      "change",
		`{"version":1,"participant":"VE","change":"removed","effective":"2012-13-01","decision":"d"}`:                       "effective",
		`{"version":1,"participant":"SS","change":"joined","effective":"2024-01-01","decision":"d","name":"South Sudan"}`:   "kind",
		`{"version":1,"participant":"SS","change":"joined","effective":"2024-01-01","decision":"d","kind":"state"}`:         "name",
		`{"version":1,"participant":"VE","change":"renamed","effective":"2024-01-01","decision":"d"}`:                       "name",
		`{"version":1,"participant":"VE","change":"removed","effective":"2024-01-01","decision":"d","kind":"state"}`:        "kind",
		`{"version":1,"participant":"VE","change":"removed","effective":"2024-01-01","decision":"d","member_since":"2003"}`: "member_since",
	}
	for b, field := range bad {
		_, err := ParseParticipantUpdate([]byte(b))
		ve, ok := err.(*ValidationError)
		if !ok {
			t.Errorf("%s: err %v, want a ValidationError", b, err)
			continue
		}
		if _, named := ve.Reason(field); !named {
			t.Errorf("%s: %v does not name %s", b, err, field)
		}
	}
}

// TestAdmissibleCode: a country code the built-in list lacks can be named
// (a participant-list update can admit it without a release); a code that
// is no country cannot, and the trading entity still cannot run a node.
func TestAdmissibleCode(t *testing.T) {
	for _, tt := range []struct {
		code           string
		named, canNode bool
	}{{"IN", true, true}, {"SS", true, true}, {"FR", true, true}, {"TW", true, false}, {"XX", false, false}, {"EU", true, true}, {"ss", false, false}} {
		if AdmissibleCode(tt.code, false) != tt.named || AdmissibleCode(tt.code, true) != tt.canNode {
			t.Errorf("%s: AdmissibleCode = %v, %v", tt.code, AdmissibleCode(tt.code, false), AdmissibleCode(tt.code, true))
		}
	}
	for dest, ok := range map[string]bool{"SS": true, "XX": false} {
		body := mutated(t, "certificate.json", func(m map[string]any) { m["destination"] = dest })
		if err := ValidateRecord(CertificateType, body); (err == nil) != ok {
			t.Errorf("a certificate to %s: %v", dest, err)
		}
	}
}
