package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestInboxConfirmation: a certificate leaves IN's "unconfirmed" and BE's
// "to_confirm" only when BE, its destination, confirms it; IN's own
// confirmation of its own certificate does not count.
func TestInboxConfirmation(t *testing.T) {
	in, be := pairNodes(t)
	importFile(t, in, "certificates", "", "../docs/examples/import/certificates.csv")
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
	importFile(t, in, "confirmations", "BE&allow_non_party=true", "../docs/examples/import/confirmations.csv")
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

// TestCheckRecord: POST /api/records/{type}/check answers every wrong
// field at once, as publishing would, and publishes nothing.
func TestCheckRecord(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	code, body := call(t, in, "POST", "/api/records/notice/check", testToken,
		[]byte(`{"version": 1, "kind": "fraudulent_certificate", "fraudulent_certificate": {"purported_issuer": "India"}}`))
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("an invalid notice: %d %s", code, body)
	}
	var e struct {
		Error struct {
			Code   string                           `json:"code"`
			Fields []struct{ Field, Reason string } `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range e.Error.Fields {
		got[f.Field] = true
	}
	for _, want := range []string{"reference", "title", "fraudulent_certificate.purported_issuer", "fraudulent_certificate.action_requested"} {
		if !got[want] {
			t.Errorf("no error for %s in %s", want, body)
		}
	}
	if code, body := call(t, in, "POST", "/api/records/notice/check", testToken, []byte(exampleNotice(t))); code != http.StatusOK {
		t.Fatalf("a valid notice: %d %s", code, body)
	}
	if code, _ := call(t, in, "POST", "/api/records/nonsense/check", testToken, []byte(`{}`)); code != http.StatusBadRequest {
		t.Errorf("an unknown type: %d, want 400", code)
	}
	var feeds []json.RawMessage
	apiJSON(t, in, "GET", "/api/feeds", nil, &feeds)
	for _, f := range feeds {
		if strings.Contains(string(f), `"seq":1`) {
			t.Fatalf("a check published: %s", f)
		}
	}
	var ps []struct{ Code, Name string }
	apiJSON(t, in, "GET", "/api/participants", nil, &ps)
	if len(ps) < 50 || !slices.ContainsFunc(ps, func(p struct{ Code, Name string }) bool { return p.Code == "IN" && p.Name == "India" }) {
		t.Fatalf("participants: %d, India missing? %v", len(ps), ps[:min(3, len(ps))])
	}
}

// TestInboxWithdrawn: a notice its author withdrew no longer waits for an
// acknowledgement.
func TestInboxWithdrawn(t *testing.T) {
	in, be := pairNodes(t)
	req, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: []byte(exampleNotice(t))})
	var sent struct{ Seq uint64 }
	apiJSON(t, in, "POST", "/api/records/notice", req, &sent)
	var ib Inbox
	eventually(t, "BE's inbox lists the notice", func() error {
		apiJSON(t, be, "GET", "/api/inbox", nil, &ib)
		if len(ib.Notices) != 1 || ib.Notices[0].Seq != sent.Seq {
			return fmt.Errorf("notices: %+v", ib.Notices)
		}
		return nil
	})
	w := fmt.Sprintf(`{"version": 1, "supersedes": {"seq": %d}, "reason": "sent by mistake"}`, sent.Seq)
	req, _ = json.Marshal(PublishRequest{To: []string{"BE"}, Record: []byte(w)})
	apiJSON(t, in, "POST", "/api/records/withdrawal", req, nil)
	eventually(t, "the withdrawn notice leaves BE's inbox", func() error {
		apiJSON(t, be, "GET", "/api/inbox", nil, &ib)
		if len(ib.Notices) != 0 {
			return fmt.Errorf("notices: %+v", ib.Notices)
		}
		return nil
	})
}
