package crypto

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// Crafted age files: headers written by hand with a known file key, so
// that their MAC is right and only the parser can refuse them. Each case
// must get the same verdict from Open and from the age library.

// testFileKey is the file key of every crafted file.
var testFileKey = []byte("kpnode test key!")

// testAgeSecret is participant 0's age identity in docs/protocol.md §9.
const testAgeSecret = "AGE-SECRET-KEY-13N3NQUV9X23324AJYKXUXG8C5YTJM0V9AM56X7H7APGD7W79J9MQQC5RFH"

func testAgeIdentity(t testing.TB) *age.X25519Identity {
	t.Helper()
	id, err := age.ParseX25519Identity(testAgeSecret)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// stanzaText encodes s as age does.
func stanzaText(s *age.Stanza) string {
	var b strings.Builder
	b.WriteString("-> " + strings.Join(append([]string{s.Type}, s.Args...), " ") + "\n")
	body := s.Body
	for len(body) >= bytesPerLine {
		b.WriteString(b64.EncodeToString(body[:bytesPerLine]) + "\n")
		body = body[bytesPerLine:]
	}
	b.WriteString(b64.EncodeToString(body) + "\n")
	return b.String()
}

// x25519Stanza returns a stanza wrapping testFileKey to id, as text.
func x25519Stanza(t testing.TB, id *age.X25519Identity) string {
	t.Helper()
	s, err := id.Recipient().Wrap(testFileKey)
	if err != nil {
		t.Fatal(err)
	}
	return stanzaText(s[0])
}

// greaseStanzas returns n stanzas of an unknown type with empty bodies.
func greaseStanzas(n int) string {
	return strings.Repeat("-> grease\n\n", n)
}

// chunk is one STREAM chunk of a crafted payload.
type chunk struct {
	plaintext []byte
	last      bool
}

// testNonce is the payload nonce of crafted files.
var testNonce = bytes.Repeat([]byte{7}, streamNonceSize)

// craftPayload seals chunks under fileKey, chunk i with counter i.
func craftPayload(t testing.TB, fileKey []byte, chunks ...chunk) []byte {
	t.Helper()
	key, err := hkdf.Key(sha256.New, fileKey, testNonce, "payload", chacha20poly1305.KeySize)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(testNonce)
	for i, c := range chunks {
		var nonce [chacha20poly1305.NonceSize]byte
		binary.BigEndian.PutUint64(nonce[3:11], uint64(i))
		if c.last {
			nonce[11] = 1
		}
		out = aead.Seal(out, nonce[:], c.plaintext, nil)
	}
	return out
}

// craftRaw returns signed (a header up to and including "---"), a MAC
// line made by footer from the right MAC, and payload.
func craftRaw(t testing.TB, signed string, footer func(mac string) string, payload []byte) []byte {
	t.Helper()
	mac, err := headerMAC(testFileKey, []byte(signed))
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(signed+footer(b64.EncodeToString(mac[:]))), payload...)
}

// canonicalFooter is the MAC line as age writes it.
func canonicalFooter(mac string) string { return " " + mac + "\n" }

// craftFile returns an age file with these stanzas, a right MAC and pt as
// one last chunk.
func craftFile(t testing.TB, stanzas string, fileKey []byte, pt string) []byte {
	t.Helper()
	payload := craftPayload(t, fileKey, chunk{[]byte(pt), true})
	return craftRaw(t, ageIntro+"\n"+stanzas+"---", canonicalFooter, payload)
}

// sameVerdict checks that Open and age agree with want on ct, and on the
// plaintext when both accept, and that the hand-written header path
// (openHeader, ageheader_parse.go) agrees with age.DecryptHeader.
func sameVerdict(t *testing.T, ct []byte, id *age.X25519Identity, want bool) {
	t.Helper()
	ours, oerr := Open(ct, id, 2*maxRecipientStanzas)
	theirs, aerr := ageDecrypt(ct, id)
	if (oerr == nil) != want || (aerr == nil) != want {
		t.Fatalf("want accepted = %v; Open: %v; age: %v", want, oerr, aerr)
	}
	_, _, herr := openHeader(ct, fastIdentity(id), 2*maxRecipientStanzas)
	if _, derr := age.DecryptHeader(ct, id); (herr == nil) != (derr == nil) {
		t.Fatalf("header: by hand %v; age %v", herr, derr)
	}
	if want && !bytes.Equal(ours, theirs) {
		t.Fatalf("plaintexts differ: Open %q, age %q", ours, theirs)
	}
}

// stanzaCase is the stanzas of a crafted file and whether age opens it.
type stanzaCase struct {
	name    string
	stanzas string
	ok      bool
}

