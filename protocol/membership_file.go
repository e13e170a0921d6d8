package protocol

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ParticipantUpdateColumns are the columns of a participant-list update
// file, in the order [ParseParticipantUpdates] accepts them in any order;
// name, kind and authority may be left out.
var ParticipantUpdateColumns = []string{"participant", "change", "effective", "decision", "name", "kind", "authority"}

// maxUpdateRows bounds an update file: the KP has about 60 participants
// and changes a few of them a year.
const maxUpdateRows = 10000

// ParseParticipantUpdates reads a CSV file of participant-list updates:
// a header naming [ParticipantUpdateColumns] (the first four required),
// then one update per row, each validated as a participant_update record.
// It is all or nothing: on error no update is returned, and the error
// lists every bad row as "row N (participant VE): field: reason", rows
// counted from 1 after the header.
func ParseParticipantUpdates(r io.Reader) ([]ParticipantUpdate, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read participant updates: header: %w", err)
	}
	if err := checkUpdateHeader(header); err != nil {
		return nil, fmt.Errorf("read participant updates: header: %w", err)
	}
	var out []ParticipantUpdate
	var problems []string
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read participant updates: row %d: %w", row, err)
		}
		if row > maxUpdateRows {
			return nil, fmt.Errorf("read participant updates: more than %d rows", maxUpdateRows)
		}
		u, err := updateOfRow(header, rec)
		if err != nil {
			problems = append(problems, rowProblem(row, rec[slices.Index(header, "participant")], err))
			continue
		}
		out = append(out, *u)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("read participant updates: %w", errors.New(strings.Join(problems, "; ")))
	}
	return out, nil
}

func checkUpdateHeader(header []string) error {
	for _, h := range header {
		if !slices.Contains(ParticipantUpdateColumns, h) {
			return fmt.Errorf("unknown column %q, want some of %s", truncate(h, 40), strings.Join(ParticipantUpdateColumns, ","))
		}
	}
	for _, h := range ParticipantUpdateColumns[:4] {
		if !slices.Contains(header, h) {
			return fmt.Errorf("missing column %q", h)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(header)))) != len(header) {
		return errors.New("a column is named twice")
	}
	return nil
}

// updateOfRow validates one row as a participant_update body: the same
// rules as a partner's record.
func updateOfRow(header, rec []string) (*ParticipantUpdate, error) {
	body := map[string]any{"version": 1}
	for i, h := range header {
		if v := strings.TrimSpace(rec[i]); v != "" {
			body[h] = v
		}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return ParseParticipantUpdate(raw)
}

// rowProblem formats a row's validation error, naming the row, its
// participant and each field.
func rowProblem(row int, participant string, err error) string {
	prefix := fmt.Sprintf("row %d", row)
	if p := strings.TrimSpace(participant); p != "" {
		prefix += fmt.Sprintf(" (participant %s)", truncate(p, 10))
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return prefix + ": " + err.Error()
	}
	parts := make([]string, len(ve.Errors))
	for i, fe := range ve.Errors {
		parts[i] = prefix + ": " + fe.String()
	}
	return strings.Join(parts, "; ")
}
