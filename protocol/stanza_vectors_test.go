package protocol

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/cryptotest"

	"filippo.io/age"
	"github.com/kpnode/kpnode/crypto"
	"golang.org/x/crypto/chacha20poly1305"
)

// The static-static stanza (§3.0 of docs/protocol.md) is checked here
// against the specification, not against package crypto's internals:
// the test derives every key itself from the test identities' age keys
// (crypto/ecdh, crypto/hkdf, ChaCha20-Poly1305) and uses package crypto
// only as a black box that seals and opens. The wire format must not
// change when crypto's code does.

// ssVectorName is the static-static vector: testdata/stanza_ss25519.hex
// holds an age file and stanza_ss25519.json what the test identities
// derive from it.
const ssVectorName = "stanza_ss25519"

// stanzaVector is the expected content of testdata/stanza_ss25519.hex, a
// record sealed by test identity Author with static-static stanzas.
type stanzaVector struct {
	Description  string           `json:"description"`
	Author       int              `json:"author,omitempty"`        // test identity that sealed
	AuthorPublic string           `json:"author_public,omitempty"` // hex of its age X25519 public key
	FileKey      string           `json:"file_key,omitempty"`      // hex, 16 bytes
	Plaintext    string           `json:"plaintext,omitempty"`     // hex: 0x01 || record salt || body
	Stanzas      []ssStanzaVector `json:"stanzas,omitempty"`       // in header order
}

// ssStanzaVector is one stanza of the vector and every value derived
// on the way from the keys to the file key.
type ssStanzaVector struct {
	Reader       int    `json:"reader,omitempty"`        // test identity the stanza is for
	ReaderPublic string `json:"reader_public,omitempty"` // hex of its age X25519 public key
	Text         string `json:"text,omitempty"`          // the stanza as it appears in the header
	Salt         string `json:"salt,omitempty"`          // hex, 16 bytes: the stanza's argument
	Shared       string `json:"shared,omitempty"`        // hex, X25519(author, reader)
	HKDFSalt     string `json:"hkdf_salt,omitempty"`     // hex, salt || author public || reader public
	WrapKey      string `json:"wrap_key,omitempty"`      // hex, HKDF-SHA-256 output, 32 bytes
	Body         string `json:"body,omitempty"`          // hex, 32 bytes: the wrapped file key and its tag
}

// ssInfo is the HKDF info of the static-static wrap key.
const ssInfo = "kpnode/ss25519/v1"

func TestStaticStanzaVector(t *testing.T) {
	if *update {
		writeStanzaVector(t)
	}
	var v stanzaVector
	if err := json.Unmarshal(readFile(t, "testdata/"+ssVectorName+".json"), &v); err != nil {
		t.Fatalf("%v; run go test ./protocol -run TestStaticStanzaVector -update", err)
	}
	ct := readHex(t, "testdata/"+ssVectorName+".hex")
	readers := make([]int, len(v.Stanzas))
	for i, s := range v.Stanzas {
		readers[i] = s.Reader
	}
	got := describeStanzas(t, ct, v.Author, readers)
	got.Description = v.Description
	if !reflect.DeepEqual(got, v) {
		t.Errorf("derived\n%#v\nwant\n%#v", got, v)
	}
	// The code opens the vector, as every reader.
	plain, _ := hex.DecodeString(v.Plaintext)
	for _, r := range readers {
		id, err := crypto.NewStaticIdentity(testIdentity(t, r).AgeIdentity(), testIdentity(t, v.Author).Recipient())
		if err != nil {
			t.Fatal(err)
		}
		out, err := crypto.Open(ct, id, len(readers))
		if err != nil || !bytes.Equal(out, plain) {
			t.Errorf("identity %d: crypto.Open = %x, %v; want the vector's plaintext", r, out, err)
		}
	}
}