// stanzaCases are the cases of TestHeaderStanzas: hostile stanzas around
// id's own stanza for testFileKey. FuzzParseHeader starts from them too.
func stanzaCases(t testing.TB, id *age.X25519Identity) []stanzaCase {
	x := x25519Stanza(t, id)
	xs, _ := id.Recipient().Wrap(testFileKey)
	eph, body := xs[0].Args[0], b64.EncodeToString(xs[0].Body)
	enc := func(n int) string { return b64.EncodeToString(bytes.Repeat([]byte{0xa5}, n)) }
	return []stanzaCase{
		{"ours alone", x, true},
		{"grease first", greaseStanzas(1) + x, true},
		{"grease with args", "-> grease a b! ~c\n" + enc(10) + "\n" + x, true},
		{"48-byte body and empty line", "-> grease\n" + enc(48) + "\n\n" + x, true},
		{"100-byte body", stanzaText(&age.Stanza{Type: "g", Body: bytes.Repeat([]byte{1}, 100)}) + x, true},
		{"129 arguments", "-> g" + strings.Repeat(" a", 128) + "\n\n" + x, true},
		{"malformed X25519 after ours", x + "-> X25519 a b\n\n", true},
		{"1024 stanzas", greaseStanzas(maxRecipientStanzas-1) + x, true},
		{"no stanzas", "", false},
		{"130 arguments", "-> g" + strings.Repeat(" a", 129) + "\n\n" + x, false},
		{"48-byte body without empty line", "-> grease\n" + enc(48) + "\n" + x, false},
		{"padded body", "-> grease\n" + base64.StdEncoding.EncodeToString([]byte{1}) + "\n" + x, false},
		{"non-zero trailing bits", "-> grease\nAB\n" + x, false},
		{"CRLF body line", "-> grease\n" + enc(10) + "\r\n" + x, false},
		{"CRLF stanza line", "-> grease\r\n\n" + x, false},
		{"double space", "->  grease\n\n" + x, false},
		{"trailing space", "-> grease \n\n" + x, false},
		{"no type", "->\n\n" + x, false},
		{"empty type", "-> \n\n" + x, false},
		{"leading space", " -> grease\n\n" + x, false},
		{"long prefix", "--> grease\n\n" + x, false},
		{"non-ASCII type", "-> gr\xc3\xa9ase\n\n" + x, false},
		{"DEL in type", "-> gr\x7fase\n\n" + x, false},
		{"body line too long", "-> grease\n" + enc(51) + "\n" + x, false},
		{"body line of 65 characters", "-> grease\n" + enc(48) + "A\n" + x, false},
		{"short line then more", "-> grease\n" + enc(10) + "\n" + enc(10) + "\n" + x, false},
		{"X25519 with 2 arguments", "-> X25519 " + eph + " x\n" + body + "\n" + x, false},
		{"X25519 without argument", "-> X25519\n" + body + "\n" + x, false},
		{"X25519 non-canonical key", "-> X25519 " + eph[:42] + "B\n" + body + "\n" + x, false},
		{"X25519 31-byte key", "-> X25519 " + enc(31) + "\n" + body + "\n" + x, false},
		{"X25519 low-order key", "-> X25519 " + b64.EncodeToString(make([]byte, 32)) + "\n" + body + "\n" + x, false},
		{"X25519 33-byte body", "-> X25519 " + eph + "\n" + enc(33) + "\n" + x, false},
		{"X25519 31-byte body", "-> X25519 " + eph + "\n" + enc(31) + "\n" + x, false},
		{"1025 stanzas", greaseStanzas(maxRecipientStanzas) + x, false},
	}
}

func TestHeaderStanzas(t *testing.T) {
	id := testAgeIdentity(t)
	for _, tc := range stanzaCases(t, id) {
		t.Run(tc.name, func(t *testing.T) {
			sameVerdict(t, craftFile(t, tc.stanzas, testFileKey, "hello"), id, tc.ok)
		})
	}
}

// frameCase is a header with its intro and closing line written by hand
// (footer makes the closing line from the right MAC) and whether age
// opens the file.
type frameCase struct {
	name   string
	signed string
	footer func(string) string
	ok     bool
}

