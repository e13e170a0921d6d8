package store

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/kpnode/kpnode/protocol"
)

// Record bodies are stored compressed with zstd at its fastest level when
// that makes them smaller (layout 3, docs/storage.md §4): a record is
// JSON, and Badger keeps every value-log page it writes mapped and
// resident, so the decrypted records of an import cost their size in
// memory and on disk. On the 200,000-row import's batches zstd made them
// 26× smaller at 620 MB/s (flate's fastest level: 12× at 400 MB/s; S2:
// 8.7× at 1.3 GB/s). A compressed body is
//
//	uvarint(length of the body) zstd frame
//
// and is decoded into exactly that many bytes: never more than
// maxRecordBody, whatever the frame claims.

// maxRecordBody is the largest body stored compressed, and so the most a
// compressed body may claim: a record is the plaintext of an entry's
// ciphertext, which is at most protocol.MaxEntrySize. A larger body
// (none arrives from the network) is stored as it is.
const maxRecordBody = protocol.MaxEntrySize

// bodyWindow is how far back the encoder looks for a match, and so about
// what the encoder keeps allocated: a batch body is at most
// protocol.MaxBodySize, and a record's repetitions (rows of a batch) are
// close together.
const bodyWindow = protocol.MaxBodySize

// The encoder and decoder are made once, on first use, and shared: both
// are safe for concurrent use and keep their state between calls
// (EncodeAll and DecodeAll allocate only their output). One of each, the
// encoder in its low-memory mode, keeps 2.2 MiB of heap after a 1 MiB
// body each way; two of each kept 8 MiB. Appends are serialised anyway,
// and a body takes about 1.6 ms to compress and 1 ms to decompress.
var (
	bodyEncoder = sync.OnceValue(func() *zstd.Encoder {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
			zstd.WithLowerEncoderMem(true), zstd.WithWindowSize(bodyWindow))
		if err != nil {
			panic(fmt.Sprintf("store: zstd encoder options: %v", err)) // constant options
		}
		return enc
	})
	bodyDecoder = sync.OnceValue(func() *zstd.Decoder {
		dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(maxRecordBody), zstd.WithDecoderMaxWindow(maxRecordBody),
			zstd.WithDecodeAllCapLimit(true))
		if err != nil {
			panic(fmt.Sprintf("store: zstd decoder options: %v", err)) // constant options
		}
		return dec
	})
)

// appendCompressed appends body compressed to dst (whose capacity is
// the size of the value with body as it is) and reports whether that is
// smaller than appending body itself; when not, dst is returned as it
// was.
func appendCompressed(dst, body []byte) ([]byte, bool) {
	if len(body) == 0 || len(body) > maxRecordBody {
		return dst, false
	}
	n := len(dst)
	out := binary.AppendUvarint(dst, uint64(len(body)))
	out = bodyEncoder().EncodeAll(body, out)
	if len(out)-n >= len(body) {
		return dst[:n], false
	}
	return out, true
}

// decompressBody decodes a compressed body b into a new slice.
func decompressBody(b []byte) ([]byte, error) {
	size, k := binary.Uvarint(b)
	switch {
	case k <= 0:
		return nil, fmt.Errorf("%w: compressed record body has no valid length", ErrCorrupt)
	case size == 0 || size > maxRecordBody:
		return nil, fmt.Errorf("%w: compressed record body claims %d bytes, want 1..%d", ErrCorrupt, size, maxRecordBody)
	}
	body, err := bodyDecoder().DecodeAll(b[k:], make([]byte, 0, size))
	if err != nil {
		return nil, fmt.Errorf("%w: compressed record body: %v", ErrCorrupt, err)
	}
	if uint64(len(body)) != size {
		return nil, fmt.Errorf("%w: compressed record body holds %d bytes, its length says %d", ErrCorrupt, len(body), size)
	}
	return body, nil
}
