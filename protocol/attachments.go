package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Limits on the files a record carries (docs/protocol.md §6.5).
const (
	// MaxAttachments caps the files of one record.
	MaxAttachments = 20
	// MaxAttachmentSize caps one file, in bytes: 64 MiB, package blob's MaxSize.
	MaxAttachmentSize = 64 << 20
	// MaxAttachmentsTotal caps the files of one record together, in bytes.
	MaxAttachmentsTotal = 256 << 20
)

// AttachedFile names a file that travels with a record as an encrypted
// blob (docs/protocol.md §6.5): the record, sealed to its audience, gives
// them the key and the plaintext's hash; everyone else sees only blob
// ids and sizes on the blob protocol.
type AttachedFile struct {
	Name      string `json:"name"`       // file name, no / or \
	MediaType string `json:"media_type"` // "image/jpeg", lowercase type/subtype
	Size      int64  `json:"size"`       // plaintext bytes
	SHA256    string `json:"sha256"`     // of the plaintext, lowercase hex
	Blob      string `json:"blob"`       // blob id, lowercase hex
	Key       string `json:"key"`        // file key, lowercase hex
}

// Attaching is a record that may carry files.
type Attaching interface {
	// Files returns the record's attached files, or nil.
	Files() []AttachedFile
}

// fileTypes are the record types whose records may carry files: those
// implementing [Attaching].
var fileTypes = []string{NoticeType, CertificateType, FootprintSampleType}

// CarriesFiles reports whether records of type typ may carry files (an
// "attachments" member).
func CarriesFiles(typ string) bool {
	for _, t := range fileTypes {
		if t == typ {
			return true
		}
	}
	return false
}

// FileTypes lists the record types whose records may carry files. The
// caller owns the result.
func FileTypes() []string { return append([]string(nil), fileTypes...) }

// attachments reads the optional "attachments" member: 0..MaxAttachments
// files with unique names, at most MaxAttachmentsTotal bytes together.
func (o *object) attachments() []AttachedFile {
	var files []AttachedFile
	var total int64
	names := map[string]bool{}
	for _, it := range o.array("attachments", false, 0, MaxAttachments) {
		f := attachedFile(it.object(o.c))
		if f == nil {
			continue
		}
		if names[f.Name] {
			o.c.add(joinPath(it.path, "name"), "duplicate file name %q", truncate(f.Name, 40))
		}
		names[f.Name] = true
		total += f.Size
		files = append(files, *f)
	}
	if total > MaxAttachmentsTotal {
		o.c.add(o.at("attachments"), "files of %d bytes together exceed the limit of %d", total, MaxAttachmentsTotal)
	}
	return files
}

func attachedFile(o *object) *AttachedFile {
	if o == nil {
		return nil
	}
	f := &AttachedFile{}
	f.Name = o.pattern("name", true, 200, "a file name without / or \\", isFileName)
	f.MediaType = o.pattern("media_type", true, 100, `a lowercase media type such as "image/jpeg"`, isMediaType)
	f.Size = o.integer("size", true, 0, MaxAttachmentSize)
	f.SHA256 = o.pattern("sha256", true, 64, "64 lowercase hex characters", isSHA256Hex)
	f.Blob = o.pattern("blob", true, 64, "64 lowercase hex characters", isSHA256Hex)
	f.Key = o.pattern("key", true, 64, "64 lowercase hex characters", isSHA256Hex)
	o.done()
	return f
}

// isFileName refuses path separators and names that are only dots.
func isFileName(s string) bool {
	return !strings.ContainsAny(s, `/\`) && strings.Trim(s, ".") != ""
}

// isMediaType matches type/subtype of RFC 6838 restricted names in
// lowercase, without parameters.
func isMediaType(s string) bool {
	t, sub, ok := strings.Cut(s, "/")
	return ok && isRestrictedName(t) && isRestrictedName(sub)
}

func isRestrictedName(s string) bool {
	if s == "" || len(s) > 64 || !isLowerAlnum(s[0]) {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return r > 127 || !isLowerAlnum(byte(r)) && !strings.ContainsRune("!#$&-^_.+", r)
	}) < 0
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// Check reads a file from r and checks that it is the one f names: the
// same size and SHA-256. It reads at most one byte past f.Size.
func (f AttachedFile) Check(r io.Reader) error {
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, f.Size+1))
	if err != nil {
		return fmt.Errorf("check file %q: %w", f.Name, err)
	}
	if n != f.Size {
		return fmt.Errorf("check file %q: %d bytes or more, the record says %d: %w", f.Name, n, f.Size, ErrFileMismatch)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("check file %q: SHA-256 %s, the record says %s: %w", f.Name, got, f.SHA256, ErrFileMismatch)
	}
	return nil
}

// FilesOf returns the files a validated record body names in its
// attachments member, or nil.
func FilesOf(body []byte) []AttachedFile {
	var r struct {
		Attachments []AttachedFile `json:"attachments"`
	}
	if json.Unmarshal(body, &r) != nil {
		return nil
	}
	return r.Attachments
}