// TestStaticStanzaSeal checks that what the code seals now is what the
// specification derives: each stanza has the vector's shape and opens with
// the wrap key the test derives for its reader, all to one file key, and
// that file key opens the file with age's own reader.
func TestStaticStanzaSeal(t *testing.T) {
	readers := []int{2, 1, 0}
	plain := []byte("static-static stanzas, sealed by identity 0")
	ct, err := crypto.Seal(plain, staticRecipients(t, 0, readers...))
	if err != nil {
		t.Fatal(err)
	}
	v := describeStanzas(t, ct, 0, readers)
	for i, s := range v.Stanzas {
		if !strings.HasPrefix(s.Text, "-> kpnode-ss25519 ") || len(s.Text) != len("-> kpnode-ss25519 \n\n")+22+43 {
			t.Errorf("stanza %d is %q; want \"-> kpnode-ss25519 <22 characters>\\n<43 characters>\\n\"", i, s.Text)
		}
	}
	if v.Plaintext != hex.EncodeToString(plain) {
		t.Errorf("plaintext %s, want %x", v.Plaintext, plain)
	}
}

// staticRecipients returns the static recipients of author for readers.
func staticRecipients(t *testing.T, author int, readers ...int) []age.Recipient {
	t.Helper()
	var rs []age.Recipient
	for _, r := range readers {
		s, err := crypto.NewStaticRecipient(testIdentity(t, author).AgeIdentity(), testIdentity(t, r).Recipient())
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, s)
	}
	return rs
}

