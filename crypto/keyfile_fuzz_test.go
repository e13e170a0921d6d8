package crypto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParseIdentity feeds key file bodies to ParseIdentity (what
// ReadKeyFile does once the file is read and, if protected, decrypted): it
// must never panic, must name ErrMalformedKeyFile on every refusal and
// return no identity then, and an identity it accepts must write back to a
// file that parses to the same keys.
func FuzzParseIdentity(f *testing.F) {
	id := mustIdentity(f)
	good := id.marshal()
	f.Add(good)
	f.Add(good[:len(good)/2])                                               // truncated
	f.Add(bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")))             // CRLF
	f.Add([]byte(keyFileHeader + "\ned25519 AAAA\nage AGE-SECRET-KEY-1\n")) // short keys
	f.Add([]byte("ed25519 " + strings.Repeat("A", 44) + "\n"))              // no header
	f.Add([]byte("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := ParseIdentity(body)
		if err != nil {
			if got != nil || !errors.Is(err, ErrMalformedKeyFile) {
				t.Fatalf("ParseIdentity = %v, %v: want nil and ErrMalformedKeyFile", got, err)
			}
			return
		}
		back, err := ParseIdentity(got.marshal())
		if err != nil {
			t.Fatalf("an accepted identity does not read back: %v", err)
		}
		if back.Public() != got.Public() || back.AgeIdentity().String() != got.AgeIdentity().String() {
			t.Fatal("an accepted identity reads back with other keys")
		}
	})
}

// FuzzParsePublicKey checks the two textual forms of a public key (base64
// and libp2p peer ID): refusals return the zero key, and an accepted key
// prints back to a form that parses to the same key.
func FuzzParsePublicKey(f *testing.F) {
	k := mustIdentity(f).Public()
	f.Add(k.String())
	f.Add(k.PeerID())
	f.Add(k.String()[:10])
	f.Add("12D3KooW")
	f.Fuzz(func(t *testing.T, s string) {
		for name, parse := range map[string]func(string) (PublicKey, error){"base64": ParsePublicKey, "peer ID": PublicKeyFromPeerID} {
			got, err := parse(s)
			if err != nil {
				if got != (PublicKey{}) {
					t.Fatalf("%s: a refused key is not zero: %v", name, got)
				}
				continue
			}
			if again, err := ParsePublicKey(got.String()); err != nil || again != got {
				t.Fatalf("%s: %q parsed to a key whose base64 does not read back: %v", name, s, err)
			}
			if again, err := PublicKeyFromPeerID(got.PeerID()); err != nil || again != got {
				t.Fatalf("%s: %q parsed to a key whose peer ID does not read back: %v", name, s, err)
			}
		}
	})
}
