package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testCard() Card {
	return Card{
		Code:    "IN",
		Name:    "Kimberley Process authority of India",
		Addrs:   []string{"/ip4/192.0.2.10/tcp/4001", "/ip4/192.0.2.10/udp/4001/quic-v1"},
		Created: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
	}
}

func TestSignParseCard(t *testing.T) {
	id := testIdentity(t, 0)
	sc, err := SignCard(testCard(), id)
	if err != nil {
		t.Fatalf("SignCard: %v", err)
	}
	b := sc.Bytes()
	if !bytes.HasPrefix(b, []byte(`{"card":{"version":1,"code":"IN",`)) || !bytes.HasSuffix(b, []byte("\"}\n")) {
		t.Errorf("card file %s", b)
	}
	got, err := ParseCard(b)
	if err != nil {
		t.Fatalf("ParseCard: %v", err)
	}
	if !reflect.DeepEqual(got, sc) || !bytes.Equal(got.Bytes(), b) {
		t.Errorf("parsed card differs:\n got %+v\nwant %+v", got, sc)
	}
	c := got.Card
	if c.PeerID != id.Public().PeerID() || c.AgeRecipient != id.Recipient().String() || c.Version != 1 ||
		got.Key != id.Public() || got.Fingerprint() != id.Public().Fingerprint() ||
		got.Recipient().String() != id.Recipient().String() {
		t.Errorf("card identity fields wrong: %+v", got)
	}
}

