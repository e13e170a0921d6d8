package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestBatchExample(t *testing.T) {
	b, err := ParseBatch(readFile(t, examplesDir+"/batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Type != CertificateType || len(b.Items) != 2 || len(b.Records) != 2 {
		t.Fatalf("batch %+v", b)
	}
	if c := b.Records[1].(*Certificate); c.Number != "IN0001236" || c.Destination != "AE" || c.TotalCarats != 214115 {
		t.Errorf("item 1 %+v", c)
	}
	typ, items, err := BatchItems(readFile(t, examplesDir+"/batch.json"))
	if err != nil || typ != CertificateType || len(items) != 2 {
		t.Fatalf("BatchItems = %q, %d items, %v", typ, len(items), err)
	}
	for i, it := range items {
		c, err := ParseCertificate(it)
		if err != nil || !jsonEqual(t, c, b.Records[i]) {
			t.Errorf("item %d: %v", i, err)
		}
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func TestBatchInvalid(t *testing.T) {
	const f = "batch.json"
	tooMany := make([]any, MaxBatchItems+1)
	for i := range tooMany {
		tooMany[i] = map[string]any{}
	}
	checkInvalid(t, BatchType, []invalidCase{
		{f, set("items[1].supersedes", map[string]any{"seq": 3}), "items[1].supersedes", ""},
		{f, set("items[1].lines[0].hs_code", "7103.10"), "items[1].lines[0].hs_code", "must be one of"},
		{f, set("items[0].total_carats", "412.00"), "items[0].total_carats", "is 412.00, but the lines add up to 412.80"},
		{f, set("items[1].version", del), "items[1].version", "is required"},
		{f, set("items[1].extra", 1), "items[1].extra", "unknown field"},
		{f, set("items[0]", "IN0001235"), "items[0]", "must be an object"},
		{f, set("type", "notice"), "type", "must be one of"},
		{f, set("type", "batch"), "type", "must be one of"},
		{f, set("type", del), "type", "is required"},
		{f, set("type", "trade_statistics"), "items[0].reporter", "is required"},
		{f, set("items", []any{}), "items", "at least 1"},
		{f, set("items", tooMany), "items", "10001 items, limit 10000"},
		{f, set("items", map[string]any{}), "items", "must be an array"},
		{f, set("version", 2), "version", "unsupported version"},
		{f, set("supersedes", map[string]any{"seq": 1}), "supersedes", "unknown field"},
	})
}

// TestBatchReportsEveryItem checks that errors in several items are all
// reported, each under its item's path.
func TestBatchReportsEveryItem(t *testing.T) {
	body := mutated(t, "batch.json", func(m map[string]any) {
		set("items[0].issuer", "XX")(m)
		set("items[1].lines[1].carats", "-1")(m)
		set("items[1].parcels", 0)(m)
	})
	_, err := ParseBatch(body)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err %v", err)
	}
	var got []string
	for _, fe := range ve.Errors {
		got = append(got, fe.Field)
	}
	want := "items[0].issuer items[1].parcels items[1].lines[1].carats"
	if strings.Join(got, " ") != want {
		t.Errorf("fields %q, want %s", got, want)
	}
	if typ, items, err := BatchItems(body); typ != "" || items != nil || err == nil {
		t.Errorf("BatchItems of an invalid batch = %q, %v, %v", typ, items, err)
	}
}

// statsItem returns a compact trade statistics body for partner index i.
func statsItem(i int) []byte {
	return fmt.Appendf(nil, `{"version": 1, "reporter": "IN", "period": "2026-Q3", "flow": "export", "partner": "BE",`+
		` "hs_code": "7102.31", "carats": "%d.00", "value_usd": "%d.00", "certificates": %d}`, i+1, 150*(i+1), i)
}

func TestPackBatches(t *testing.T) {
	var items [][]byte
	for i := range 100 {
		items = append(items, statsItem(i))
	}
	for _, limit := range []int{0, 2000, 5000, 20000} {
		batches, err := PackBatches(TradeStatisticsType, items, limit)
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		max := limit
		if max == 0 {
			max = MaxBodySize
		}
		var back [][]byte
		for i, b := range batches {
			if len(b) > max {
				t.Errorf("limit %d: batch %d is %d bytes", limit, i, len(b))
			}
			typ, its, err := BatchItems(b)
			if err != nil || typ != TradeStatisticsType {
				t.Fatalf("limit %d: batch %d: %q, %v", limit, i, typ, err)
			}
			// Greedy packing: the first item of the next batch did not fit.
			if i+1 < len(batches) {
				_, next, _ := BatchItems(batches[i+1])
				if len(b)+1+len(next[0]) <= max {
					t.Errorf("limit %d: batch %d (%d bytes) had room for %d more", limit, i, len(b), len(next[0]))
				}
			}
			back = append(back, its...)
		}
		if len(back) != len(items) {
			t.Fatalf("limit %d: %d items back, want %d", limit, len(back), len(items))
		}
		for i := range items {
			var want bytes.Buffer
			json.Compact(&want, items[i])
			if !bytes.Equal(back[i], want.Bytes()) {
				t.Fatalf("limit %d: item %d is %s, want %s (order lost?)", limit, i, back[i], want.Bytes())
			}
		}
		if limit == 2000 && len(batches) < 5 {
			t.Errorf("limit 2000: only %d batches", len(batches))
		}
		if limit == 0 && len(batches) != 1 {
			t.Errorf("no limit: %d batches, want 1", len(batches))
		}
	}
}

func TestPackBatchesItemLimit(t *testing.T) {
	item := []byte(`{"version":1,"reporter":"BW","period":"2026-H1","carats":"0","value_usd":"0"}`)
	items := make([][]byte, MaxBatchItems+1)
	for i := range items {
		items[i] = item
	}
	batches, err := PackBatches(ProductionStatisticsType, items, 0)
	if err != nil || len(batches) != 2 {
		t.Fatalf("PackBatches = %d batches, %v; want 2", len(batches), err)
	}
	_, first, err := BatchItems(batches[0])
	if err != nil || len(first) != MaxBatchItems {
		t.Errorf("first batch: %d items, %v", len(first), err)
	}
}

func TestPackBatchesErrors(t *testing.T) {
	small := statsItem(0)
	big := bytes.Replace(small, []byte(`"certificates": 0`), []byte(`"certificates": 0, "x": "`+strings.Repeat("x", 3000)+`"`), 1)
	tests := []struct {
		name  string
		typ   string
		items [][]byte
		limit int
		want  string
	}{
		{"item over the limit", TradeStatisticsType, [][]byte{small, small, big}, 2000, "item 2 of 3"},
		{"not JSON", TradeStatisticsType, [][]byte{small, []byte(`{"version":`)}, 0, "item 1: not JSON"},
		{"not batchable", NoticeType, [][]byte{small}, 0, `type "notice" cannot be batched`},
		{"limit too large", TradeStatisticsType, [][]byte{small}, MaxBodySize + 1, "outside"},
		{"limit too small", TradeStatisticsType, [][]byte{small}, 10, "outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := PackBatches(tt.typ, tt.items, tt.limit)
			if out != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("PackBatches = %d batches, %v; want an error with %q", len(out), err, tt.want)
			}
		})
	}
	if _, err := PackBatches(TradeStatisticsType, [][]byte{big}, 2000); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize item: %v, want ErrTooLarge", err)
	}
	if out, err := PackBatches(TradeStatisticsType, nil, 0); out != nil || err != nil {
		t.Errorf("no items: %v, %v", out, err)
	}
}

// TestPackBatchesExactFit checks the limit is inclusive: a batch of
// exactly maxBody bytes is allowed.
func TestPackBatchesExactFit(t *testing.T) {
	items := [][]byte{statsItem(0), statsItem(1)}
	one, err := PackBatches(TradeStatisticsType, items, 0)
	if err != nil || len(one) != 1 {
		t.Fatal(err)
	}
	exact := len(one[0])
	if got, err := PackBatches(TradeStatisticsType, items, exact); err != nil || len(got) != 1 {
		t.Errorf("limit %d (exact): %d batches, %v", exact, len(got), err)
	}
	if got, err := PackBatches(TradeStatisticsType, items, exact-1); err != nil || len(got) != 2 {
		t.Errorf("limit %d: %d batches, %v", exact-1, len(got), err)
	}
}
