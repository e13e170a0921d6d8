package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// recordExamples maps each record type of this package to its example.
var recordExamples = map[string]string{
	NoticeType:               "notice.json",
	CertificateType:          "certificate.json",
	PreNotificationType:      "pre_notification.json",
	ImportConfirmationType:   "import_confirmation.json",
	TradeStatisticsType:      "trade_statistics.json",
	ProductionStatisticsType: "production_statistics.json",
	AnomalyQueryType:         "anomaly_query.json",
	AnomalyAnswerType:        "anomaly_answer.json",
	AcknowledgementType:      "acknowledgement.json",
	WithdrawalType:           "withdrawal.json",
	BatchType:                "batch.json",
	HandoverType:             "key_handover.json",
	AnnualReportType:         "annual_report.json",
	ParticipantUpdateType:    "participant_update.json",
	FootprintSampleType:      "footprint_sample.json",
}

// invalidCase is a change to an example and the field and reason it must
// be refused with; an empty reason means the change is valid.
type invalidCase struct {
	file   string
	change func(map[string]any)
	field  string
	reason string
}

// checkInvalid runs cases against the validator of typ and the typed
// parser through ParseRecord.
func checkInvalid(t *testing.T, typ string, tests []invalidCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.field+"/"+tt.reason, func(t *testing.T) {
			body := mutated(t, tt.file, tt.change)
			if tt.reason == "" {
				if err := ValidateRecord(typ, body); err != nil {
					t.Fatalf("valid change rejected: %v", err)
				}
				return
			}
			v, err := ParseRecord(typ, body)
			var ve *ValidationError
			if v != nil || !errors.As(err, &ve) || ve.Type != typ {
				t.Fatalf("ParseRecord = %v, %v; want nil and a %s ValidationError", v, err, typ)
			}
			if got, ok := ve.Reason(tt.field); !ok || !strings.Contains(got, tt.reason) {
				t.Errorf("field %q: reason %q, want %q; all: %v", tt.field, got, tt.reason, err)
			}
		})
	}
}

// TestEveryTypeHasExample checks that every registered type has a valid
// example in docs/examples named after it.
func TestEveryTypeHasExample(t *testing.T) {
	for _, rt := range Types() {
		name := rt.Name + ".json"
		if recordExamples[rt.Name] != name {
			t.Errorf("type %q: no entry in recordExamples", rt.Name)
		}
		if _, err := os.Stat(filepath.Join(examplesDir, name)); err != nil {
			t.Errorf("type %q: %v", rt.Name, err)
		}
	}
	if len(Types()) != 15 {
		t.Errorf("%d registered types, want 15", len(Types()))
	}
}

