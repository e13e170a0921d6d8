package crypto

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

var updateVectors = flag.Bool("update", false, "rewrite testdata/ss25519.json from its fixed inputs")

// ssVectorPath is the static-static stanza vector of docs/protocol.md §3.0.
var ssVectorPath = filepath.Join("testdata", "ss25519.json")

// ssVector is one static-static stanza, worked through: the inputs (keys,
// salt, file key; payload nonce and plaintext of a whole file), every
// intermediate value and the outputs. Byte strings are lowercase hex.
type ssVector struct {
	Description     string `json:"description"`
	AuthorSecret    string `json:"author_secret"`
	AuthorPublic    string `json:"author_public"`
	RecipientSecret string `json:"recipient_secret"`
	RecipientPublic string `json:"recipient_public"`
	Shared          string `json:"shared"`
	Salt            string `json:"salt"`
	HKDFSalt        string `json:"hkdf_salt"`
	HKDFInfo        string `json:"hkdf_info"`
	HKDFLength      int    `json:"hkdf_length"`
	WrapKey         string `json:"wrap_key"`
	FileKey         string `json:"file_key"`
	Body            string `json:"body"`
	Stanza          string `json:"stanza"`
	PayloadNonce    string `json:"payload_nonce"`
	Plaintext       string `json:"plaintext"`
	File            string `json:"file"`
}

// Fixed inputs of the vector: participants 1 (author) and 2 (recipient)
// of docs/protocol.md §9, a salt of 16 bytes 0x01..0x10, testFileKey and
// testNonce.
const (
	vectorAuthorSecret    = "AGE-SECRET-KEY-1WXUGZH5TK305CRV9KU6G4D2MFPP5PUTR935PMKWXRAGA2NVUKCZSX77PPL"
	vectorRecipientSecret = "AGE-SECRET-KEY-1LDRMMPFJP7TVP8XRUAHK8E8HHJW3GF7YUQRANPERK9YCFZTA6JWSAEVPHP"
	vectorPlaintext       = "kpnode static-static test vector"
)

var vectorSalt = []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

// TestStaticVector checks the committed vector against this package: the
// shared secret, the 32-byte HKDF output, the stanza body and text, and
// the whole file opened by Open and by age.Decrypt with the recipient's
// static identity. With -update it rewrites the file from the inputs.
func TestStaticVector(t *testing.T) {
	got := computeSSVector(t)
	if *updateVectors {
		writeSSVector(t, got)
	}
	var want ssVector
	raw, err := os.ReadFile(ssVectorPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("%s: %v", ssVectorPath, err)
	}
	if got != want {
		t.Fatalf("%s differs from the computed vector:\ngot  %+v\nwant %+v", ssVectorPath, got, want)
	}
	if want.HKDFLength != chacha20poly1305.KeySize || len(want.WrapKey) != 2*want.HKDFLength {
		t.Errorf("wrap key %s: want %d bytes", want.WrapKey, chacha20poly1305.KeySize)
	}
	checkSSVectorMath(t, &want)
	openSSVector(t, &want)
}

// checkSSVectorMath recomputes the vector's derivation with the standard
// library alone, from its own fields: X25519, HKDF-SHA-256 of hkdf_length
// bytes, and ChaCha20-Poly1305 with a zero nonce.
func checkSSVectorMath(t *testing.T, v *ssVector) {
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	secret, err := decodeBech32(nil, strings.ToLower(v.AuthorSecret), "age-secret-key-")
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ecdh.X25519().NewPrivateKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	salt := unhex(v.HKDFSalt)
	pub, err := ecdh.X25519().NewPublicKey(salt[ssSaltSize+x25519KeySize:])
	if err != nil {
		t.Fatal(err)
	}
	shared, err := priv.ECDH(pub)
	if err != nil || hex.EncodeToString(shared) != v.Shared {
		t.Fatalf("shared secret %x (%v), vector says %s", shared, err, v.Shared)
	}
	key, err := hkdf.Key(sha256.New, shared, salt, v.HKDFInfo, v.HKDFLength)
	if err != nil || hex.EncodeToString(key) != v.WrapKey {
		t.Fatalf("HKDF gives %x (%v), vector says %s", key, err, v.WrapKey)
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		t.Fatal(err)
	}
	fileKey, err := aead.Open(nil, make([]byte, aead.NonceSize()), unhex(v.Body), nil)
	if err != nil || hex.EncodeToString(fileKey) != v.FileKey {
		t.Fatalf("body opens to %x (%v), vector says %s", fileKey, err, v.FileKey)
	}
}

// computeSSVector works the vector out from its fixed inputs.
func computeSSVector(t *testing.T) ssVector {
	author, recipient := mustParseAge(t, vectorAuthorSecret), mustParseAge(t, vectorRecipientSecret)
	r, err := NewStaticRecipient(author, recipient.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	p := r.pair
	wrapKey := p.wrapKey(vectorSalt)
	body, err := r.seal(vectorSalt, testFileKey)
	if err != nil {
		t.Fatal(err)
	}
	stanza := stanzaText(&age.Stanza{Type: ssStanzaType, Args: []string{b64.EncodeToString(vectorSalt)}, Body: body})
	file := craftFile(t, stanza, testFileKey, vectorPlaintext)
	return ssVector{
		Description: "one kpnode-ss25519 stanza from participant 1 (author) to participant 2 " +
			"(recipient) of docs/protocol.md §9, and an age file holding it alone; hex unless named",
		AuthorSecret:    vectorAuthorSecret,
		AuthorPublic:    author.Recipient().String(),
		RecipientSecret: vectorRecipientSecret,
		RecipientPublic: recipient.Recipient().String(),
		Shared:          hex.EncodeToString(p.shared),
		Salt:            hex.EncodeToString(vectorSalt),
		HKDFSalt:        hex.EncodeToString(append(append(bytes.Clone(vectorSalt), p.author[:]...), p.recipient[:]...)),
		HKDFInfo:        ssLabel,
		HKDFLength:      len(wrapKey),
		WrapKey:         hex.EncodeToString(wrapKey[:]),
		FileKey:         hex.EncodeToString(testFileKey),
		Body:            hex.EncodeToString(body),
		Stanza:          stanza,
		PayloadNonce:    hex.EncodeToString(testNonce),
		Plaintext:       vectorPlaintext,
		File:            hex.EncodeToString(file),
	}
}

// openSSVector opens the vector's file as its recipient, with Open and
// with age.Decrypt given the same identity; a stranger cannot.
func openSSVector(t *testing.T, v *ssVector) {
	file, err := hex.DecodeString(v.File)
	if err != nil {
		t.Fatal(err)
	}
	author, recipient := mustParseAge(t, v.AuthorSecret), mustParseAge(t, v.RecipientSecret)
	id, err := NewStaticIdentity(recipient, author.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := Open(file, id, 1); err != nil || string(pt) != v.Plaintext {
		t.Errorf("Open: %q, %v; want %q", pt, err, v.Plaintext)
	}
	if pt, err := ageDecrypt(file, id); err != nil || string(pt) != v.Plaintext {
		t.Errorf("age.Decrypt: %q, %v; want %q", pt, err, v.Plaintext)
	}
	if _, err := Open(file, recipient, 1); err == nil {
		t.Error("the recipient's plain X25519 identity opened a static-static stanza")
	}
}

func writeSSVector(t *testing.T, v ssVector) {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // the stanza's "->" as written
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(ssVectorPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ssVectorPath, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustParseAge(t *testing.T, s string) *age.X25519Identity {
	id, err := age.ParseX25519Identity(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
