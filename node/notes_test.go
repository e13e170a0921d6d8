package node

import (
	"errors"
	"strings"
	"testing"
)

// TestOperatorNotesRefuseBidi checks that the notes an operator keeps
// outside records (a finding's acknowledgement, a forced end of recovery)
// refuse bidirectional controls as record text does: the dashboard and
// the audit log show them.
func TestOperatorNotesRefuseBidi(t *testing.T) {
	in := testNode(t, "IN")
	note := "checked with BE \u202egnp.exe"
	if _, err := in.AcknowledgeFinding("R2/IN/IN0001234", note); !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), "U+202E") {
		t.Fatalf("acknowledge with a bidi override: %v", err)
	}
	if _, err := in.ForceRecovered(note); !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), "U+202E") {
		t.Fatalf("force recovery with a bidi override: %v", err)
	}
}
