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

func TestExamplesValidate(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	if err != nil || len(files) < 3 {
		t.Fatalf("found %d example files (%v), want at least 3", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b := readFile(t, f)
			if err := ValidateRecord(exampleType(filepath.Base(f)), b); err != nil {
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
