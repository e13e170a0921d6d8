package tabular

import (
	"bytes"
	"strings"
	"testing"
)

const itemNoHeader = "certificate_number,issuer,parcels_received,carats_received,importer_name,importer_licence,importer_country,exporter_name,exporter_licence,exporter_country,received,seals_intact,contents_match,remarks,supersedes_seq,"

const itemNoRow = "IN1,IN,3,12.50,A,L,BE,E,L,IN,2026-09-17,yes,yes,,12,"

// supersedes_item_no counts from 1; the body's supersedes.item from 0; an
// export writes supersedes_item_no and reads back the same bodies.
func TestTableItemNo(t *testing.T) {
	bodies, ie := readTable(t, "confirmations", "c.csv", itemNoHeader+"supersedes_item_no\n"+itemNoRow+"4\n"+
		strings.Replace(itemNoRow, "IN1", "IN2", 1)+"1\n")
	if ie != nil {
		t.Fatal(ie)
	}
	if !bytes.Contains(bodies[0], []byte(`"supersedes":{"seq":12,"item":3}`)) || !bytes.Contains(bodies[1], []byte(`"supersedes":{"seq":12}`)) {
		t.Fatalf("bodies:\n%s\n%s", bodies[0], bodies[1])
	}
	k := mustKind(t, "confirmations")
	var buf bytes.Buffer
	if err := WriteTable(k, &buf, FormatCSV, bodies); err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(buf.String(), "\n")
	if !strings.HasSuffix(head, ",supersedes_seq,supersedes_item_no") {
		t.Fatalf("export header %q: want supersedes_item_no and not the deprecated supersedes_item", head)
	}
	if !strings.Contains(buf.String(), ",12,4\n") {
		t.Fatalf("export:\n%s", buf.String())
	}
	back, err := ReadTable(k, "export.csv", bytes.NewReader(buf.Bytes()), "")
	if err != nil || len(back) != 2 || !bytes.Equal(back[0], bodies[0]) || !bytes.Equal(back[1], bodies[1]) {
		t.Fatalf("round trip: %v\n%s", err, back)
	}
}

// A file exported before supersedes_item_no still reads with its 0-based
// supersedes_item; a row giving both must agree.
func TestTableOldItemColumn(t *testing.T) {
	old, ie := readTable(t, "confirmations", "old.csv", itemNoHeader+"supersedes_item\n"+itemNoRow+"3\n")
	if ie != nil {
		t.Fatal(ie)
	}
	both, ie := readTable(t, "confirmations", "both.csv", itemNoHeader+"supersedes_item,supersedes_item_no\n"+itemNoRow+"3,4\n")
	if ie != nil {
		t.Fatal(ie)
	}
	if !bytes.Contains(old[0], []byte(`"item":3`)) || !bytes.Equal(old[0], both[0]) {
		t.Fatalf("old %s, both %s", old[0], both[0])
	}
	_, ie = readTable(t, "confirmations", "bad.csv", itemNoHeader+"supersedes_item,supersedes_item_no\n"+itemNoRow+"3,3\n")
	if ie == nil || !strings.Contains(ie.Error(), "supersedes_item") || !strings.Contains(ie.Error(), "disagree") {
		t.Fatalf("inconsistent row: %v", ie)
	}
	_, ie = readTable(t, "confirmations", "zero.csv", itemNoHeader+"supersedes_item_no\n"+itemNoRow+"0\n")
	if ie == nil || !strings.Contains(ie.Error(), "numbered from 1") {
		t.Fatalf("item number 0: %v", ie)
	}
}

// TestProblemsNameTheCurrentItemColumn: a problem about supersedes.item
// names supersedes_item_no, the column exports write, not the deprecated
// supersedes_item that shares its path.
func TestProblemsNameTheCurrentItemColumn(t *testing.T) {
	kind, ok := LookupKind("certificates")
	if !ok {
		t.Fatal("no certificates kind")
	}
	if got := kind.ColumnOf("supersedes.item"); got != "supersedes_item_no" {
		t.Fatalf("ColumnOf(supersedes.item) = %q, want supersedes_item_no", got)
	}
}
