package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/kpnode/kpnode/protocol"
)

// appendAudits appends n events "test.N" with details {"n": N}.
func appendAudits(tb testing.TB, s *Store, n int) []AuditRecord {
	tb.Helper()
	var out []AuditRecord
	for i := range n {
		r, err := s.AppendAudit(AuditEvent{Action: fmt.Sprintf("test.%d", i+1), Details: map[string]int{"n": i + 1}})
		if err != nil {
			tb.Fatalf("AppendAudit %d: %v", i+1, err)
		}
		out = append(out, r)
	}
	return out
}

func verifyAudit(tb testing.TB, s *Store) AuditReport {
	tb.Helper()
	rep, err := s.VerifyAudit(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// wantBreak checks that rep reports the chain broken at seq, saying says.
func wantBreak(tb testing.TB, rep AuditReport, seq uint64, says string) {
	tb.Helper()
	if rep.OK() || rep.BrokenAt != seq || rep.Problems[0].Kind != ProblemAudit || !strings.Contains(rep.Problems[0].Detail, says) {
		tb.Fatalf("report %+v, want the chain broken at %d saying %q", rep, seq, says)
	}
}

func TestAuditChain(t *testing.T) {
	s := openMem(t)
	appended := appendAudits(t, s, 3)
	log, err := s.AuditLog(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 3 || log[0].Seq != 3 || log[2].Seq != 1 {
		t.Fatalf("log %+v, want seqs 3, 2, 1", log)
	}
	for i, r := range log {
		want := appended[2-i]
		if r.Hash != want.Hash || r.Hash != auditHash(&r) || r.Action != want.Action || string(r.Details) != string(want.Details) {
			t.Errorf("record %d = %+v, appended %+v", r.Seq, r, want)
		}
	}
	if !log[2].Prev.IsZero() || log[1].Prev != log[2].Hash || log[0].Prev != log[1].Hash {
		t.Errorf("prev links do not chain: %+v", log)
	}
	if string(log[0].Details) != `{"actor":"node","n":3}` || log[0].Actor != ActorNode || log[0].Time.IsZero() {
		t.Errorf("newest record %+v", log[0])
	}
	if top, _ := s.AuditLog(1); len(top) != 1 || top[0].Seq != 3 {
		t.Errorf("AuditLog(1) = %+v", top)
	}
	rep := verifyAudit(t, s)
	if !rep.OK() || rep.Records != 3 || rep.Head != 3 || rep.HeadHash != log[0].Hash {
		t.Errorf("VerifyAudit = %+v", rep)
	}
}

func TestAuditTamperDetected(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	appendAudits(t, s, 3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := TamperAudit(dir, 2, -2); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir)
	wantBreak(t, verifyAudit(t, s), 2, "audit record 2 (test.2) was altered")
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, rep, Problem{Seq: 2, Kind: ProblemAudit})
	if rep.AuditRecords != 3 {
		t.Errorf("Verify counted %d audit records, want 3", rep.AuditRecords)
	}
}

// TestAuditRewrittenRecord rewrites record 2 with a hash that matches its
// new fields: the break shows at record 3, which names the old hash.
func TestAuditRewrittenRecord(t *testing.T) {
	s := openMem(t)
	log := appendAudits(t, s, 3)
	forged := log[1]
	forged.Details = json.RawMessage(`{"n":20}`)
	forged.Hash = auditHash(&forged)
	if err := s.setKey(auditKey(2), encodeAudit(&forged)); err != nil {
		t.Fatal(err)
	}
	wantBreak(t, verifyAudit(t, s), 3, "audit record 3 names prev")
}

func TestAuditRecordRemoved(t *testing.T) {
	s := openMem(t)
	appendAudits(t, s, 4)
	if err := s.deleteKey(auditKey(2)); err != nil {
		t.Fatal(err)
	}
	wantBreak(t, verifyAudit(t, s), 2, "audit record 2 missing")
	if err := s.deleteKey(auditKey(3)); err != nil {
		t.Fatal(err)
	}
	wantBreak(t, verifyAudit(t, s), 2, "audit records 2..3 missing")
}

// TestAuditAfterDamagedLast checks that a damaged last record does not
// stop the log (actions must not be refused) and that Verify reports it.
func TestAuditAfterDamagedLast(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	appendAudits(t, s, 2)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := TamperAudit(dir, 2, 0); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir)
	r, err := s.AppendAudit(AuditEvent{Action: "test.after"})
	if err != nil || r.Seq != 3 || string(r.Details) != `{"actor":"node"}` {
		t.Fatalf("AppendAudit after damage = %+v, %v", r, err)
	}
	rep := verifyAudit(t, s)
	wantBreak(t, rep, 2, "malformed audit record 2")
	if len(rep.Problems) != 1 {
		t.Errorf("problems %+v, want only the damaged record", rep.Problems)
	}
}

func TestAuditConcurrentAppends(t *testing.T) {
	s := openMem(t)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				if _, err := s.AppendAudit(AuditEvent{Action: "test.concurrent", Details: map[string]int{"g": g, "i": i}}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	rep := verifyAudit(t, s)
	if !rep.OK() || rep.Records != 40 || rep.Head != 40 {
		t.Fatalf("VerifyAudit = %+v, want 40 chained records", rep)
	}
}

// TestAuditSameTransaction checks that an audited partner change writes
// its audit record with it, and that a failed change writes neither.
func TestAuditSameTransaction(t *testing.T) {
	s := openMem(t)
	p := Partner{Code: "BE", Card: []byte("card"), Key: newChain(t).author()}
	if err := s.PutPartnerAudited(p, AuditEvent{Action: "partner.add", Details: map[string]string{"code": "BE"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemovePartnerAudited("FR", AuditEvent{Action: "partner.remove"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("RemovePartnerAudited(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.RemovePartnerAudited("BE", AuditEvent{Action: "partner.remove"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMetaAudited("ack/x", []byte("1"), AuditEvent{Action: "finding.ack"}); err != nil {
		t.Fatal(err)
	}
	log, err := s.AuditLog(0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range log {
		actions = append(actions, r.Action)
	}
	if strings.Join(actions, " ") != "finding.ack partner.remove partner.add" {
		t.Fatalf("audit actions %v, want finding.ack partner.remove partner.add", actions)
	}
	if got, _ := s.Partner("BE"); !got.Removed {
		t.Error("partner BE not removed")
	}
}

func TestAuditEventInvalid(t *testing.T) {
	s := openMem(t)
	for _, ev := range []AuditEvent{
		{Action: ""},
		{Action: "Partner Add"},
		{Action: strings.Repeat("a", 65)},
		{Action: "x", Details: []int{1}},
		{Action: "x", Details: func() {}},
		{Action: "x", Details: map[string]string{"big": strings.Repeat("a", maxAuditDetails)}},
	} {
		if _, err := s.AppendAudit(ev); !errors.Is(err, ErrInvalid) {
			t.Errorf("AppendAudit(%q) = %v, want ErrInvalid", ev.Action, err)
		}
	}
	if err := s.PutPartnerAudited(Partner{Code: "BE"}, AuditEvent{Action: "BAD"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutPartnerAudited(bad action) = %v, want ErrInvalid", err)
	}
	if _, err := s.Partner("BE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a refused audited change wrote the partner: %v", err)
	}
	if log, _ := s.AuditLog(0); len(log) != 0 {
		t.Errorf("audit log %+v, want empty", log)
	}
}

func TestRecordSalt(t *testing.T) {
	s := openMem(t)
	c := newChain(t)
	es := c.build(3, "note")
	salt := make([]byte, protocol.SaltSize)
	salt[0] = 7
	salted := recordFor(es[0])
	salted.Salt = salt
	if err := s.Append(es[0], salted); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(es[1], recordFor(es[1])); err != nil {
		t.Fatal(err)
	}
	bad := recordFor(es[2])
	bad.Salt = salt[:31]
	wantErr(t, s.Append(es[2], bad), ErrInvalid)
	r1, err := s.Record(c.author(), 1)
	if err != nil || string(r1.Salt) != string(salt) || string(r1.Body) != `{"seq":1}` || r1.Type != "note" {
		t.Fatalf("salted record = %+v, %v", r1, err)
	}
	r2, err := s.Record(c.author(), 2)
	if err != nil || r2.Salt != nil || string(r2.Body) != `{"seq":2}` {
		t.Fatalf("record without salt = %+v, %v", r2, err)
	}
	rep, err := s.Verify(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

// TestLayoutUpgrade opens a layout-1 store: it becomes layout 3 and keeps
// its records, which have no salt.
func TestLayoutUpgrade(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	c := newChain(t)
	appendAll(t, s, c.build(2, "note"), true)
	if err := s.setKey(keyVersion, be32(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, dir)
	var v []byte
	err := s.view(func(txn *badger.Txn) error {
		var err error
		v, err = getValue(txn, keyVersion)
		return err
	})
	if err != nil || uint32FromBE(v) != layoutVersion {
		t.Fatalf("layout after upgrade %x, %v; want %d", v, err, layoutVersion)
	}
	if r, err := s.Record(c.author(), 2); err != nil || r.Salt != nil {
		t.Fatalf("record after upgrade = %+v, %v", r, err)
	}
	appendAudits(t, s, 1)
}

// TestAuditActor: every record names its actor, inside the hashed details,
// and details cannot claim an actor of their own.
func TestAuditActor(t *testing.T) {
	s := openMem(t)
	r, err := s.AppendAudit(AuditEvent{Action: "test.actor", Actor: "alice", Details: map[string]int{"n": 1}})
	if err != nil || r.Actor != "alice" || string(r.Details) != `{"actor":"alice","n":1}` || r.Hash != auditHash(&r) {
		t.Fatalf("AppendAudit = %+v, %v", r, err)
	}
	log, err := s.AuditLog(1)
	if err != nil || len(log) != 1 || log[0].Actor != "alice" {
		t.Fatalf("AuditLog = %+v, %v", log, err)
	}
	if _, err := s.AppendAudit(AuditEvent{Action: "test.forged", Actor: "bob", Details: map[string]string{"actor": "alice"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("details with their own actor: %v, want ErrInvalid", err)
	}
	if r, err := s.AppendAudit(AuditEvent{Action: "test.empty"}); err != nil || r.Actor != ActorNode {
		t.Fatalf("no actor: %+v, %v, want %q", r, err, ActorNode)
	}
}
