package api

import (
	"fmt"
	"testing"
)

// TestInboxConfirmation: a certificate leaves IN's "unconfirmed" and BE's
// "to_confirm" only when BE, its destination, confirms it; IN's own
// confirmation of its own certificate does not count.
func TestInboxConfirmation(t *testing.T) {
	in, be := pairNodes(t)
	importFile(t, in, "certificates", "BE", "../docs/examples/import/certificates.csv")
	numbers := func(list []CertificateRef) map[string]bool {
		m := map[string]bool{}
		for _, c := range list {
			m[c.Number] = true
		}
		return m
	}
	var ib Inbox
	eventually(t, "BE holds IN's certificates to confirm", func() error {
		apiJSON(t, be, "GET", "/api/inbox", nil, &ib)
		if !numbers(ib.ToConfirm)["IN0012001"] {
			return fmt.Errorf("to_confirm: %+v", ib.ToConfirm)
		}
		return nil
	})
	apiJSON(t, in, "GET", "/api/inbox", nil, &ib)
	if !numbers(ib.Unconfirmed)["IN0012001"] || len(ib.ToConfirm) != 0 {
		t.Fatalf("IN's inbox before any confirmation: %+v", ib)
	}
	// IN confirming its own certificate (to BE) is not BE's confirmation.
	importFile(t, in, "confirmations", "BE", "../docs/examples/import/confirmations.csv")
	apiJSON(t, in, "GET", "/api/inbox", nil, &ib)
	if !numbers(ib.Unconfirmed)["IN0012001"] {
		t.Fatalf("IN's own confirmation confirmed its certificate: %+v", ib.Unconfirmed)
	}
	importFile(t, be, "confirmations", "IN", "../docs/examples/import/confirmations.csv")
	eventually(t, "IN sees BE's confirmation", func() error {
		apiJSON(t, in, "GET", "/api/inbox", nil, &ib)
		if numbers(ib.Unconfirmed)["IN0012001"] {
			return fmt.Errorf("IN0012001 still unconfirmed: %+v", ib.Unconfirmed)
		}
		return nil
	})
	apiJSON(t, be, "GET", "/api/inbox", nil, &ib)
	if numbers(ib.ToConfirm)["IN0012001"] {
		t.Fatalf("BE still lists IN0012001 to confirm: %+v", ib.ToConfirm)
	}
}
