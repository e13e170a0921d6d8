package node

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
)

// TestRotatedFeedsCountApart: IN's old feed holds certificate IN0000003
// at seq 3; IN rotates its key, and its new feed holds another
// certificate, IN0000013, at seq 3 and at seq 4 a correction of it (2
// parcels, not 3). At BE both count, IN0000013 as corrected, and the
// correction leaves the old feed's seq 3 alone: BE's confirmations of
// both (the second of 2 parcels) raise nothing, and BE's export lists
// both certificates once.
func TestRotatedFeedsCountApart(t *testing.T) {
	in := newFixture(t, "IN")
	in.start()
	be := testNode(t, "BE")
	pin(t, be, in.n)
	pin(t, in.n, be)
	ctx := context.Background()
	publish := func(n *Node, typ string, body []byte, to string) uint64 {
		t.Helper()
		p, err := n.Publish(ctx, typ, body, []string{to})
		if err != nil {
			t.Fatalf("publish %s: %v", typ, err)
		}
		return p.Seq
	}
	certs := certificates(t, 13)
	for _, c := range certs[:3] { // old feed: seq 1..3, IN0000003 at seq 3
		publish(in.n, "certificate", c, "BE")
	}
	old, next := in.id, mustIdentity(t)
	if _, err := in.n.Rotate(ctx, next, "test rotation", 10*time.Second); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	eventually(t, 30*time.Second, "BE follows IN", func() error { return follows(be, "IN", next.Public()) })
	in.stop()
	in.id, in.retired = next, []*crypto.Identity{old}
	in.start()

	for _, c := range certs[10:12] { // new feed: seq 1, 2
		publish(in.n, "certificate", c, "BE")
	}
	if seq := publish(in.n, "certificate", certs[12], "BE"); seq != 3 {
		t.Fatalf("IN0000013 at seq %d of the new feed, want 3", seq)
	}
	corrected := bytes.Replace(certs[12], []byte(`"version": 1,`), []byte(`"version": 1, "supersedes": {"seq": 3},`), 1)
	corrected = bytes.Replace(corrected, []byte(`"parcels": 3`), []byte(`"parcels": 2`), 1)
	publish(in.n, "certificate", corrected, "BE")
	eventually(t, 30*time.Second, "BE holds IN's new feed", func() error { return holds(be, "IN", 4) })

	publish(be, "import_confirmation", confirmationOf(t, "IN0000003", 3), "IN")
	publish(be, "import_confirmation", confirmationOf(t, "IN0000013", 2), "IN")
	for _, id := range []string{"R3/IN/IN0000003", "R1/IN/IN0000013", "R1/IN/IN0000003"} {
		if _, err := be.FindingView(id); err == nil {
			t.Errorf("BE raised %s", id)
		}
	}
	if fs := be.Findings(reconcile.Query{Rule: "R3"}); len(fs) != 0 {
		t.Errorf("BE's R3 findings: %+v", fs)
	}
	if fs := be.Findings(reconcile.Query{Rule: "R1"}); len(fs) != 0 {
		t.Errorf("BE's R1 findings: %+v", fs)
	}
	bodies, err := be.Export(protocol.CertificateType, ExportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for _, b := range bodies {
		c, err := protocol.ParseCertificate(b)
		if err != nil {
			t.Fatal(err)
		}
		if c.Number == "IN0000013" && c.Parcels != 2 {
			t.Errorf("IN0000013 exported with %d parcels, want the correction's 2", c.Parcels)
		}
		numbers = append(numbers, c.Number)
	}
	slices.Sort(numbers)
	if want := []string{"IN0000001", "IN0000002", "IN0000003", "IN0000011", "IN0000012", "IN0000013"}; !slices.Equal(numbers, want) {
		t.Fatalf("BE exports %v, want %v", numbers, want)
	}
}

func mustIdentity(t *testing.T) *crypto.Identity {
	t.Helper()
	id, err := crypto.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// confirmationOf returns BE's confirmation of IN's certificate number,
// received with parcels.
func confirmationOf(t *testing.T, number string, parcels int) []byte {
	t.Helper()
	b, err := os.ReadFile("../docs/examples/import_confirmation.json")
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"IN0001234"`), []byte(`"`+number+`"`), 1)
	return bytes.Replace(b, []byte(`"parcels_received": 3`), fmt.Appendf(nil, `"parcels_received": %d`, parcels), 1)
}