// writeStanzaVector seals vectorBody as a record from identity 0 to
// identity 1 (the audience) and to itself, with a fixed randomness
// stream.
func writeStanzaVector(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 2)
	ct, _, err := SealRecord([]byte(vectorBody), staticRecipients(t, 0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	v := describeStanzas(t, ct, 0, []int{1, 0})
	v.Description = "vectorBody sealed as a record by identity 0 to identity 1 (audience BE) and to itself, " +
		"static-static stanzas only; each stanza's values are derived from the identities' age keys"
	writeVectorFiles(t, ssVectorName, ct, v)
	// Again without escaping the "->" of the stanza texts as \u003e.
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	writeFile(t, "testdata/"+ssVectorName+".json", js.Bytes())
}

// describeStanzas derives, from the keys alone, the values of every stanza
// of ct (author sealed it to readers, in that order), opens each stanza
// with the wrap key derived for its reader, requires one file key for all,
// and opens the file with it through age.
func describeStanzas(t *testing.T, ct []byte, author int, readers []int) stanzaVector {
	t.Helper()
	stanzas := ageStanzas(t, ct)
	if len(stanzas) != len(readers) {
		t.Fatalf("%d stanzas, want %d", len(stanzas), len(readers))
	}
	authorSecret, authorPublic := ageKeys(t, author)
	v := stanzaVector{Author: author, AuthorPublic: hex.EncodeToString(authorPublic)}
	var fileKey []byte
	for i, st := range stanzas {
		s, key := deriveStanza(t, st, authorSecret, authorPublic, readers[i])
		if fileKey != nil && !bytes.Equal(key, fileKey) {
			t.Fatalf("stanza %d wraps file key %x, stanza 0 %x", i, key, fileKey)
		}
		fileKey = key
		v.Stanzas = append(v.Stanzas, s)
	}
	r, err := age.Decrypt(bytes.NewReader(ct), age.NewInjectedFileKeyIdentity(fileKey))
	if err != nil {
		t.Fatalf("age with the derived file key: %v", err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("age with the derived file key: %v", err)
	}
	v.FileKey, v.Plaintext = hex.EncodeToString(fileKey), hex.EncodeToString(plain)
	return v
}

// deriveStanza derives the wrap key of st for reader from the author's
// side, checks that the reader's side gives the same shared secret, and
// opens the stanza's body.
func deriveStanza(t *testing.T, st ageStanza, authorSecret, authorPublic []byte, reader int) (ssStanzaVector, []byte) {
	t.Helper()
	if st.typ != "kpnode-ss25519" || len(st.args) != 1 || len(st.body) != 32 {
		t.Fatalf("stanza %q: want type kpnode-ss25519, one argument, a body of 32 bytes", st.text)
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(st.args[0])
	if err != nil || len(salt) != 16 {
		t.Fatalf("stanza %q: salt is not 16 bytes of base64: %v", st.text, err)
	}
	readerSecret, readerPublic := ageKeys(t, reader)
	shared := x25519(t, authorSecret, readerPublic)
	if !bytes.Equal(shared, x25519(t, readerSecret, authorPublic)) {
		t.Fatal("X25519 is not symmetric")
	}
	hkdfSalt := cat(salt, authorPublic, readerPublic)
	wrap, err := hkdf.Key(sha256.New, shared, hkdfSalt, ssInfo, chacha20poly1305.KeySize)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := chacha20poly1305.New(wrap)
	if err != nil {
		t.Fatal(err)
	}
	fileKey, err := aead.Open(nil, make([]byte, chacha20poly1305.NonceSize), st.body, nil)
	if err != nil {
		t.Fatalf("stanza %q does not open with the wrap key derived for identity %d", st.text, reader)
	}
	return ssStanzaVector{Reader: reader, ReaderPublic: hex.EncodeToString(readerPublic), Text: st.text,
		Salt: hex.EncodeToString(salt), Shared: hex.EncodeToString(shared), HKDFSalt: hex.EncodeToString(hkdfSalt),
		WrapKey: hex.EncodeToString(wrap), Body: hex.EncodeToString(st.body)}, fileKey
}

func x25519(t *testing.T, secret, public []byte) []byte {
	t.Helper()
	priv, err := ecdh.X25519().NewPrivateKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ecdh.X25519().NewPublicKey(public)
	if err != nil {
		t.Fatal(err)
	}
	s, err := priv.ECDH(pub)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ageKeys returns the raw age X25519 secret and public keys of test
// identity n, decoded from their age strings.
func ageKeys(t *testing.T, n int) (secret, public []byte) {
	t.Helper()
	id := testIdentity(t, n)
	return bech32Data(t, id.AgeIdentity().String()), bech32Data(t, id.Recipient().String())
}

// bech32Data decodes the data part of a bech32 string (age's key
// encoding) into bytes, without checking the checksum.
func bech32Data(t *testing.T, s string) []byte {
	t.Helper()
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	s = strings.ToLower(s)
	data := s[strings.LastIndexByte(s, '1')+1 : len(s)-6]
	var out []byte
	var acc, bits uint
	for _, c := range data {
		acc = acc<<5 | uint(strings.IndexRune(charset, c))
		if bits += 5; bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
			acc &= 1<<bits - 1
		}
	}
	if len(out) != 32 {
		t.Fatalf("%d bytes in an age key string, want 32", len(out))
	}
	return out
}

// ageStanza is a recipient stanza as it appears in an age header.
type ageStanza struct {
	typ  string
	args []string
	body []byte
	text string // the stanza's lines, each with its newline
}

// ageStanzas parses the recipient stanzas of an age file's header, as
// age-encryption.org/v1 writes them: "-> type args…", then the body in
// base64 lines of 64 characters, the last one shorter.
func ageStanzas(t *testing.T, ct []byte) []ageStanza {
	t.Helper()
	lines := strings.SplitAfter(string(ct), "\n")
	if len(lines) == 0 || lines[0] != "age-encryption.org/v1\n" {
		t.Fatal("not an age v1 file")
	}
	var out []ageStanza
	for i := 1; i < len(lines) && !strings.HasPrefix(lines[i], "---"); {
		f := strings.Fields(lines[i])
		if len(f) < 2 || f[0] != "->" {
			t.Fatalf("header line %d is %q, want a stanza", i, lines[i])
		}
		st := ageStanza{typ: f[1], args: f[2:], text: lines[i]}
		var b64 strings.Builder
		for i++; i < len(lines); i++ {
			st.text += lines[i]
			line := strings.TrimSuffix(lines[i], "\n")
			b64.WriteString(line)
			if len(line) < 64 {
				break
			}
		}
		i++
		body, err := base64.RawStdEncoding.Strict().DecodeString(b64.String())
		if err != nil {
			t.Fatalf("stanza %q: body: %v", st.text, err)
		}
		st.body = body
		out = append(out, st)
	}
	return out
}
