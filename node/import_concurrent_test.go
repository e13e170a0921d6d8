package node

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// Two imports of one file (or of overlapping files) at once publish each
// record once: the check of what is held and the append are one step.
func TestConcurrentImportsPublishOnce(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	certs := certificates(t, 40)
	files := [][][]byte{certs, certs, certs[10:], certs[:30], certs}
	results := make([]ImportResult, len(files))
	errs := make([]error, len(files))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, items := range files {
		done.Go(func() {
			start.Wait()
			results[i], errs[i] = in.Import(context.Background(), protocol.CertificateType, items, []string{"BE"}, false)
		})
	}
	start.Done()
	done.Wait()
	newTotal := 0
	for i := range files {
		if errs[i] != nil {
			t.Fatalf("import %d: %v", i, errs[i])
		}
		newTotal += results[i].New
		if results[i].New+results[i].Skipped != len(files[i]) {
			t.Errorf("import %d: %d new + %d skipped of %d records", i, results[i].New, results[i].Skipped, len(files[i]))
		}
	}
	self := in.id.Public()
	held, err := in.heldRecordsOf(protocol.CertificateType, &self)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, h := range held {
		seen[naturalKeyOf(h.Value)]++
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("%s published %d times", k, c)
		}
	}
	if len(held) != len(certs) || newTotal != len(certs) {
		t.Fatalf("%d records held, %d counted new, want %d each", len(held), newTotal, len(certs))
	}
}

// Publishes and imports correcting one record at once: in each round,
// one of them wins and the others are refused.
func TestConcurrentCorrectionsOfOneRecord(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	one := table(t, "certificates", certHeader+certRow("IN0000001", "IN", "BE", "2026-09-14", "10.00", "100.00", "", ""))
	mustImport(t, in, protocol.CertificateType, one, 1)
	for round := range 10 {
		target := uint64(round + 1) // the current record: the last correction
		errs := make([]error, 8)
		var wg sync.WaitGroup
		for i := range errs {
			carats := fmt.Sprintf("%d.00", 11+round*10+i)
			fix := table(t, "certificates", certHeader+certRow("IN0000001", "IN", "BE", "2026-09-14", carats, "100.00", fmt.Sprint(target), "0"))
			wg.Go(func() {
				if i%2 == 0 {
					_, errs[i] = in.Publish(context.Background(), protocol.CertificateType, fix[0], []string{"BE"})
				} else {
					_, errs[i] = in.Import(context.Background(), protocol.CertificateType, fix, []string{"BE"}, false)
				}
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			}
		}
		if h, _ := in.st.Head(in.id.Public()); ok != 1 || h.Seq != target+1 {
			t.Fatalf("round %d: %d corrections of entry %d accepted, head %d: want one, head %d (%v)", round, ok, target, h.Seq, target+1, errs)
		}
	}
}
