package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
)

func listDate(t *testing.T, s string) protocol.Date {
	t.Helper()
	d, err := protocol.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// entryOf returns code's entry in n's list as of at.
func participantEntryOf(t *testing.T, n *Node, code, at string) ParticipantEntry {
	t.Helper()
	for _, e := range n.Participants(listDate(t, at)).Participants {
		if e.Code == code {
			return e
		}
	}
	t.Fatalf("%s is not in %s's list", code, n.Participant())
	return ParticipantEntry{}
}

const veRemoval = `{"version":1,"participant":"VE","change":"removed","effective":"2012-01-01","decision":"Plenary 2011, Final Communiqué ¶6"}`

// TestParticipantUpdateTrust: a partner's participant_update changes
// nothing until the operator trusts that partner for the list (it is
// held and listed as ignored, saying why); trusting applies the updates
// held at once and later ones as they arrive; distrusting undoes them.
// Both are audited.
func TestParticipantUpdateTrust(t *testing.T) {
	za, be := testNode(t, "ZA"), testNode(t, "BE")
	pin(t, za, be)
	pin(t, be, za)
	p, err := za.Publish(context.Background(), protocol.ParticipantUpdateType, []byte(veRemoval), nil)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "BE holds ZA's update", func() error { return holds(be, "ZA", p.Seq) })
	eventually(t, 10*time.Second, "BE lists it as ignored", func() error {
		if ig := be.Participants(protocol.Date{}).Ignored; len(ig) != 1 || ig[0].Seq != p.Seq || !strings.Contains(ig[0].Reason, "not trusted") {
			return fmt.Errorf("ignored %+v", ig)
		}
		return nil
	})
	if e := participantEntryOf(t, be, "VE", "2013-01-01"); !e.Active() {
		t.Fatalf("an untrusted partner's update changed the list: %+v", e)
	}
	if e := participantEntryOf(t, za, "VE", "2013-01-01"); e.Status != protocol.StatusRemoved {
		t.Fatalf("the author's own update does not apply on its node: %+v", e)
	}

	if err := be.TrustForParticipants("ZA", true, "test"); err != nil {
		t.Fatal(err)
	}
	if action, details := newestAudit(t, be); action != AuditParticipantsTrust || !strings.Contains(details, `"partner":"ZA"`) {
		t.Fatalf("audit %s %s", action, details)
	}
	e := participantEntryOf(t, be, "VE", "2013-01-01")
	if e.Status != protocol.StatusRemoved || e.Source != (protocol.MembershipSource{Kind: protocol.SourceRecord, Partner: "ZA", Seq: p.Seq}) {
		t.Fatalf("after trusting ZA: %+v", e)
	}
	if e := participantEntryOf(t, be, "VE", "2011-12-31"); !e.Active() {
		t.Fatalf("before the removal: %+v", e)
	}

	rename := `{"version":1,"participant":"SZ","change":"renamed","effective":"2018-04-19","decision":"Plenary 2018","name":"Eswatini (Kingdom of)"}`
	p2, err := za.Publish(context.Background(), protocol.ParticipantUpdateType, []byte(rename), nil)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "BE applies ZA's rename", func() error {
		if e := participantEntryOf(t, be, "SZ", "2020-01-01"); e.Name != "Eswatini (Kingdom of)" {
			return fmt.Errorf("SZ is %q", e.Name)
		}
		return nil
	})
	if e := participantEntryOf(t, be, "SZ", "2018-04-18"); e.Name != "Eswatini" || len(e.History) != 1 || e.History[0].Source.Seq != p2.Seq {
		t.Fatalf("the rename lost the history: %+v", e)
	}
	// A withdrawn update no longer applies.
	w := fmt.Sprintf(`{"version":1,"supersedes":{"seq":%d},"reason":"sent in error"}`, p2.Seq)
	if _, err := za.Publish(context.Background(), protocol.WithdrawalType, []byte(w), nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "BE drops the withdrawn rename", func() error {
		if e := participantEntryOf(t, be, "SZ", "2020-01-01"); e.Name != "Eswatini" || len(e.History) != 0 {
			return fmt.Errorf("SZ is %+v", e)
		}
		return nil
	})

	if err := be.TrustForParticipants("ZA", false, "test"); err != nil {
		t.Fatal(err)
	}
	if e := participantEntryOf(t, be, "VE", "2013-01-01"); !e.Active() || len(be.Participants(protocol.Date{}).Ignored) != 1 {
		t.Fatalf("after distrusting ZA: %+v", e)
	}
	if err := be.TrustForParticipants("CF", true, "test"); !errors.Is(err, ErrUnknownPartner) {
		t.Fatalf("trusting a stranger: %v", err)
	}
}

