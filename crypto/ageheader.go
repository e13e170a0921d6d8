package crypto

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"filippo.io/age"
)

// The age v1 header (https://age-encryption.org/v1), as parsed and written
// by filippo.io/age/internal/format. The limits are age's, so that this
// parser accepts exactly the headers age accepts.
const (
	ageIntro            = "age-encryption.org/v1"
	stanzaPrefix        = "->"
	footerPrefix        = "---"
	maxHeaderBytes      = 2 << 20 // age: "header exceeds 2 MiB"
	maxRecipientStanzas = 1024    // age's own cap, whatever maxStanzas says
	maxStanzaArgs       = 128     // age's splitArgs accepts up to one more
	columnsPerLine      = 64      // base64 characters per full body line
	bytesPerLine        = columnsPerLine / 4 * 3
	macSize             = sha256.Size
)

// b64 is age's encoding: standard alphabet, no padding, zero trailing bits.
var b64 = base64.RawStdEncoding.Strict()

// errHeader is wrapped by every header parsing error.
var errHeader = errors.New("parse age header")

// header is a parsed age header. signed and payload alias the ciphertext.
type header struct {
	stanzas []*age.Stanza
	signed  []byte // intro, stanzas and "---": what the MAC covers
	mac     []byte
	payload []byte // nonce and STREAM chunks
}

// headerErrorf returns a header parsing error wrapping errHeader.
func headerErrorf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errHeader, fmt.Sprintf(format, a...))
}

// parseHeader parses the header at the start of ct as strictly as age
// does: the intro line, one or more stanzas whose bodies are canonical
// unpadded base64 wrapped at 64 columns and ended by a short line, and the
// "--- MAC" line. It does no cryptographic work.
func parseHeader(ct []byte) (*header, error) {
	if len(ct) == 0 {
		return nil, headerErrorf("file is empty")
	}
	p := lineReader{b: ct}
	intro, err := p.line()
	if err != nil {
		return nil, err
	}
	if string(intro) != ageIntro {
		return nil, headerErrorf("unexpected intro, expected %q", ageIntro)
	}
	h := &header{}
	for {
		if len(ct)-p.off < len(footerPrefix) {
			return nil, headerErrorf("unexpected end of header")
		}
		if string(ct[p.off:p.off+len(footerPrefix)]) == footerPrefix {
			if err := p.footer(h); err != nil {
				return nil, err
			}
			return h, nil
		}
		if len(h.stanzas) == maxRecipientStanzas {
			return nil, headerErrorf("header contains more than %d recipient stanzas", maxRecipientStanzas)
		}
		s, err := p.stanza()
		if err != nil {
			return nil, err
		}
		h.stanzas = append(h.stanzas, s)
	}
}

// lineReader walks the header line by line.
type lineReader struct {
	b   []byte
	off int
}

// line returns the next line without its "\n". A line must end in "\n" and
// within age's header size limit.
func (p *lineReader) line() ([]byte, error) {
	i := bytes.IndexByte(p.b[p.off:], '\n')
	if i < 0 {
		return nil, headerErrorf("unexpected end of header")
	}
	if p.off+i+1 > maxHeaderBytes {
		return nil, headerErrorf("header exceeds 2 MiB")
	}
	l := p.b[p.off : p.off+i]
	p.off += i + 1
	return l, nil
}

// footer parses the "--- MAC" line and fills in h's MAC, signed bytes and
// payload.
func (p *lineReader) footer(h *header) error {
	start := p.off
	l, err := p.line()
	if err != nil {
		return err
	}
	prefix, args := splitArgs(l)
	if prefix != footerPrefix || len(args) != 1 {
		return headerErrorf("malformed closing line")
	}
	mac, err := b64.DecodeString(args[0])
	if err != nil || len(mac) != macSize {
		return headerErrorf("malformed closing line: MAC is not %d bytes of canonical base64", macSize)
	}
	if len(h.stanzas) == 0 {
		return headerErrorf("no recipient stanzas")
	}
	h.signed, h.mac, h.payload = p.b[:start+len(footerPrefix)], mac, p.b[p.off:]
	return nil
}

