// Package protocol defines what kpnode nodes say to each other: the binary
// wire format of feed entries, the signed participant card, the sealed record
// payload with its salted commitment, evidence bundles, and the registry of
// record types with their strict validators (the first being "notice").
//
// The participant list is data: [Membership] is the built-in list with
// the participant-list updates ([ParticipantUpdate]) a node applied, each
// in force from its effective date, and every check asks it as of the
// date of the record it judges ([Membership.On], [Membership.StatusOn]).
// Validation does not read it: a participant code is refused only when
// [AdmissibleCode] refuses it, so that a participant that joins by an
// update can be named without a release. A Membership is immutable.
//
// The package is pure: it never logs, never touches disk or network and keeps
// no mutable global state apart from the record type registry, which is filled
// by init functions. docs/protocol.md is the normative specification; this
// package is its reference implementation.
//
// # Hostile input
//
// Every decoder ([DecodeEntry], [ParseCard], [ValidateRecord], [ParseNotice],
// [ParseCarats], [ParseUSD], [DecodeReceipt], [DecodeFrame], [ReadFrame],
// [DecodeEvidenceBundle]) accepts attacker-controlled bytes. Each caps the
// size first, verifies signatures before parsing further where there is one,
// bounds-checks every length and returns a nil result with any error.
//
// # Concurrency and ownership
//
// All functions are safe for concurrent use; none starts goroutines.
// Reading records from CSV and JSON files is package tabular's, which
// depends on this package and never the reverse. An [Entry] or [SignedCard] is
// immutable once returned: its exported fields are for reading only, and
// reassigning them does not change its wire bytes. [DecodeEntry] and [ParseCard] copy
// their input, so the caller may reuse its buffer; the slices returned by
// [Entry.Bytes], [Entry.Ciphertext] and [SignedCard.Bytes] belong to the value
// and must not be modified.
package protocol
