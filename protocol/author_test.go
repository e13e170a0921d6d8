package protocol

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckAuthor checks every type that names its author: the feed's own
// code passes, the EU and its member-state authorities pass for each
// other, and any other participant is refused naming field and both codes.
func TestCheckAuthor(t *testing.T) {
	tests := []struct {
		file, typ, field string
	}{
		{"certificate.json", CertificateType, "issuer"},
		{"pre_notification.json", PreNotificationType, "issuer"},
		{"trade_statistics.json", TradeStatisticsType, "reporter"},
		{"production_statistics.json", ProductionStatisticsType, "reporter"},
		{"notice.json", NoticeType, "fraudulent_certificate.detected_by"},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			v := parseAs(t, tc.typ, mutated(t, tc.file, set(tc.field, "DE")))
			for _, feed := range []string{"DE", "EU"} {
				if err := CheckAuthor(feed, v); err != nil {
					t.Errorf("feed %s: %v", feed, err)
				}
			}
			for _, feed := range []string{"IN", "BE", "AE"} {
				err := CheckAuthor(feed, v)
				if !errors.Is(err, ErrForeignAuthor) {
					t.Fatalf("feed %s: got %v, want ErrForeignAuthor", feed, err)
				}
				for _, want := range []string{tc.field, "DE", feed} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("feed %s: %q does not name %q", feed, err, want)
					}
				}
			}
			eu := parseAs(t, tc.typ, mutated(t, tc.file, set(tc.field, "EU")))
			if err := CheckAuthor("DE", eu); err != nil {
				t.Errorf("a Union authority writing for the EU: %v", err)
			}
		})
	}
}

// TestCheckAuthorBatch checks that one foreign item refuses a batch and is
// named by its index.
func TestCheckAuthorBatch(t *testing.T) {
	own := readFile(t, examplesDir+"/trade_statistics.json")
	foreign := mutated(t, "trade_statistics.json", func(m map[string]any) {
		set("reporter", "BE")(m)
		set("partner", "IN")(m)
	})
	body, err := PackBatches(TradeStatisticsType, [][]byte{own, foreign}, 0)
	if err != nil {
		t.Fatal(err)
	}
	v := parseAs(t, BatchType, body[0])
	err = CheckAuthor("IN", v)
	// The second item, numbered from 1 as people read it.
	if !errors.Is(err, ErrForeignAuthor) || !strings.HasPrefix(err.Error(), "item 2: ") {
		t.Fatalf("got %v, want item 2 refused", err)
	}
}

// TestTypesWithoutAuthorField lists the types whose author is their feed
// alone, so that a new type must be placed in one list or the other.
func TestTypesWithoutAuthorField(t *testing.T) {
	for _, f := range []string{"import_confirmation.json", "acknowledgement.json", "anomaly_query.json", "anomaly_answer.json", "withdrawal.json",
		"notice-enhanced-vigilance.json", "notice-suspicious-shipment.json", "notice-participant-status-change.json"} {
		typ := strings.TrimSuffix(strings.Split(f, "-")[0], ".json")
		v := parseAs(t, typ, readFile(t, examplesDir+"/"+f))
		if c, ok := ClaimedAuthor(v); ok {
			t.Errorf("%s: claims author %+v", f, c)
		}
	}
}

func parseAs(t *testing.T, typ string, body []byte) any {
	t.Helper()
	v, err := ParseRecord(typ, body)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