// stanza parses one "-> type args…" line and its wrapped base64 body.
func (p *lineReader) stanza() (*age.Stanza, error) {
	l, err := p.line()
	if err != nil {
		return nil, err
	}
	prefix, args := splitArgs(l)
	if prefix != stanzaPrefix || len(args) < 1 {
		return nil, headerErrorf("malformed stanza line %d bytes long", len(l))
	}
	s := &age.Stanza{Type: args[0], Args: args[1:]}
	for {
		l, err := p.line()
		if err != nil {
			return nil, err
		}
		var n int
		if s.Body, n, err = appendBodyLine(s.Body, l); err != nil {
			return nil, err
		}
		if n < bytesPerLine {
			return s, nil // a body always ends with a short, maybe empty, line
		}
	}
}

// appendBodyLine decodes one body line, at most 48 bytes of canonical
// base64, appends it to body and returns the number of bytes decoded.
func appendBodyLine(body, l []byte) ([]byte, int, error) {
	if len(l) > columnsPerLine {
		return nil, 0, headerErrorf("malformed stanza body: line too long")
	}
	if bytes.IndexByte(l, '\r') >= 0 {
		return nil, 0, headerErrorf("malformed stanza body: carriage return")
	}
	var buf [bytesPerLine]byte
	n, err := b64.Decode(buf[:], l)
	if err != nil {
		return nil, 0, headerErrorf("malformed stanza body: %v", err)
	}
	return append(body, buf[:n]...), n, nil
}

// splitArgs splits a header line into its prefix and space-separated
// arguments, as age does: any empty argument, any byte outside '!'..'~' or
// too many arguments make args nil.
func splitArgs(l []byte) (string, []string) {
	prefix, rest, ok := bytes.Cut(l, []byte(" "))
	if !ok {
		return string(l), nil
	}
	n := bytes.Count(rest, []byte(" ")) + 1
	if n > maxStanzaArgs+1 {
		return string(l), nil
	}
	args := make([]string, 0, n)
	for a := range bytes.SplitSeq(rest, []byte(" ")) {
		if !isValidArg(a) {
			return string(l), nil
		}
		args = append(args, internArg(a))
	}
	return string(prefix), args
}

// internArg returns a as a string, without allocating for the stanza types
// kpnode writes.
func internArg(a []byte) string {
	switch string(a) {
	case x25519StanzaType:
		return x25519StanzaType
	case ssStanzaType:
		return ssStanzaType
	}
	return string(a)
}

// isValidArg reports whether a is a non-empty run of printable ASCII
// without spaces, the only strings age allows in a header line.
func isValidArg(a []byte) bool {
	for _, c := range a {
		if c < '!' || c > '~' {
			return false
		}
	}
	return len(a) > 0
}

// appendFooter appends "---" and the MAC line to b, whose header starts
// at start.
func appendFooter(b []byte, start int, fileKey []byte) ([]byte, error) {
	b = append(b, footerPrefix...)
	mac, err := headerMAC(fileKey, b[start:])
	if err != nil {
		return nil, err
	}
	b = append(b, ' ')
	return append(b64.AppendEncode(b, mac[:]), '\n'), nil
}

// headerMAC returns HMAC-SHA-256 of signed (the header up to and including
// "---") under HKDF-SHA-256(ikm = file key, salt = empty, info = "header").
func headerMAC(fileKey, signed []byte) ([macSize]byte, error) {
	var mac [macSize]byte
	key, err := hkdfSHA256(fileKey, nil, "header")
	if err != nil {
		return mac, err
	}
	m := hmac.New(sha256.New, key[:])
	m.Write(signed)
	m.Sum(mac[:0])
	return mac, nil
}

// verifyMAC reports whether h's MAC is right for fileKey, in constant time.
func (h *header) verifyMAC(fileKey []byte) error {
	mac, err := headerMAC(fileKey, h.signed)
	if err != nil {
		return err
	}
	if !hmac.Equal(mac[:], h.mac) {
		return errors.New("bad header MAC")
	}
	return nil
}
