package crypto

import (
	"bytes"
	"errors"

	"filippo.io/age"
)

// The header path [Open] took before issue 13's second pass, through
// age.DecryptHeader, kept as the reference of BenchmarkHeader
// (impl=age): docs/performance.md, "age's own header parser".

// footerLine starts the last line of a header, "--- <MAC>".
var footerLine = []byte("\n---")

// openHeaderAge unwraps the file key of ct with id through
// age.DecryptHeader (age's parser, its stanza loop, its header MAC), after
// refusing a header with more than maxStanzas stanzas, and returns the
// key and the payload that follows the header.
func openHeaderAge(ct []byte, id age.Identity, maxStanzas int) (fileKey, payload []byte, err error) {
	capped := &stanzaCap{id: id, max: maxStanzas}
	fileKey, err = age.DecryptHeader(ct, capped)
	if err != nil {
		return nil, nil, openError(capped, err)
	}
	end, err := headerEnd(ct)
	if err != nil {
		return nil, nil, err
	}
	return fileKey, ct[end:], nil
}

// headerEnd returns the length of the header at the start of ct, which
// age has accepted: it ends with the first line that starts with "---",
// since every other line of a header age accepts is the intro, a stanza
// line (starting "->") or a line of base64 (no '-' in its alphabet).
func headerEnd(ct []byte) (int, error) {
	i := bytes.Index(ct, footerLine)
	if i < 0 {
		return 0, errors.New("find end of age header: no closing line")
	}
	j := bytes.IndexByte(ct[i+1:], '\n')
	if j < 0 {
		return 0, errors.New("find end of age header: closing line not terminated")
	}
	return i + 1 + j + 1, nil
}