// TestApplyParticipantUpdates: an update file applies all or nothing,
// naming row and field; once applied it is kept with its history across
// a restart and audited.
func TestApplyParticipantUpdates(t *testing.T) {
	fx := newFixture(t, "IN")
	n := fx.start()
	good := "participant,change,effective,decision,name,kind\n" +
		"SS,joined,2024-01-01,\"Plenary 2023, Final Communiqué ¶3\",South Sudan,state\n" +
		"VE,removed,2012-01-01,\"Plenary 2011, Final Communiqué ¶6\",,\n"
	bad := good + "CF,suspended,2013-02-30,d,,\n"
	_, err := n.ApplyParticipantUpdates(ParticipantUpdatesApply{File: "bad.csv", Data: []byte(bad), By: "test"})
	if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), "bad.csv:4:effective: must be a date") {
		t.Fatalf("a bad row: %v", err)
	}
	if l := n.Participants(listDate(t, "2025-01-01")); len(l.Files) != 0 || !participantEntryOf(t, n, "VE", "2025-01-01").Active() {
		t.Fatalf("a refused file changed the list: %+v", l.Files)
	}
	res, err := n.ApplyParticipantUpdates(ParticipantUpdatesApply{File: "plenary.csv", Data: []byte(good), By: "test"})
	if err != nil || res.Updates != 2 {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	if action, _ := newestAudit(t, n); action != AuditParticipantsApply {
		t.Fatalf("audit %s", action)
	}
	fx.stop()
	n = fx.start()
	ss := participantEntryOf(t, n, "SS", "2024-06-01")
	if !ss.Active() || ss.Name != "South Sudan" || ss.Source.String() != "file plenary.csv row 2" {
		t.Fatalf("after a restart: %+v", ss)
	}
	if e := participantEntryOf(t, n, "SS", "2023-06-01"); e.Status != protocol.StatusNotJoined {
		t.Fatalf("before joining: %+v", e)
	}
	if ve := participantEntryOf(t, n, "VE", "2012-01-01"); ve.Status != protocol.StatusRemoved || ve.Decision != "Plenary 2011, Final Communiqué ¶6" {
		t.Fatalf("VE: %+v", ve)
	}
}

const cfSuspension = `{"version":1,"kind":"participant_status_change","reference":"KP-2013-01","issued":"2013-05-23","title":"CAR suspended",` +
	`"participant_status_change":{"participant":"CF","status":"suspended","effective":"2013-05-23"}}`

// TestStatusChangeNoticeTrust: a participant_status_change notice is the
// older encoding of a participant-list update and follows the same rule:
// from a partner not trusted for the list it is held, listed as ignored
// and changes nothing (before, any partner's notice suspended anyone);
// trusting the partner applies it as a change citing the notice;
// withdrawing it takes it out. The author's own notice applies on its node.
func TestStatusChangeNoticeTrust(t *testing.T) {
	za, be := testNode(t, "ZA"), testNode(t, "BE")
	pin(t, za, be)
	pin(t, be, za)
	p, err := za.Publish(context.Background(), protocol.NoticeType, []byte(cfSuspension), []string{"BE"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "BE lists ZA's notice as ignored", func() error {
		ig := be.Participants(protocol.Date{}).Ignored
		if len(ig) != 1 || ig[0].Seq != p.Seq || ig[0].Type != protocol.NoticeType || ig[0].Update.Change != protocol.ChangeSuspended ||
			!strings.Contains(ig[0].Reason, "not trusted") {
			return fmt.Errorf("ignored %+v", ig)
		}
		return nil
	})
	if e := participantEntryOf(t, be, "CF", "2014-01-01"); !e.Active() {
		t.Fatalf("an untrusted partner's notice changed the list: %+v", e)
	}
	if e := participantEntryOf(t, za, "CF", "2014-01-01"); e.Status != protocol.StatusSuspended {
		t.Fatalf("the author's own notice does not apply on its node: %+v", e)
	}
	if err := be.TrustForParticipants("ZA", true, "test"); err != nil {
		t.Fatal(err)
	}
	e := participantEntryOf(t, be, "CF", "2014-01-01")
	if e.Status != protocol.StatusSuspended || e.Decision != "notice KP-2013-01: CAR suspended" ||
		e.Source.String() != fmt.Sprintf("partner ZA's notice seq %d", p.Seq) {
		t.Fatalf("after trusting ZA: %+v", e)
	}
	if e := participantEntryOf(t, be, "CF", "2013-05-22"); !e.Active() {
		t.Fatalf("before the suspension: %+v", e)
	}
	w := fmt.Sprintf(`{"version":1,"supersedes":{"seq":%d},"reason":"sent in error"}`, p.Seq)
	if _, err := za.Publish(context.Background(), protocol.WithdrawalType, []byte(w), []string{"BE"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "BE drops the withdrawn notice", func() error {
		if e := participantEntryOf(t, be, "CF", "2014-01-01"); !e.Active() {
			return fmt.Errorf("CF is %+v", e)
		}
		return nil
	})
}
