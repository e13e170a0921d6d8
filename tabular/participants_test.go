package tabular

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// updatesCSV is a good participant-list update file.
const updatesCSV = "participant,change,effective,decision,name,kind\n" +
	"SS,joined,2024-01-01,\"Plenary 2023, Final Communiqué ¶3\",South Sudan,state\n" +
	"VE,removed,2012-01-01,\"Plenary 2011, Final Communiqué ¶6\",,\n"

// TestReadParticipantUpdates: a participant-list update file as a clerk's
// spreadsheet saves it reads like an import, all or nothing, each problem
// named by row (the header is row 1) and column.
func TestReadParticipantUpdates(t *testing.T) {
	us, err := ReadParticipantUpdates("plenary.csv", strings.NewReader(updatesCSV))
	if err != nil || len(us.Updates) != 2 || us.Updates[0].Name != "South Sudan" || us.Updates[1].Change != protocol.ChangeRemoved ||
		us.Updates[1].Decision != "Plenary 2011, Final Communiqué ¶6" || us.Rows[0] != 2 || us.Rows[1] != 3 {
		t.Fatalf("got %+v, %v", us, err)
	}
	for in, want := range map[string][]string{
		updatesCSV + "CF,suspended,2013-02-30,d,,\nCM,joined,2024-01-01,d,Cameroon,\n": {"plenary.csv:4:effective:", "plenary.csv:5:kind: is required to join"},
		updatesCSV + "ve,removed,2013-01-01,d,,\n":                                     {"plenary.csv:4:participant:"},
		updatesCSV + "VE,Removed,2013-01-01,d,,\n":                                     {"plenary.csv:4:change: must be one of"},
		"participant,change,effective\nVE,removed,2012-01-01\n":                        {`plenary.csv:1:decision: required column is missing`},
		"participant,change,effective,decision,colour\nVE,removed,2012-01-01,d,red\n":  {`plenary.csv:1:colour: unknown column`},
		"participant,change,effective,decision\nVE,removed\n":                          {"plenary.csv:2: has 2 values, the header has 4 columns"},
		"participant,change,effective,decision,decision\n":                             {"duplicate column"},
		"": {"the file is empty"},
		"participant,change,effective,decision\n" + strings.Repeat("\n", MaxParticipantUpdateRows+1): {"at most 10000 updates"},
	} {
		us, err := ReadParticipantUpdates("plenary.csv", strings.NewReader(in))
		var ie *ImportError
		if !errors.As(err, &ie) || us != nil {
			t.Errorf("%q: got %v, %v; want an *ImportError and nothing", in, us, err)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not say %q", in, err, w)
			}
		}
	}
}

// TestReadParticipantUpdatesClerkFiles: what a clerk's spreadsheet saves
// is met as an import of records meets it: a byte-order mark and CRLF
// lines are read (the BOM is no part of the first column's name), a
// workbook, UTF-16 or semicolon-separated text is refused as one problem
// of the file saying what to do.
func TestReadParticipantUpdatesClerkFiles(t *testing.T) {
	crlf := strings.ReplaceAll(updatesCSV, "\n", "\r\n")
	for name, data := range map[string]string{
		"BOM":          "\uFEFF" + updatesCSV,
		"CRLF":         crlf,
		"BOM and CRLF": "\uFEFF" + crlf,
		"blank lines":  strings.Replace(updatesCSV, "\n", "\n\n", 1),
	} {
		us, err := ReadParticipantUpdates("p.csv", strings.NewReader(data))
		if err != nil || len(us.Updates) != 2 || us.Updates[0].Participant != "SS" {
			t.Errorf("%s: %+v, %v", name, us, err)
		}
	}
	semicolon := strings.ReplaceAll(updatesCSV, ",", ";")
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"UTF-16 LE with BOM": {utf16Bytes(updatesCSV, false, true), "UTF-16 (little-endian)"},
		"UTF-16 BE":          {utf16Bytes(updatesCSV, true, false), "UTF-16 (big-endian)"},
		"semicolons":         {[]byte("\uFEFF" + semicolon), "separated by semicolons"},
		"xlsx":               {xlsxBytes(t), "Excel workbook"},
		"Windows-1252":       {[]byte(strings.NewReplacer("¶", "\xb6", "é", "\xe9").Replace(updatesCSV)), "Windows-1252"},
	} {
		us, err := ReadParticipantUpdates("p.csv", bytes.NewReader(c.data))
		var ie *ImportError
		if !errors.As(err, &ie) || us != nil || len(ie.Errors) != 1 || ie.Errors[0].Row != 0 {
			t.Errorf("%s: want one problem of the file, got %v", name, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.want) || !strings.Contains(msg, "save it as \"CSV UTF-8") {
			t.Errorf("%s: %q does not say %q and what to do", name, msg, c.want)
		}
		assertPrintable(t, err.Error())
	}
}
