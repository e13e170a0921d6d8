package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/node"
)

// TestInboxConfirmation: a certificate leaves IN's "unconfirmed" and BE's
// "to_confirm" only when BE, its destination, confirms it; IN's own
// confirmation of its own certificate does not count.
func TestInboxConfirmation(t *testing.T) {
	in, be := pairNodes(t)
	importFile(t, in, "certificates", "", "../docs/examples/import/certificates.csv")
	numbers := func(list []node.CertificateRef) map[string]bool {
		m := map[string]bool{}
		for _, c := range list {
			m[c.Number] = true
		}
		return m
	}
	var ib node.Inbox
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
	var ib node.Inbox
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

// TestInboxConfirmationWithdrawnOrCorrected: a confirmation its author
// withdrew confirms nothing, and one corrected to another certificate
// confirms only that one: the certificate awaits confirmation again.
func TestInboxConfirmationWithdrawnOrCorrected(t *testing.T) {
	in, be := pairNodes(t)
	importFile(t, in, "certificates", "", "../docs/examples/import/certificates.csv")
	unconfirmed := func(number string) func() error {
		return func() error {
			var ib node.Inbox
			apiJSON(t, in, "GET", "/api/inbox", nil, &ib)
			for _, c := range ib.Unconfirmed {
				if c.Number == number {
					return nil
				}
			}
			return fmt.Errorf("%s is not unconfirmed at IN: %+v", number, ib.Unconfirmed)
		}
	}
	confirmed := func(number string) func() error {
		return func() error {
			if unconfirmed(number)() == nil {
				return fmt.Errorf("%s still unconfirmed at IN", number)
			}
			return nil
		}
	}
	conf := func(number, supersedes string) []byte {
		return []byte(`{"version": 1, ` + supersedes + `"certificate_number": "` + number + `", "issuer": "IN",
			"parcels_received": 3, "carats_received": "1830.35",
			"importer": {"name": "Antwerp Rough Trading BV", "licence": "FOD-DIA-004512", "country": "BE"},
			"exporter": {"name": "Shree Ram Diamonds Pvt Ltd", "licence": "GJEPC/KP/2026/01873", "country": "IN"},
			"received": "2026-09-17", "seals_intact": true, "contents_match": true}`)
	}
	publish := func(typ string, record []byte) uint64 {
		req, _ := json.Marshal(PublishRequest{To: []string{"IN"}, Record: record})
		var sent struct{ Seq uint64 }
		apiJSON(t, be, "POST", "/api/records/"+typ, req, &sent)
		return sent.Seq
	}
	first := publish("import_confirmation", conf("IN0012001", ""))
	eventually(t, "BE's confirmation reaches IN", confirmed("IN0012001"))
	publish("withdrawal", []byte(fmt.Sprintf(`{"version": 1, "supersedes": {"seq": %d}, "reason": "entered in error"}`, first)))
	eventually(t, "the withdrawn confirmation confirms nothing", unconfirmed("IN0012001"))

	second := publish("import_confirmation", conf("IN0012001", ""))
	eventually(t, "BE confirms again", confirmed("IN0012001"))
	publish("import_confirmation", conf("IN0012003", fmt.Sprintf(`"supersedes": {"seq": %d}, `, second)))
	eventually(t, "the corrected confirmation confirms only IN0012003", func() error {
		if err := unconfirmed("IN0012001")(); err != nil {
			return err
		}
		return confirmed("IN0012003")()
	})
}

// TestInboxAcknowledgementWithdrawn: a notice whose acknowledgement this
// node withdrew waits for one again.
func TestInboxAcknowledgementWithdrawn(t *testing.T) {
	in, be := pairNodes(t)
	req, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: []byte(exampleNotice(t))})
	var sent struct{ Seq uint64 }
	apiJSON(t, in, "POST", "/api/records/notice", req, &sent)
	notices := func(want int) func() error {
		return func() error {
			var ib node.Inbox
			apiJSON(t, be, "GET", "/api/inbox", nil, &ib)
			if len(ib.Notices) != want {
				return fmt.Errorf("%d notices wait, want %d: %+v", len(ib.Notices), want, ib.Notices)
			}
			return nil
		}
	}
	eventually(t, "BE's inbox lists the notice", notices(1))
	ack := fmt.Sprintf(`{"version": 1, "of": {"feed": "IN", "seq": %d}, "received": "2026-11-20"}`, sent.Seq)
	req, _ = json.Marshal(PublishRequest{To: []string{"IN"}, Record: []byte(ack)})
	var acked struct{ Seq uint64 }
	apiJSON(t, be, "POST", "/api/records/acknowledgement", req, &acked)
	eventually(t, "the acknowledged notice leaves the inbox", notices(0))
	w := fmt.Sprintf(`{"version": 1, "supersedes": {"seq": %d}, "reason": "acknowledged the wrong notice"}`, acked.Seq)
	req, _ = json.Marshal(PublishRequest{To: []string{"IN"}, Record: []byte(w)})
	apiJSON(t, be, "POST", "/api/records/withdrawal", req, nil)
	eventually(t, "the notice waits again", notices(1))
}
