package cli

import (
	"bytes"
	"testing"
)

// TestImportProgressLine reads progress events as the stream sends them
// and checks the single line a terminal shows: only the import's own
// events, each rewriting the line, erased at the end.
func TestImportProgressLine(t *testing.T) {
	stream := []string{
		`id: 7`,
		`event: import_progress`,
		`data: {"id":7,"kind":"import_progress","fields":{"import_id":"other","phase":"parse","done":1,"total":2}}`,
		`data: {"id":8,"kind":"entry_published","fields":{"seq":1}}`,
		`data: {"id":9,"kind":"import_progress","fields":{"import_id":"mine","file":"y.csv","phase":"check","done":64000,"total":100000}}`,
		`data: {"id":10,"kind":"import_progress","fields":{"import_id":"mine","phase":"publish","done":100000,"total":100000}}`,
	}
	var out bytes.Buffer
	line := &progressLine{w: &out}
	for _, s := range stream {
		if ev, ok := parseImportEvent(s, "mine"); ok {
			line.show(ev.text())
		}
	}
	line.clear()
	want := "\rchecking against the records held  64% (64000 of 100000 records)\x1b[K" +
		"\rpublishing 100% (100000 of 100000 records)\x1b[K\r\x1b[K"
	if out.String() != want {
		t.Errorf("terminal got %q, want %q", out.String(), want)
	}
	line.clear()
	if out.Len() != len(want) {
		t.Error("a second clear wrote again")
	}
}
