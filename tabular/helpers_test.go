package tabular

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// examplesDir holds the example record bodies of docs/records.md.
const examplesDir = "../docs/examples"

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mutated returns an example body with change applied to its decoded form.
func mutated(t *testing.T, file string, change func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFile(t, examplesDir+"/"+file), &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// set returns a change that sets the member at a dotted path, with [i] for
// array elements.
func set(path string, v any) func(map[string]any) {
	return func(m map[string]any) {
		parts := strings.Split(path, ".")
		var cur any = m
		for _, p := range parts[:len(parts)-1] {
			cur = step(cur, p)
		}
		last := parts[len(parts)-1]
		if name, rest, ok := strings.Cut(last, "["); ok {
			i, _ := strconv.Atoi(strings.TrimSuffix(rest, "]"))
			cur.(map[string]any)[name].([]any)[i] = v
			return
		}
		cur.(map[string]any)[last] = v
	}
}

func step(cur any, p string) any {
	if name, rest, ok := strings.Cut(p, "["); ok {
		i, _ := strconv.Atoi(strings.TrimSuffix(rest, "]"))
		return cur.(map[string]any)[name].([]any)[i]
	}
	m := cur.(map[string]any)
	if m[p] == nil { // an optional object the example leaves out
		m[p] = map[string]any{}
	}
	return m[p]
}

// recordExamples maps each record type a table holds to its example.
var recordExamples = map[string]string{
	protocol.CertificateType:          "certificate.json",
	protocol.PreNotificationType:      "pre_notification.json",
	protocol.ImportConfirmationType:   "import_confirmation.json",
	protocol.TradeStatisticsType:      "trade_statistics.json",
	protocol.ProductionStatisticsType: "production_statistics.json",
	protocol.AnnualReportType:         "annual_report.json",
}
