package protocol

import (
	"bytes"
	"fmt"
)

// DecodeRun decodes entries received together, such as the entries of a
// sync frame, and authenticates them by their hash chain rather than one
// signature each.
//
// Consecutive entries of one author whose seqs follow on and whose Prev is
// the hash of the entry before form a run. The signature of a run's last
// entry covers its Prev, which is the SHA-256 of the whole entry before it,
// signature included, and so on back to the run's first entry: when that
// one signature verifies, the author has signed every byte of the run. The
// entries before the last are then returned with [Entry.SignatureChecked]
// false; their own signatures were not checked. When the last signature
// fails, every entry of the run is decoded as [DecodeEntry] does, so that
// each error is the entry's own.
//
// The checks that precede parsing (size, version) and the field rules are
// those of DecodeEntry. out[i] is nil exactly when errs[i] is not. Like
// DecodeEntry, DecodeRun copies the bytes it keeps.
func DecodeRun(raws [][]byte) (out []*Entry, errs []error) {
	out, errs = make([]*Entry, len(raws)), make([]error, len(raws))
	for i, raw := range raws {
		out[i], errs[i] = parseUnverified(raw)
	}
	for start := 0; start < len(raws); {
		end := runEnd(out, start)
		authenticateRun(out, errs, start, end)
		start = end
	}
	return out, errs
}

// parseUnverified is DecodeEntry without the signature check.
func parseUnverified(raw []byte) (*Entry, error) {
	if err := checkSize(raw); err != nil {
		return nil, fmt.Errorf("decode entry: %w", err)
	}
	return parseEntry(bytes.Clone(raw))
}

// runEnd returns the end (exclusive) of the run that starts at out[start]:
// an entry that failed to parse is a run of its own.
func runEnd(out []*Entry, start int) int {
	end := start + 1
	if out[start] == nil {
		return end
	}
	for end < len(out) && out[end] != nil && follows(out[end-1], out[end]) {
		end++
	}
	return end
}

// follows reports whether next is the entry after e in e's feed.
func follows(e, next *Entry) bool {
	return next.Author == e.Author && next.Seq == e.Seq+1 && next.Prev == e.hash
}

// authenticateRun checks the signature of the last entry of out[start:end]
// and, when it fails, each entry's own.
func authenticateRun(out []*Entry, errs []error, start, end int) {
	last := out[end-1]
	if last == nil {
		return // failed to parse: errs says why
	}
	if last.CheckSignature() == nil {
		return
	}
	for i := start; i < end; i++ {
		if err := out[i].CheckSignature(); err != nil {
			out[i], errs[i] = nil, fmt.Errorf("decode entry: %w", err)
		}
	}
}

// SignatureChecked reports whether e's own signature was verified: always
// for entries from [DecodeEntry] and [NewEntry]; for the entries of a run
// from [DecodeRun], only for the last, the others being authenticated by
// the hash chain that ends at it.
func (e *Entry) SignatureChecked() bool { return e.sigChecked }

// CheckSignature verifies e's own signature, once: it returns
// [ErrBadSignature] when the signature does not verify against e.Author.
func (e *Entry) CheckSignature() error {
	if e.sigChecked {
		return nil
	}
	if !signatureValid(e.Author, e.raw) {
		return ErrBadSignature
	}
	e.sigChecked = true
	return nil
}
