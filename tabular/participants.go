package tabular

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/kpnode/kpnode/protocol"
)

// A participant-list update file (docs/records.md §18) is a clerk's CSV
// file like any import: it is read by the same reader, so a byte-order
// mark, CRLF line ends, quoted cells spanning lines, a workbook, UTF-16 or
// Windows-1252 text and the wrong separator are met exactly as an import
// of certificates meets them, and every problem names file, row and
// column. It is not one of the importable [Kinds]: the updates it holds
// change this node's participant list, they are not published.

// MaxParticipantUpdateRows bounds a participant-list update file: the KP
// has about 60 participants and changes a few of them a year.
const MaxParticipantUpdateRows = 10000

// participantUpdateKind is the table of a participant-list update file,
// its columns in the order of the record's members (canonical form).
var participantUpdateKind = &tableKind{
	name: "participant-updates", typ: protocol.ParticipantUpdateType,
	columns: []tableColumn{
		// Codes, changes and kinds are read as written: a lowercase code is
		// refused by the validator, not silently uppercased.
		col("participant", true, "participant", cellText, "participant code, such as VE"),
		col("change", true, "change", cellText, "joined, suspended, readmitted, removed or renamed"),
		col("effective", true, "effective", cellDate, "date from which the change holds"),
		col("decision", true, "decision", cellText, "the decision it follows, such as Plenary 2011, Final Communiqué ¶6"),
		col("name", false, "name", cellText, "the participant's name; required to join"),
		col("kind", false, "kind", cellText, "state, regional_organisation, trading_entity or eu_member_state; to join only"),
		col("authority", false, "authority", cellText, "the name of the participant's KP authority"),
	},
}

// ParticipantUpdates is a participant-list update file read by
// [ReadParticipantUpdates]: the updates in file order and the row each is
// on, counting the header as row 1 as a spreadsheet does.
type ParticipantUpdates struct {
	Updates []protocol.ParticipantUpdate
	Rows    []int // len(Rows) == len(Updates)
}

// ReadParticipantUpdates reads a CSV file of participant-list updates:
// a header naming some of the columns participant, change, effective,
// decision (these four required), name, kind and authority, in any order, then
// one update per row, each validated as a participant_update record. It
// is all or nothing: on any problem it returns nil and an *[ImportError]
// naming every problem by file, row and column. r is read to its end, at
// most [MaxTableSize] bytes.
func ReadParticipantUpdates(file string, r io.Reader) (*ParticipantUpdates, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxTableSize+1))
	if err != nil {
		return nil, fmt.Errorf("read participant updates %s: %w", file, err)
	}
	tk := participantUpdateKind
	if len(data) > MaxTableSize {
		return nil, fileError(file, fmt.Sprintf("file exceeds the limit of %d bytes", MaxTableSize))
	}
	if reason := sniffTable(tk, data, FormatCSV); reason != "" {
		return nil, fileError(file, reason)
	}
	if n := bytes.Count(data, []byte("\n")); n > MaxParticipantUpdateRows+1 {
		return nil, fileError(file, fmt.Sprintf("has %d lines, at most %d updates are read from one file", n, MaxParticipantUpdateRows))
	}
	tab, errs := readCSVTable(tk, file, data, ReadOptions{})
	if len(errs) > 0 {
		sortRowErrors(errs)
		for i := range errs {
			errs[i] = errs[i].escaped()
		}
		return nil, &ImportError{Format: FormatCSV, Errors: errs}
	}
	out := &ParticipantUpdates{Rows: tab.Rows, Updates: make([]protocol.ParticipantUpdate, len(tab.Bodies))}
	for i, body := range tab.Bodies {
		if err := json.Unmarshal(body, &out.Updates[i]); err != nil { // validated by readCSVTable
			return nil, fmt.Errorf("read participant updates %s: row %d: %w", file, tab.Rows[i], err)
		}
	}
	return out, nil
}

// fileError is an *ImportError about a file as a whole.
func fileError(file, reason string) *ImportError {
	return &ImportError{Format: FormatCSV, Errors: []RowError{{File: escapeText(file), Reason: reason}}}
}
