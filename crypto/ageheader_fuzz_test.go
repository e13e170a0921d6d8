package crypto

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"filippo.io/age"
)

// FuzzParseHeader holds the hand-written header parser to age's own for
// arbitrary bytes (docs/security.md, "Equal verdicts"): parseHeader
// accepts exactly what age.DecryptHeader parses, with the same stanzas
// (type, arguments, body, in order); the bytes it gives the MAC are
// those over which age computes it; and the payload starts right after
// the closing line. Seeds: FuzzOpenVerdict's files (sealed to 1..4
// readers at every position, hostile stanzas before, at and after the
// reader's, 1,024 and 1,025 stanzas), the stanza and frame cases of the
// header tests, and each of them cut short.
func FuzzParseHeader(f *testing.F) {
	for _, seed := range parseSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(compareParse)
}

// compareParse checks parseHeader against age's parser on data.
func compareParse(t *testing.T, data []byte) {
	h, err := parseHeader(data)
	theirs, ok := ageParse(data)
	if (err == nil) != ok {
		t.Fatalf("verdicts differ on %q:\nkpnode: %v\nage accepts: %v", data, err, ok)
	}
	if err != nil {
		if h != nil {
			t.Fatalf("header returned with error %v", err)
		}
		return
	}
	if !slices.EqualFunc(h.stanzas, theirs, equalStanza) {
		t.Fatalf("stanzas differ on %q:\nkpnode: %s\nage:    %s", data, stanzasText(h.stanzas), stanzasText(theirs))
	}
	if end := len(h.signed) + len(" \n") + b64.EncodedLen(macSize); end+len(h.payload) != len(data) || !bytes.HasPrefix(data, h.signed) {
		t.Fatalf("header of %d bytes (signed %d), payload %d, input %d", end, len(h.signed), len(h.payload), len(data))
	}
	// age computes the MAC over its own encoding of the parsed header: a
	// MAC made over h.signed must be the one it expects, and the MAC in
	// data must be right for both or for neither.
	remade := craftRaw(t, string(h.signed), canonicalFooter, h.payload)
	if _, err := age.DecryptHeader(remade, age.NewInjectedFileKeyIdentity(testFileKey)); err != nil {
		t.Fatalf("age refuses a MAC made over the signed bytes %q: %v", h.signed, err)
	}
	_, aerr := age.DecryptHeader(data, age.NewInjectedFileKeyIdentity(testFileKey))
	if oerr := h.verifyMAC(testFileKey); (oerr == nil) != (aerr == nil) {
		t.Fatalf("MAC verdicts differ on %q: kpnode %v, age %v", data, oerr, aerr)
	}
}

// ageParse returns the stanzas of data's header as age's parser gives
// them to an identity, and whether it parses.
func ageParse(data []byte) ([]*age.Stanza, bool) {
	var r stanzaRecorder
	_, err := age.DecryptHeader(data, &r)
	return r.stanzas, errors.Is(err, age.ErrIncorrectIdentity)
}

func equalStanza(a, b *age.Stanza) bool {
	return a.Type == b.Type && slices.Equal(a.Args, b.Args) && bytes.Equal(a.Body, b.Body)
}

// stanzasText encodes stanzas as age does, for error messages.
func stanzasText(stanzas []*age.Stanza) string {
	var b bytes.Buffer
	for _, s := range stanzas {
		b.WriteString(stanzaText(s))
	}
	return b.String()
}

// parseSeeds returns the seeds of FuzzParseHeader: FuzzOpenVerdict's, the
// header tests' cases, and every one of them cut after its intro, in its
// middle and right after its closing line.
func parseSeeds(t testing.TB) [][]byte {
	v := newVerdictFixture(t)
	id := testAgeIdentity(t)
	payload := craftPayload(t, testFileKey, chunk{[]byte("hi"), true})
	seeds := v.seeds(t)
	for _, c := range stanzaCases(t, id) {
		seeds = append(seeds, craftFile(t, c.stanzas, testFileKey, "hello"))
	}
	for _, c := range frameCases(t, id) {
		seeds = append(seeds, craftRaw(t, c.signed, c.footer, payload))
	}
	var cut [][]byte
	for _, s := range seeds {
		end := bytes.Index(s, []byte("\n---"))
		cut = append(cut, s[:len(ageIntro)+1], s[:len(s)/2])
		if end >= 0 && end+49 <= len(s) {
			cut = append(cut, s[:end+49])
		}
	}
	return append(seeds, cut...)
}
