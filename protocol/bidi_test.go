package protocol

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryTextFieldRefusesBidiControls puts each bidirectional override
// and isolate control into every string of every example record, one at a
// time, and checks that the validator refuses the record naming that
// field: no field, present or added later, lets text display differently
// from what it says.
func TestEveryTextFieldRefusesBidiControls(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	controls := []rune{'\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'}
	fields := 0
	for _, f := range files {
		typ := exampleType(filepath.Base(f))
		if typ == "card" || typ == BatchType || typ == HandoverType {
			continue // a batch holds other types' bodies; a hand-over, a card
		}
		var doc any
		if err := json.Unmarshal(readFile(t, f), &doc); err != nil {
			t.Fatal(err)
		}
		for _, path := range stringPaths(doc, "") {
			fields++
			for i, r := range controls {
				body := mutated(t, filepath.Base(f), func(m map[string]any) {
					old := lookupPath(m, path).(string)
					cut := i % (len(old) + 1) // at the start, inside, at the end
					set(path, old[:cut]+string(r)+old[cut:])(m)
				})
				err := ValidateRecord(typ, body)
				if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", path)) {
					t.Errorf("%s %s with %U: got %v, want the field refused", filepath.Base(f), path, r, err)
				}
			}
		}
	}
	if fields < 40 {
		t.Fatalf("tried %d string fields, want at least 40", fields)
	}
}

// TestIdentifiersRefuseFormatCharacters checks that a licence number with
// an invisible character (zero-width space, direction mark, Arabic letter
// mark, soft hyphen) is refused, while a trader's name may hold a
// zero-width non-joiner, which Persian spelling needs.
func TestIdentifiersRefuseFormatCharacters(t *testing.T) {
	for _, r := range []rune{'\u200b', '\u200e', '\u200f', '\u061c', '\u00ad', '\ufeff', '\u2060'} {
		body := mutated(t, "certificate.json", set("exporter.licence", "GJEPC/KP/"+string(r)+"2026/01873"))
		err := ValidateRecord(CertificateType, body)
		if err == nil || !strings.Contains(err.Error(), "invisible formatting character") {
			t.Errorf("licence with %U: got %v", r, err)
		}
	}
	body := mutated(t, "certificate.json", set("exporter.name", "Example\u200cGems LLP"))
	if err := ValidateRecord(CertificateType, body); err != nil {
		t.Errorf("name with a zero-width non-joiner: %v", err)
	}
}

// stringPaths lists the dotted paths (with [i] for array elements) of the
// strings in a decoded JSON document.
func stringPaths(v any, path string) []string {
	switch x := v.(type) {
	case string:
		return []string{path}
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(out, stringPaths(e, joinPath(path, k))...)
		}
		return out
	case []any:
		var out []string
		for i, e := range x {
			out = append(out, stringPaths(e, indexPath(path, i))...)
		}
		return out
	}
	return nil
}

func lookupPath(m map[string]any, path string) any {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		cur = step(cur, p)
	}
	return cur
}
