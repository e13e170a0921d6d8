package node

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/reconcile"
)

// confirmations returns BE's confirmations of IN's certificates
// IN0000001…: the first 989 match, one has 5 carats too few, and one cites
// a certificate IN never issued.
func confirmations(t *testing.T) [][]byte {
	t.Helper()
	tmpl, err := os.ReadFile("../docs/examples/import_confirmation.json")
	if err != nil {
		t.Fatal(err)
	}
	conf := func(number, carats string) []byte {
		s := strings.Replace(string(tmpl), `"IN0001234"`, `"`+number+`"`, 1)
		return []byte(strings.Replace(s, `"1830.35"`, `"`+carats+`"`, 1))
	}
	var out [][]byte
	for i := 1; i <= 989; i++ {
		out = append(out, conf(fmt.Sprintf("IN%07d", i), "1830.35"))
	}
	out = append(out, conf("IN0000990", "1825.35"), conf("IN0999999", "1830.35"))
	return out
}

// countByRule counts findings by rule id.
func countByRule(fs []reconcile.Finding) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[f.Rule]++
	}
	return m
}

// TestReconcileEndToEnd: IN imports 1,000 certificates to BE; BE imports
// 991 confirmations (989 match, 1 carat mismatch, 1 for a certificate IN
// never issued). Once the confirmation window has passed, both nodes show
// exactly 10 unconfirmed, 1 mismatch and 1 unknown certificate.
func TestReconcileEndToEnd(t *testing.T) {
	later := func() time.Time { return time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC) } // 4 months after issue
	in, be := testNodeAt(t, "IN", later), testNodeAt(t, "BE", later)
	pin(t, in, be)
	pin(t, be, in)
	ctx := context.Background()
	if _, err := in.Import(ctx, "certificate", certificates(t, 1000), []string{"BE"}, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "BE holds IN's certificates", func() error {
		h, _ := in.st.Head(in.id.Public())
		return holds(be, "IN", h.Seq)
	})
	if _, err := be.Import(ctx, "import_confirmation", confirmations(t), []string{"IN"}, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"R1": 1, "R2": 10, "R3": 1}
	for _, n := range []*Node{in, be} {
		eventually(t, 60*time.Second, n.Participant()+"'s findings", func() error {
			got := countByRule(n.Findings(reconcile.Query{}))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("findings by rule %v, want %v", got, want)
			}
			return nil
		})
	}
	f := in.Findings(reconcile.Query{Rule: "R1"})[0]
	if _, text, err := in.ExplainFinding(f.ID); err != nil || !strings.Contains(text, "1825.35") {
		t.Fatalf("explain %s: %q, %v", f.ID, text, err)
	}
}

// testNodeAt is testNode with the node's clock fixed at now().
func testNodeAt(t *testing.T, code string, now func() time.Time) *Node {
	t.Helper()
	return testNodeWith(t, code, func(n *Node) { n.now = now })
}
