package tabular

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// FuzzReadTableCSV checks that ReadTable never panics on a CSV file of any
// kind; that on error it returns no bodies and an *ImportError whose every
// problem names the file; and that on success every body validates and
// exports to a file that reads back to the same bodies.
func FuzzReadTableCSV(f *testing.F) {
	for i, k := range Kinds() {
		f.Add(uint8(i), readFile(f, filepath.Join(importExamplesDir, k.Name+".csv")))
	}
	f.Add(uint8(0), []byte(certHeader+certRow("IN0013001")+certRow("IN0013001", "7102.31", "7102.21")+certRow("IN0013002", "1520.35", "-1")))
	f.Add(uint8(4), []byte("\uFEFFreporter,period,carats,value_usd,line\r\n\"BW\" ,2026-H1,\"1\"\"\",\n\n"))
	kinds := Kinds()
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		checkTable(t, kinds[int(kind)%len(kinds)], data, FormatCSV)
	})
}

// FuzzReadTableJSON is FuzzReadTableCSV for JSON import files, seeded with
// the example files exported as JSON.
func FuzzReadTableJSON(f *testing.F) {
	for i, k := range Kinds() {
		bodies, err := ReadTable(k, "seed.csv", bytes.NewReader(readFile(f, filepath.Join(importExamplesDir, k.Name+".csv"))), FormatCSV)
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteTable(k, &buf, FormatJSON, bodies); err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), buf.Bytes())
	}
	f.Add(uint8(0), []byte(`[{"number": "IN1", "lines": [{}]}, null, 3]`))
	f.Add(uint8(4), []byte(`{"reporter": "BW"}`))
	kinds := Kinds()
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		checkTable(t, kinds[int(kind)%len(kinds)], data, FormatJSON)
	})
}

// checkTable checks that ReadTable does not panic on data; that on error
// it returns no bodies and an *ImportError whose every problem names the
// file; and that on success every body validates and is canonical, and
// exports to a file that reads back to the same bodies.
func checkTable(t *testing.T, k Kind, data []byte, format string) {
	file := "fuzz." + format
	bodies, err := ReadTable(k, file, bytes.NewReader(data), format)
	if err != nil {
		var ie *ImportError
		if bodies != nil || !errors.As(err, &ie) || len(ie.Errors) == 0 {
			t.Fatalf("ReadTable = %d bodies, %v", len(bodies), err)
		}
		for _, e := range ie.Errors {
			if e.File != file || e.Row < 0 || e.Reason == "" {
				t.Fatalf("problem %+v", e)
			}
		}
		return
	}
	for i, b := range bodies {
		if err := protocol.ValidateRecord(k.Type, b); err != nil {
			t.Fatalf("body %d does not validate: %v", i, err)
		}
		if canon, _, err := canonicalRecord(k.Type, b); err != nil || !bytes.Equal(canon, b) {
			t.Fatalf("body %d is not canonical:\n got %s\nwant %s", i, b, canon)
		}
	}
	var buf bytes.Buffer
	if err := WriteTable(k, &buf, format, bodies); err != nil {
		t.Fatalf("WriteTable: %v", err)
	}
	back, err := ReadTable(k, "export."+format, &buf, format)
	if err != nil || !reflect.DeepEqual(back, bodies) && len(bodies) > 0 {
		t.Fatalf("export does not read back: %v", err)
	}
}

// BenchmarkReadTableCertificates measures the import of a CSV file of
// 10,000 two-line certificates; ns/cert is the time per certificate.
func BenchmarkReadTableCertificates(b *testing.B) {
	const n = 10000
	var csv strings.Builder
	csv.WriteString(certHeader)
	for i := range n {
		num := fmt.Sprintf("IN%07d", i)
		csv.WriteString(certRow(num))
		csv.WriteString(certRow(num, "7102.31", "7102.21", "1520.35", "310.00", "228052.50", "3100.00"))
	}
	data := []byte(csv.String())
	k := mustKind(b, "certificates")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadTable(k, "bench.csv", bytes.NewReader(data), FormatCSV); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/cert")
}

// FuzzReadParticipantUpdates checks that a participant-list update file
// of any bytes never panics; that on error it returns nothing and an
// *ImportError whose every problem names the file; and that on success
// every update is on its own row, in file order, after the header.
func FuzzReadParticipantUpdates(f *testing.F) {
	f.Add([]byte(updatesCSV))
	f.Add([]byte("\uFEFFparticipant;change;effective;decision\r\nVE;removed;2012-01-01;\"d\"\"\"\r\n"))
	f.Add([]byte("participant,change,effective,decision,name,kind,authority\nCM,joined,2026-01-01,d,Cameroon,state,\"MINMIDT\nCameroun\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		us, err := ReadParticipantUpdates("plenary.csv", bytes.NewReader(data))
		if err != nil {
			var ie *ImportError
			if us != nil || !errors.As(err, &ie) || len(ie.Errors) == 0 {
				t.Fatalf("error %v with %v, want only an *ImportError", err, us)
			}
			for _, e := range ie.Errors {
				if e.File != "plenary.csv" {
					t.Fatalf("problem %v does not name the file", e)
				}
			}
			return
		}
		if len(us.Rows) != len(us.Updates) {
			t.Fatalf("%d rows for %d updates", len(us.Rows), len(us.Updates))
		}
		for i, r := range us.Rows {
			if r < 2 || i > 0 && r <= us.Rows[i-1] {
				t.Fatalf("rows %v: not after the header, or out of order", us.Rows)
			}
		}
	})
}
