package protocol

import (
	"path/filepath"
	"testing"
)

// BenchmarkParseCertificate measures the validator on the two-line example
// certificate, the unit of bulk import (100,000 certificates in under 10 s
// including signing and storing; docs/records.md).
func BenchmarkParseCertificate(b *testing.B) {
	body := readFile(b, filepath.Join(examplesDir, "certificate.json"))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCertificate(body); err != nil {
			b.Fatal(err)
		}
	}
}
