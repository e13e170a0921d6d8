package protocol

import (
	"errors"
	"strings"
	"testing"
)

const attachmentsExample = "notice-attachments.json"

func TestAttachmentsExample(t *testing.T) {
	n, err := ParseNotice(readFile(t, examplesDir+"/"+attachmentsExample))
	if err != nil {
		t.Fatal(err)
	}
	f := n.Files()
	if len(f) != 1 || f[0].Name != "AE0123456-scan.pdf" || f[0].MediaType != "application/pdf" || f[0].Size != 4 ||
		f[0].Blob != "0ac060f933c2ebd8af0ca9c898031e60d82b6671a2fef0cb5607d5ac97393326" {
		t.Fatalf("files %+v", f)
	}
	if c, _ := ParseCertificate(readFile(t, examplesDir+"/certificate.json")); c == nil || c.Files() != nil {
		t.Fatal("a certificate without attachments has files")
	}
}

// TestAttachmentsInvalid: every member of an attached file is checked
// like any other field, and the per-record limits hold.
func TestAttachmentsInvalid(t *testing.T) {
	const a0 = "attachments[0]"
	file := func() map[string]any {
		return map[string]any{"name": "p.jpg", "media_type": "image/jpeg", "size": 10, "sha256": strings.Repeat("a", 64),
			"blob": strings.Repeat("b", 64), "key": strings.Repeat("c", 64)}
	}
	many := func(n int, size int64) []any {
		out := make([]any, n)
		for i := range out {
			f := file()
			f["name"], f["size"] = "p"+strings.Repeat("x", i)+".jpg", size
			out[i] = f
		}
		return out
	}
	tests := []struct {
		change func(map[string]any)
		field  string
		reason string
	}{
		{set(a0+".name", "../x.pdf"), a0 + ".name", "without /"},
		{set(a0+".name", `a\b`), a0 + ".name", "without /"},
		{set(a0+".name", ".."), a0 + ".name", "without /"},
		{set(a0+".name", del), a0 + ".name", "is required"},
		{set(a0+".media_type", "Image/JPEG"), a0 + ".media_type", "media type"},
		{set(a0+".media_type", "image/jpeg; q=1"), a0 + ".media_type", "media type"},
		{set(a0+".media_type", "image"), a0 + ".media_type", "media type"},
		{set(a0+".size", -1), a0 + ".size", "between 0 and"},
		{set(a0+".size", MaxAttachmentSize+1), a0 + ".size", "between 0 and"},
		{set(a0+".size", 1.5), a0 + ".size", "must be an integer"},
		{set(a0+".sha256", strings.Repeat("A", 64)), a0 + ".sha256", "64 lowercase hex"},
		{set(a0+".blob", "ab"), a0 + ".blob", "64 lowercase hex"},
		{set(a0+".key", del), a0 + ".key", "is required"},
		{set(a0+".extra", 1), a0 + ".extra", "unknown field"},
		{set("attachments", many(MaxAttachments+1, 1)), "attachments", "21 items, limit 20"},
		{set("attachments", many(MaxAttachments, MaxAttachmentSize)), "attachments", "exceed the limit"},
		{set("attachments", []any{file(), file()}), "attachments[1].name", "duplicate file name"},
		{set("attachments", "x"), "attachments", "must be an array"},
	}
	for _, tc := range tests {
		body := mutated(t, attachmentsExample, func(m map[string]any) {
			m["attachments"] = []any{file()}
			tc.change(m)
		})
		_, err := ParseNotice(body)
		ve, ok := err.(*ValidationError)
		if !ok {
			t.Errorf("%s: error %v, want a ValidationError", tc.field, err)
			continue
		}
		if r, found := ve.Reason(tc.field); !found || !strings.Contains(r, tc.reason) {
			t.Errorf("%s: reasons %v, want %q", tc.field, ve.Errors, tc.reason)
		}
	}
}

// TestAttachedFileCheck: a file is accepted only with the size and
// SHA-256 the record names.
func TestAttachedFileCheck(t *testing.T) {
	n, err := ParseNotice(readFile(t, examplesDir+"/"+attachmentsExample))
	if err != nil {
		t.Fatal(err)
	}
	f := n.Files()[0] // "test", 4 bytes
	if err := f.Check(strings.NewReader("test")); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"tes", "test!", "Test", ""} {
		if err := f.Check(strings.NewReader(bad)); !errors.Is(err, ErrFileMismatch) || !strings.Contains(err.Error(), f.Name) {
			t.Errorf("%q: %v, want ErrFileMismatch naming the file", bad, err)
		}
	}
	if got := FilesOf(readFile(t, examplesDir+"/"+attachmentsExample)); len(got) != 1 || got[0] != f {
		t.Fatalf("FilesOf = %+v", got)
	}
}

func TestFootprintSample(t *testing.T) {
	f, err := ParseFootprintSample(readFile(t, examplesDir+"/footprint_sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Origin != "CF" || f.Method != "spectroscopy" || len(f.Files()) != 1 {
		t.Fatalf("parsed %+v", f)
	}
	if parties, named := f.Parties(); parties != nil || named {
		t.Fatal("a sample names its own readers")
	}
	bad := []struct{ field, value, reason string }{
		{"method", "guess", "must be one of"},
		{"origin", "cf", "two-letter"},
		{"sample_id", "has space", "reference"},
		{"results", "", "is required"},
		{"collected", "2026-13-01", "date"},
	}
	for _, b := range bad {
		body := mutated(t, "footprint_sample.json", set(b.field, b.value))
		_, err := ParseFootprintSample(body)
		ve, ok := err.(*ValidationError)
		if !ok {
			t.Fatalf("%s: %v", b.field, err)
		}
		if r, found := ve.Reason(b.field); !found || !strings.Contains(r, b.reason) {
			t.Errorf("%s = %q: reasons %v, want %q", b.field, b.value, ve.Errors, b.reason)
		}
	}
}
