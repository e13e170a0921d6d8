package node

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// A correction identical to the current record it supersedes changes
// nothing: an import refuses it (the whole file), a publish refuses it,
// and importing again a correction already held adds nothing.
func TestNoOpCorrectionRefused(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	two := certHeader + certRow("IN0000001", "IN", "BE", "2026-09-14", "1520.35", "228052.50", "", "") +
		certRow("IN0000002", "IN", "BE", "2026-09-15", "1520.35", "228052.50", "", "")
	mustImport(t, in, "certificate", table(t, "certificates", two), 2) // entry 1

	same := certRow("IN0000001", "IN", "BE", "2026-09-14", "1520.35", "228052.50", "1", "0")
	refused(t, in, "certificate", table(t, "certificates", certHeader+same), "", "the same as entry 1 item 1")
	// all or nothing: a real correction beside it is not imported either
	real := certRow("IN0000002", "IN", "BE", "2026-09-15", "1500.00", "228052.50", "1", "1")
	refused(t, in, "certificate", table(t, "certificates", certHeader+real+same), "", "nothing to correct")

	// a single published correction is refused the same way
	body := withSupersedes(t, table(t, "certificates", certHeader+certRow("IN0000001", "IN", "BE", "2026-09-14", "1520.35", "228052.50", "", ""))[0], 1)
	_, err := in.Publish(context.Background(), protocol.CertificateType, body, []string{"BE"})
	if !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), "the same as entry 1 item 1") {
		t.Fatalf("publish of a correction that changes nothing: %v", err)
	}

	// a real correction, then the same correction again: nothing new, no
	// error; a correction of it repeating it is refused
	mustImport(t, in, "certificate", table(t, "certificates", certHeader+real), 1) // entry 2
	mustImport(t, in, "certificate", table(t, "certificates", certHeader+real), 0)
	// the correction's data without supersedes: held, as the export of
	// current records read by another tool would give it
	plain := certRow("IN0000002", "IN", "BE", "2026-09-15", "1500.00", "228052.50", "", "")
	mustImport(t, in, "certificate", table(t, "certificates", certHeader+plain), 0)
	again := certRow("IN0000002", "IN", "BE", "2026-09-15", "1500.00", "228052.50", "2", "0")
	refused(t, in, "certificate", table(t, "certificates", certHeader+again), "", "the same as entry 2 item 1")
	if h, _ := in.st.Head(in.id.Public()); h.Seq != 2 {
		t.Fatalf("head %d, want 2", h.Seq)
	}
}
