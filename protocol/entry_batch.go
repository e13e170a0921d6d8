package protocol

import (
	"bytes"
	"fmt"

	"github.com/kpnode/kpnode/crypto"
)

// DecodeBatch decodes and authenticates entries received together, such as
// the entries of a sync frame, as [DecodeEntry] decodes each: out[i] and
// errs[i] are what DecodeEntry(raws[i]) would return, save that the error
// text may differ. Every entry's own signature is verified; the signatures
// are checked together by one [crypto.BatchVerifier] (the same ZIP-215
// rule as [crypto.Verify], so the verdicts are those of one check each),
// and only when the batch fails is each checked on its own, so that each
// error is the entry's own.
//
// The checks run in DecodeEntry's order: size and version, signature,
// then the fields. DecodeBatch runs on the calling goroutine; callers
// split large sets across cores. Like DecodeEntry, it copies the bytes it
// keeps.
func DecodeBatch(raws [][]byte) (out []*Entry, errs []error) {
	out, errs = make([]*Entry, len(raws)), make([]error, len(raws))
	for i, raw := range raws {
		if err := checkSize(raw); err != nil {
			errs[i] = fmt.Errorf("decode entry: %w", err)
		}
	}
	if !batchValid(raws, errs) {
		for i, raw := range raws {
			if errs[i] == nil && !signatureValid(entryAuthor(raw), raw) {
				errs[i] = fmt.Errorf("decode entry: %w", ErrBadSignature)
			}
		}
	}
	for i, raw := range raws {
		if errs[i] == nil {
			out[i], errs[i] = parseEntry(bytes.Clone(raw))
		}
	}
	return out, errs
}

// batchValid reports whether the signatures of every entry of raws with no
// error yet all verify.
func batchValid(raws [][]byte, errs []error) bool {
	v := crypto.NewBatchVerifier(crypto.DomainEntry, len(raws))
	for i, raw := range raws {
		if errs[i] == nil {
			n := len(raw) - SignatureSize
			v.Add(entryAuthor(raw), raw[:n], raw[n:])
		}
	}
	return v.Verify()
}

// entryAuthor reads the author of entry bytes that passed checkSize.
func entryAuthor(raw []byte) crypto.PublicKey {
	var author crypto.PublicKey
	copy(author[:], raw[offAuthor:])
	return author
}