func TestSignCardNormalises(t *testing.T) {
	c := testCard()
	c.Addrs = nil
	c.Created = time.Date(2026, 11, 20, 12, 0, 0, 999, time.FixedZone("IST", 19800))
	sc, err := SignCard(c, testIdentity(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 20, 6, 30, 0, 0, time.UTC); !sc.Card.Created.Equal(want) || sc.Card.Created.Location() != time.UTC {
		t.Errorf("created %v, want %v", sc.Card.Created, want)
	}
	if sc.Card.Addrs == nil || len(sc.Card.Addrs) != 0 || !bytes.Contains(sc.Bytes(), []byte(`"addrs":[]`)) {
		t.Errorf("nil addrs: %q in %s", sc.Card.Addrs, sc.Bytes())
	}
}

func TestParseCardTolerantEnvelope(t *testing.T) {
	sc, err := SignCard(testCard(), testIdentity(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	b := sc.Bytes()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	reordered := []byte("{\r\n  \"signature\": " + string(env["signature"]) + ",\n  \"card\": " + string(env["card"]) +
		",\n  \"signing_key\": " + string(env["signing_key"]) + "\n}")
	got, err := ParseCard(reordered)
	if err != nil || !bytes.Equal(got.Bytes(), b) {
		t.Errorf("ParseCard(reformatted envelope) = %v; Bytes not canonical", err)
	}
}

func TestParseCardRejects(t *testing.T) {
	id, other := testIdentity(t, 0), testIdentity(t, 1)
	sc, err := SignCard(testCard(), id)
	if err != nil {
		t.Fatal(err)
	}
	good := string(sc.Bytes())
	rawCard := string(sc.raw)
	key, sig := id.Public().String(), b64(sc.sig)
	envelope := func(card, key, sig string) []byte {
		return []byte(`{"card":` + card + `,"signing_key":"` + key + `","signature":"` + sig + `"}` + "\n")
	}
	resigned := func(card string) []byte { return envelope(card, key, b64(id.Sign("kpnode/card/v1", []byte(card)))) }
	tests := []struct {
		name  string
		in    []byte
		want  error  // sentinel, if any
		field string // field named in the message, if any
	}{
		{"oversize", make([]byte, MaxCardSize+1), ErrTooLarge, ""},
		{"not json", []byte("card"), nil, "not valid JSON"},
		{"tampered name", []byte(strings.Replace(good, "India", "Indie", 1)), ErrBadSignature, ""},
		{"whitespace added inside card", envelope(strings.Replace(rawCard, ",", ", ", 1), key, sig), ErrBadSignature, ""},
		{"other key", envelope(rawCard, other.Public().String(), sig), ErrBadSignature, ""},
		{"signed by other key", envelope(rawCard, other.Public().String(), b64(other.Sign("kpnode/card/v1", []byte(rawCard)))), nil, `card: field "peer_id"`},
		{"entry domain", envelope(rawCard, key, b64(id.Sign("kpnode/entry/v1", []byte(rawCard)))), ErrBadSignature, ""},
		{"unknown envelope field", []byte(strings.Replace(good, `{"card"`, `{"note":"x","card"`, 1)), nil, `card file: field "note": unknown field`},
		{"missing signature", []byte(`{"card":` + rawCard + `,"signing_key":"` + key + `"}`), nil, `field "signature": is required`},
		{"short signature", envelope(rawCard, key, b64([]byte("short"))), nil, `field "signature": must be base64`},
		{"bad key", envelope(rawCard, "AAAA", sig), nil, `field "signing_key": must be base64`},
		{"card not object", envelope(`"x"`, key, sig), nil, `field "card": must be an object`},
		{"duplicate card key", []byte(`{"card":` + rawCard + `,"card":` + rawCard + `,"signing_key":"` + key + `","signature":"` + sig + `"}`), nil, "duplicate key"},
		{"unknown card field", resigned(strings.Replace(rawCard, `{"version":1`, `{"version":1,"extra":true`, 1)), nil, `card: field "extra": unknown field`},
		{"version 2", resigned(strings.Replace(rawCard, `"version":1`, `"version":2`, 1)), nil, `card: field "version": unsupported version 2`},
		{"unknown code", resigned(strings.Replace(rawCard, `"IN"`, `"XX"`, 1)), nil, `card: field "code": unknown participant code "XX"`},
		{"trading entity", resigned(strings.Replace(rawCard, `"IN"`, `"TW"`, 1)), nil, `card: field "code": "TW" is a trading_entity`},
		{"empty name", resigned(strings.Replace(rawCard, `"Kimberley Process authority of India"`, `""`, 1)), nil, `card: field "name": is required`},
		{"control char in name", resigned(strings.Replace(rawCard, `of India`, `of\u0007India`, 1)), nil, `card: field "name": contains control character`},
		{"bad recipient", resigned(strings.Replace(rawCard, `"age1`, `"age2`, 1)), nil, `card: field "age_recipient": must be an age X25519 recipient`},
		{"bad addr", resigned(strings.Replace(rawCard, `/ip4/192.0.2.10/tcp/4001`, `/ip4/999.0.2.10/tcp/4001`, 1)), nil, `card: field "addrs[0]": must be a multiaddr`},
		{"addr of other peer", resigned(strings.Replace(rawCard, `/ip4/192.0.2.10/tcp/4001`, `/ip4/192.0.2.10/tcp/4001/p2p/`+other.Public().PeerID(), 1)), nil, `card: field "addrs[0]": names peer`},
		{"bad created", resigned(strings.Replace(rawCard, `2026-11-20T10:00:00Z`, `20 Nov 2026`, 1)), nil, `card: field "created": must be an RFC 3339 time`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCard(tt.in)
			if got != nil || err == nil {
				t.Fatalf("ParseCard = %v, %v; want an error", got, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			var ve *ValidationError
			if tt.field != "" && (!strings.Contains(err.Error(), tt.field) || !errors.As(err, &ve)) {
				t.Errorf("error %q, want a ValidationError naming %q", err, tt.field)
			}
		})
	}
}

func TestSignCardValidates(t *testing.T) {
	id := testIdentity(t, 0)
	tests := []struct {
		name   string
		modify func(*Card)
		field  string
	}{
		{"unknown code", func(c *Card) { c.Code = "XX" }, "code"},
		{"missing code", func(c *Card) { c.Code = "" }, "code"},
		{"long name", func(c *Card) { c.Name = strings.Repeat("n", 201) }, "name"},
		{"other peer", func(c *Card) { c.PeerID = testIdentity(t, 1).Public().PeerID() }, "peer_id"},
		{"bad recipient", func(c *Card) { c.AgeRecipient = "age1nope" }, "age_recipient"},
		{"too many addrs", func(c *Card) { c.Addrs = make([]string, MaxCardAddrs+1) }, "addrs"},
		{"empty addr", func(c *Card) { c.Addrs = []string{""} }, "addrs[0]"},
		{"no created", func(c *Card) { c.Created = time.Time{} }, "created"},
		{"version 2", func(c *Card) { c.Version = 2 }, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testCard()
			tt.modify(&c)
			sc, err := SignCard(c, id)
			var ve *ValidationError
			if sc != nil || !errors.As(err, &ve) {
				t.Fatalf("SignCard = %v, %v; want a ValidationError", sc, err)
			}
			if _, ok := ve.Reason(tt.field); !ok {
				t.Errorf("error %v does not name %q", err, tt.field)
			}
		})
	}
	c := testCard()
	c.Code = "BE"
	if _, err := SignCard(c, id); err != nil {
		t.Errorf("SignCard for an EU authority (BE): %v", err)
	}
}