// TestRecordRoundTrip checks that every example parses, that its typed
// value marshals to a body the validator accepts, and that it parses back
// to the same value.
func TestRecordRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	for _, f := range files {
		typ := exampleType(filepath.Base(f))
		if typ == "card" {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			v, err := ParseRecord(typ, readFile(t, f))
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseRecord(typ, b)
			if err != nil {
				t.Fatalf("marshalled record does not validate: %v\n%s", err, b)
			}
			var want, got any = v, back
			if bv, ok := v.(*Batch); ok {
				want, got = bv.Records, back.(*Batch).Records // items are compacted
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the record:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestTypedParsers checks each ParseX against ParseRecord and its type.
func TestTypedParsers(t *testing.T) {
	body := func(typ string) []byte { return readFile(t, filepath.Join(examplesDir, recordExamples[typ])) }
	parsers := map[string]func([]byte) (any, error){
		NoticeType:               func(b []byte) (any, error) { return ParseNotice(b) },
		CertificateType:          func(b []byte) (any, error) { return ParseCertificate(b) },
		PreNotificationType:      func(b []byte) (any, error) { return ParsePreNotification(b) },
		ImportConfirmationType:   func(b []byte) (any, error) { return ParseImportConfirmation(b) },
		TradeStatisticsType:      func(b []byte) (any, error) { return ParseTradeStatistics(b) },
		ProductionStatisticsType: func(b []byte) (any, error) { return ParseProductionStatistics(b) },
		AnomalyQueryType:         func(b []byte) (any, error) { return ParseAnomalyQuery(b) },
		AnomalyAnswerType:        func(b []byte) (any, error) { return ParseAnomalyAnswer(b) },
		AcknowledgementType:      func(b []byte) (any, error) { return ParseAcknowledgement(b) },
		WithdrawalType:           func(b []byte) (any, error) { return ParseWithdrawal(b) },
		BatchType:                func(b []byte) (any, error) { return ParseBatch(b) },
		HandoverType:             func(b []byte) (any, error) { return ParseHandover(b) },
		AnnualReportType:         func(b []byte) (any, error) { return ParseAnnualReport(b) },
	}
	for typ, parse := range parsers {
		got, err := parse(body(typ))
		want, err2 := ParseRecord(typ, body(typ))
		if err != nil || err2 != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: typed parser %v, %v; ParseRecord %v, %v", typ, got, err, want, err2)
		}
		// A body of another type is refused with the parser's type name.
		other := body(CertificateType)
		if typ == CertificateType {
			other = body(NoticeType)
		}
		got, err = parse(other)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Type != typ || !reflect.ValueOf(got).IsNil() {
			t.Errorf("%s: parsing another type's body = %v, %v", typ, got, err)
		}
	}
}

func TestParsedValues(t *testing.T) {
	c, err := ParseCertificate(readFile(t, examplesDir+"/certificate.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Number != "IN0001234" || c.Issuer != "IN" || c.Destination != "BE" || c.Issued != (Date{2026, 9, 14}) ||
		c.TotalCarats != 183035 || c.TotalValueUSD != 23115250 || len(c.Lines) != 2 || c.Lines[0].HSCode != "7102.31" ||
		c.Lines[0].Carats != 152035 || c.Importer.Country != "BE" || c.Origin[0] != "MIXED" || c.Supersedes != nil {
		t.Errorf("certificate %+v", c)
	}
	s, err := ParseTradeStatistics(readFile(t, examplesDir+"/trade_statistics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Period.String() != "2026-Q3" || s.Flow != FlowExport || s.Carats != 125431055 || s.Certificates != 812 {
		t.Errorf("statistics %+v", s)
	}
	a, err := ParseAnomalyAnswer(readFile(t, examplesDir+"/anomaly_answer.json"))
	if err != nil || a.Query != (EntryRef{Feed: "BE", Seq: 4182}) || a.Status != "answered" {
		t.Errorf("answer %+v, %v", a, err)
	}
	w, err := ParseWithdrawal(readFile(t, examplesDir+"/withdrawal.json"))
	if err != nil || w.Supersedes != (Supersedes{Seq: 5120, Item: 3}) {
		t.Errorf("withdrawal %+v, %v", w, err)
	}
}

func TestNaturalKey(t *testing.T) {
	tests := []struct{ typ, want string }{
		{CertificateType, "certificate/IN/IN0001234"},
		{PreNotificationType, "pre_notification/IN/IN0001234"},
		{ImportConfirmationType, "import_confirmation/IN/IN0001234"},
		{TradeStatisticsType, "trade_statistics/IN/2026-Q3/export/BE/7102.31"},
		{ProductionStatisticsType, "production_statistics/BW/2026-H1"},
		{AnnualReportType, "annual_report/IN/2025"},
		{NoticeType, ""},
		{AnomalyQueryType, ""},
		{AnomalyAnswerType, ""},
		{AcknowledgementType, ""},
		{WithdrawalType, ""},
		{BatchType, ""},
	}
	for _, tt := range tests {
		got, err := NaturalKey(tt.typ, readFile(t, filepath.Join(examplesDir, recordExamples[tt.typ])))
		if err != nil || got != tt.want {
			t.Errorf("NaturalKey(%s) = %q, %v; want %q", tt.typ, got, err, tt.want)
		}
	}
	// A correction keeps the key of the record it corrects.
	corr := mutated(t, "certificate.json", set("supersedes", map[string]any{"seq": 7}))
	if got, _ := NaturalKey(CertificateType, corr); got != "certificate/IN/IN0001234" {
		t.Errorf("correction key %q", got)
	}
	// Batch items have their own keys.
	typ, items, err := BatchItems(readFile(t, examplesDir+"/batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"certificate/IN/IN0001235", "certificate/IN/IN0001236"} {
		if got, err := NaturalKey(typ, items[i]); err != nil || got != want {
			t.Errorf("item %d key %q, %v; want %q", i, got, err, want)
		}
	}
	var ve *ValidationError
	if k, err := NaturalKey(CertificateType, []byte(`{"version":1}`)); k != "" || !errors.As(err, &ve) {
		t.Errorf("invalid body: %q, %v", k, err)
	}
	if _, err := NaturalKey("nonexistent", []byte(`{}`)); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := ParseRecord("nonexistent", []byte(`{}`)); !errors.Is(err, ErrUnknownType) {
		t.Errorf("ParseRecord of an unknown type: %v", err)
	}
}

// TestSupersedes checks the optional supersedes member of every type but
// withdrawal and batch.
func TestSupersedes(t *testing.T) {
	for typ, file := range recordExamples {
		if typ == WithdrawalType || typ == BatchType || typ == HandoverType { // a hand-over is final: nothing supersedes it, it supersedes nothing
			continue
		}
		t.Run(typ, func(t *testing.T) {
			checkInvalid(t, typ, []invalidCase{
				{file, set("supersedes", map[string]any{"seq": 41}), "supersedes", ""},
				{file, set("supersedes", map[string]any{"seq": 41, "item": 9999}), "supersedes", ""},
				{file, set("supersedes", nil), "supersedes", ""},
				{file, set("supersedes", map[string]any{"seq": 0}), "supersedes.seq", "between 1 and"},
				{file, set("supersedes", map[string]any{"seq": -3}), "supersedes.seq", "between 1 and"},
				{file, set("supersedes", map[string]any{"seq": 1.5}), "supersedes.seq", "must be an integer"},
				{file, set("supersedes", map[string]any{"seq": "4"}), "supersedes.seq", "must be an integer"},
				{file, set("supersedes", map[string]any{}), "supersedes.seq", "is required"},
				{file, set("supersedes", map[string]any{"seq": 4, "item": -1}), "supersedes.item", "between 0 and 9999"},
				{file, set("supersedes", map[string]any{"seq": 4, "item": 10000}), "supersedes.item", "between 0 and 9999"},
				{file, set("supersedes", map[string]any{"seq": 4, "feed": "IN"}), "supersedes.feed", "unknown field"},
				{file, set("supersedes", 4), "supersedes", "must be an object"},
			})
		})
	}
	n, err := ParseNotice(mutated(t, "notice.json", set("supersedes", map[string]any{"seq": 12, "item": 0})))
	if err != nil || n.Supersedes == nil || *n.Supersedes != (Supersedes{Seq: 12}) {
		t.Errorf("notice supersedes: %+v, %v", n, err)
	}
}

// TestRecordsReportEveryError checks that problems in several places of
// one body are all reported, in reading order, unknown fields last.
func TestRecordsReportEveryError(t *testing.T) {
	body := mutated(t, "import_confirmation.json", func(m map[string]any) {
		set("certificate_number", "in 1234")(m)
		set("issuer", "TW")(m)
		set("carats_received", "1.005")(m)
		set("exporter.licence", del)(m)
		set("seals_intact", false)(m)
		set("remarks", del)(m)
		set("colour", "D")(m)
	})
	_, err := ParseImportConfirmation(body)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err %v", err)
	}
	want := []string{"certificate_number", "issuer", "carats_received", "exporter.licence", "remarks", "colour"}
	var got []string
	for _, fe := range ve.Errors {
		got = append(got, fe.Field)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
}

func TestRecordDocumentErrors(t *testing.T) {
	for typ := range recordExamples {
		for _, body := range []string{``, `[]`, `{"version":1}x`, `{"version":2}`, `{"version":1,"version":1}`, "{\"version\":1,\"x\":\"\xff\"}"} {
			v, err := ParseRecord(typ, []byte(body))
			var ve *ValidationError
			if v != nil || !errors.As(err, &ve) || len(ve.Errors) == 0 {
				t.Errorf("%s: ParseRecord(%q) = %v, %v", typ, body, v, err)
			}
		}
	}
}

// TestHandoverRefusesABadCard checks that a hand-over whose card does not
// verify fails validation at the card field.
func TestHandoverRefusesABadCard(t *testing.T) {
	body := readFile(t, filepath.Join(examplesDir, recordExamples[HandoverType]))
	h, err := ParseHandover(body)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(h.Card)
	i := bytes.Index(raw, []byte(`"Belgium`))
	raw[i+2] ^= 1 // one bit of the signed name
	h.Card = base64.StdEncoding.EncodeToString(raw)
	bad, _ := json.Marshal(h)
	_, err = ParseHandover(bad)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("tampered card: %v, want a validation error", err)
	}
	if _, ok := ve.Reason("card"); !ok {
		t.Fatalf("tampered card reported at %v, want the card field", err)
	}
}
