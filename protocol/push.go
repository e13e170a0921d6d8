package protocol

import "crypto/sha256"

// PushMessageIDSize is the size of the gossipsub message ID of an entry
// (§12 of docs/protocol.md): author, seq and the entry's hash.
const PushMessageIDSize = 32 + 8 + sha256.Size

// PushMessageID returns the gossipsub message ID of a pushed message whose
// data is data: bytes 1..41 of the entry (its author and seq) followed by
// the SHA-256 of all of data, or, for data shorter than 41 bytes (no
// entry), the SHA-256 of data alone. It does not decode data: gossipsub
// computes the ID before the validator runs, so it is computed on bytes
// that may be anything.
func PushMessageID(data []byte) []byte {
	sum := sha256.Sum256(data)
	if len(data) < 41 {
		return sum[:]
	}
	id := make([]byte, 0, PushMessageIDSize)
	return append(append(id, data[1:41]...), sum[:]...)
}