// frameCases are the files of TestHeaderIntroAndFooter, for id;
// FuzzParseHeader starts from them too.
func frameCases(t testing.TB, id *age.X25519Identity) []frameCase {
	x := x25519Stanza(t, id)
	footer := func(f string) func(string) string {
		return func(mac string) string { return fmt.Sprintf(f, mac) }
	}
	return []frameCase{
		{"canonical", ageIntro + "\n" + x + "---", canonicalFooter, true},
		{"intro v2", "age-encryption.org/v2\n" + x + "---", canonicalFooter, false},
		{"intro CRLF", ageIntro + "\r\n" + x + "---", canonicalFooter, false},
		{"intro trailing space", ageIntro + " \n" + x + "---", canonicalFooter, false},
		{"no intro", x + "---", canonicalFooter, false},
		{"double space", ageIntro + "\n" + x + "---", footer("  %s\n"), false},
		{"extra argument", ageIntro + "\n" + x + "---", footer(" %s x\n"), false},
		{"no space", ageIntro + "\n" + x + "---", footer("%s\n"), false},
		{"four dashes", ageIntro + "\n" + x + "---", footer("- %s\n"), false},
		{"CRLF", ageIntro + "\n" + x + "---", footer(" %s\r\n"), false},
		{"padded MAC", ageIntro + "\n" + x + "---", footer(" %s=\n"), false},
		{"no newline", ageIntro + "\n" + x + "---", footer(" %s"), false},
		{"non-canonical MAC", ageIntro + "\n" + x + "---", func(mac string) string {
			last := strings.IndexByte(b64Alphabet, mac[42])
			return " " + mac[:42] + string(b64Alphabet[last|1]) + "\n"
		}, false},
	}
}

func TestHeaderIntroAndFooter(t *testing.T) {
	id := testAgeIdentity(t)
	payload := craftPayload(t, testFileKey, chunk{[]byte("hi"), true})
	for _, tc := range frameCases(t, id) {
		t.Run(tc.name, func(t *testing.T) {
			sameVerdict(t, craftRaw(t, tc.signed, tc.footer, payload), id, tc.ok)
		})
	}
}

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// TestHeaderSizeLimit checks age's 2 MiB header limit on both sides of it.
func TestHeaderSizeLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two 2 MiB headers; skipped with -short")
	}
	id := testAgeIdentity(t)
	x := x25519Stanza(t, id)
	fixed := len(ageIntro) + 1 + len(x) + len("--- ") + 43 + 1
	for _, over := range []int{0, 1} {
		// A grease stanza "-> g <arg>\n" + 64-character lines + "\n"
		// fills the header to exactly 2 MiB (+ over).
		lines := (maxHeaderBytes - fixed - 100) / (columnsPerLine + 1)
		arg := maxHeaderBytes + over - fixed - lines*(columnsPerLine+1) - 1 - len("-> g \n")
		g := "-> g " + strings.Repeat("a", arg) + "\n" + strings.Repeat(strings.Repeat("A", columnsPerLine)+"\n", lines) + "\n"
		ct := craftFile(t, g+x, testFileKey, "hi")
		if hdr := bytes.Index(ct, []byte("\n--- ")) + 1 + 48; hdr != maxHeaderBytes+over {
			t.Fatalf("header of %d bytes, want %d", hdr, maxHeaderBytes+over)
		}
		t.Run(fmt.Sprintf("2MiB+%d", over), func(t *testing.T) { sameVerdict(t, ct, id, over == 0) })
	}
}

func TestPayloadChunks(t *testing.T) {
	id := testAgeIdentity(t)
	x := x25519Stanza(t, id)
	full := bytes.Repeat([]byte{3}, chunkSize)
	signed := ageIntro + "\n" + x + "---"
	for _, tc := range []struct {
		name    string
		payload []byte
		ok      bool
	}{
		{"empty last chunk alone", craftPayload(t, testFileKey, chunk{nil, true}), true},
		{"full last chunk alone", craftPayload(t, testFileKey, chunk{full, true}), true},
		{"full chunk and 1 byte", craftPayload(t, testFileKey, chunk{full, false}, chunk{[]byte{1}, true}), true},
		{"short chunk not flagged", craftPayload(t, testFileKey, chunk{[]byte("x"), false}), false},
		{"empty chunk not flagged", craftPayload(t, testFileKey, chunk{nil, false}), false},
		{"full chunk not flagged", craftPayload(t, testFileKey, chunk{full, false}), false},
		{"full chunk and empty last", craftPayload(t, testFileKey, chunk{full, false}, chunk{nil, true}), false},
		{"two last chunks", craftPayload(t, testFileKey, chunk{full, true}, chunk{[]byte{1}, true}), false},
		{"nonce only", testNonce, false},
		{"half a nonce", testNonce[:8], false},
		{"nothing", nil, false},
		{"15 bytes after the nonce", append(bytes.Clone(testNonce), make([]byte, 15)...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sameVerdict(t, craftRaw(t, signed, canonicalFooter, tc.payload), id, tc.ok)
		})
	}
	// A lone chunk sealed with counter 1 instead of 0.
	two := craftPayload(t, testFileKey, chunk{nil, false}, chunk{[]byte("x"), true})
	second := append(bytes.Clone(testNonce), two[streamNonceSize+tagSize:]...)
	sameVerdict(t, craftRaw(t, signed, canonicalFooter, second), id, false)
}
