package protocol

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEveryTypeIsARecord goes over the registry: every registered type
// parses its example (docs/examples/<type>.json) into a [Record] that
// names its type, reads as a noun, and answers what it replaces, its
// parties and author consistently. A type registered without a typed
// parser, an example or these answers fails here.
func TestEveryTypeIsARecord(t *testing.T) {
	for _, rt := range Types() {
		t.Run(rt.Name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(examplesDir, rt.Name+".json"))
			if err != nil {
				t.Fatalf("every record type needs an example: %v", err)
			}
			r, err := ParseRecord(rt.Name, body)
			if err != nil {
				t.Fatalf("ParseRecord: %v", err)
			}
			if r.TypeName() != rt.Name {
				t.Errorf("TypeName() = %q, want %q", r.TypeName(), rt.Name)
			}
			if r.Noun() == "" || strings.Contains(r.Noun(), "_") {
				t.Errorf("Noun() = %q, want words for people", r.Noun())
			}
			checkReplaces(t, rt.Name, body, r)
			checkParties(t, r)
		})
	}
}

// checkReplaces checks that Replaces gives the record the body's
// "supersedes" names, and nil for a type that cannot name one.
func checkReplaces(t *testing.T, typ string, body []byte, r Record) {
	t.Helper()
	want := Supersedes{Seq: 7, Item: 2}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	m["supersedes"] = map[string]any{"seq": want.Seq, "item": want.Item}
	named, _ := json.Marshal(m)
	c, err := ParseRecord(typ, named)
	if err != nil { // the type names nothing it replaces
		if r.Replaces() != nil {
			t.Errorf("Replaces() = %+v of a type without \"supersedes\"", r.Replaces())
		}
		return
	}
	if got := c.Replaces(); got == nil || *got != want {
		t.Errorf("Replaces() = %+v, want %+v", got, want)
	}
}

// checkParties checks that the parties and the author a record names are
// among the participants it concerns, and that a record without parties
// it can name has none.
func checkParties(t *testing.T, r Record) {
	t.Helper()
	parties, ok := r.Parties()
	if !ok && len(parties) > 0 {
		t.Errorf("Parties() = %v, false", parties)
	}
	for _, p := range parties {
		if !slices.Contains(r.Concerns(), p) {
			t.Errorf("party %s is not among Concerns() %v", p, r.Concerns())
		}
	}
	if a, ok := r.Author(); ok && (a.Field == "" || !slices.Contains(r.Concerns(), a.Code)) {
		t.Errorf("Author() = %+v, not among Concerns() %v", a, r.Concerns())
	}
}
