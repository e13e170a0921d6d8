package protocol

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const examplesDir = "../docs/examples"

// exampleType returns the record type of an example file: its name up to the
// first '-' or '.'.
func exampleType(name string) string {
	if i := strings.IndexAny(name, "-."); i >= 0 {
		return name[:i]
	}
	return name
}

// TestExamplesValidate checks every example: card files with ParseCard,
// anything else with the record type its name starts with.
func TestExamplesValidate(t *testing.T) {
	if *update {
		writeExampleCard(t)
	}
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	if err != nil || len(files) < 3 {
		t.Fatalf("found %d example files (%v), want at least 3", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b := readFile(t, f)
			typ := exampleType(filepath.Base(f))
			if typ == "card" {
				_, err := ParseCard(b)
				if err != nil {
					t.Errorf("%s: %v", f, err)
				}
				return
			}
			if err := ValidateRecord(typ, b); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		})
	}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeExampleCard writes the card of test identity 0, India's authority.
func writeExampleCard(t *testing.T) {
	sc, err := SignCard(testCard(), testIdentity(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(examplesDir, "card-in.json"), sc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
