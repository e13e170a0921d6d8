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

// TestReadTableAsNamesTheRow checks that an import file with a record in
// another authority's name is refused naming file, row and column, in CSV
// (a certificate over two rows, named by its first) and in JSON.
func TestReadTableAsNamesTheRow(t *testing.T) {
	kind, _ := LookupKind("trade-statistics")
	csvFile := "reporter,period,flow,partner,hs_code,carats,value_usd,certificates\n" +
		"IN,2026-Q1,export,BE,7102.31,5.00,500.00,1\n" +
		"BE,2026-Q1,export,AE,7102.31,5.00,500.00,1\n"
	_, err := ReadTableAs(kind, "stats.csv", strings.NewReader(csvFile), "", "IN")
	if err == nil || !strings.Contains(err.Error(), "stats.csv:3:reporter: is BE, but this node is IN's") {
		t.Fatalf("got %v", err)
	}
	if _, err := ReadTable(kind, "stats.csv", strings.NewReader(csvFile), ""); err != nil {
		t.Fatalf("without an author: %v", err)
	}
	jsonFile := `[{"reporter":"EU","period":"2026-Q1","flow":"export","partner":"IN","hs_code":"7102.31","carats":"5.00","value_usd":"500.00","certificates":1},` +
		`{"reporter":"DE","period":"2026-Q1","flow":"export","partner":"IN","hs_code":"7102.31","carats":"5.00","value_usd":"500.00","certificates":1}]`
	_, err = ReadTableAs(kind, "stats.json", strings.NewReader(jsonFile), "", "BE")
	if err == nil || !strings.Contains(err.Error(), "stats.json:2:reporter: is DE, but this node is BE's") || strings.Contains(err.Error(), ":1:") {
		t.Fatalf("got %v", err)
	}
	certs, _ := LookupKind("certificates")
	file := string(readFile(t, examplesDir+"/import/certificates.csv"))
	_, err = ReadTableAs(certs, "certs.csv", strings.NewReader(file), "", "AE")
	if err == nil || !strings.Contains(err.Error(), "certs.csv:2:issuer: is IN, but this node is AE's") {
		t.Fatalf("got %v", err)
	}
}
