package protocol

import (
	"errors"
	"fmt"

	"github.com/kpnode/kpnode/crypto"
)

// ErrTruncated is returned when an encoded entry ends before a field it
// announces, or is shorter than the smallest possible entry.
var ErrTruncated = errors.New("truncated")

// ErrTooLarge is returned when an encoded entry, card, record body or field
// exceeds its size limit. Decoders check it before anything else.
var ErrTooLarge = errors.New("too large")

// ErrVersion is returned when an entry or record payload carries a format
// version this implementation does not know.
var ErrVersion = errors.New("unsupported version")

// ErrBadSignature is returned when a signature does not verify against the
// signing key carried by an entry or card.
var ErrBadSignature = errors.New("bad signature")

// ErrMalformed is returned when signed bytes are well framed and correctly
// signed but break a rule of the format: a bad type name, an unsorted
// audience, trailing bytes, a sequence number of zero and the like.
var ErrMalformed = errors.New("malformed")

// ErrOverlap is returned when two ranges of a Want frame ask for the
// same entry. It is also [ErrMalformed]: a peer that sends it breaks the
// frame's rules (docs/protocol.md §11.1).
var ErrOverlap = fmt.Errorf("%w: overlapping ranges", ErrMalformed)

// ErrSeqGap is returned by [Entry.Follows] when an entry's sequence number is
// not exactly one more than the previous entry's.
var ErrSeqGap = errors.New("sequence gap")

// ErrBrokenChain is returned by [Entry.Follows] when an entry does not name
// the hash of the entry before it.
var ErrBrokenChain = errors.New("broken hash chain")

// ErrUnknownType is returned by [ValidateRecord] when no record type of that
// name is registered.
var ErrUnknownType = errors.New("unknown record type")

// ErrCommitment is returned when a record's salt and body do not hash to the
// commitment its entry signs, or the sealed payload is not framed as one.
var ErrCommitment = errors.New("commitment mismatch")

// ErrTooManyStanzas is returned by [OpenRecord] when a ciphertext names more
// recipients than the entry's audience plus its author. It is
// [crypto.ErrTooManyStanzas].
var ErrTooManyStanzas = crypto.ErrTooManyStanzas

// ErrNotRecipient is returned by [OpenRecord] when the identity is not among
// the ciphertext's recipients. It is [crypto.ErrNotRecipient].
var ErrNotRecipient = crypto.ErrNotRecipient

// ErrEvidence is returned by [EvidenceBundle.Verify] when the parts of a
// bundle do not belong together: the entry is signed by another key than
// the card's, the bundle names another type than the entry, or the item is
// not in the batch. The message names the part that fails.
var ErrEvidence = errors.New("evidence does not hold")

// ErrForeignAuthor is returned by [CheckAuthor] when a record names, in
// the field that states its author (a certificate's issuer, statistics'
// reporter, …), a participant other than the one whose feed carries it
// and that participant cannot act for ([MayAuthor]).
var ErrForeignAuthor = errors.New("record written in another authority's name")

// ErrFileMismatch is returned by [AttachedFile.Check] when a file is not
// the one a record names: another size or SHA-256.
var ErrFileMismatch = errors.New("file is not the one the record names")
