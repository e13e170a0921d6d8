package store

import (
	"encoding/binary"
	"errors"
	"hash/crc32"

	"github.com/dgraph-io/badger/v4"
	"github.com/kpnode/kpnode/blob"
)

// castagnoli is the CRC-32C table: the polynomial with instructions of
// its own on amd64 and arm64 (20 GB/s here, SHA-256 1.4 GB/s).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// chunkCRC is the CRC-32C of a chunk's ciphertext, as recorded in b/k/.
func chunkCRC(ct []byte) uint32 { return crc32.Checksum(ct, castagnoli) }

// chunkCRCsKey is the record of the CRC-32C of each chunk of blob id held
// in its file: 4 bytes big-endian per chunk, 0 for none recorded.
func chunkCRCsKey(id blob.ID) []byte { return blobKey(prefixBlobCRC, id) }

// chunkRecord is what Badger records of a blob file's chunks: which are
// durable there (b/h/) and the CRC-32C of each as it was written (b/k/).
// Both are read and written in one transaction, so that a crash leaves
// them consistent: a CRC is trusted only for a chunk recorded held, and
// is set in the transaction that records it held.
type chunkRecord struct {
	held []byte
	crcs []byte // 4 bytes a chunk; all 0 in a store written before b/k/
}

// readChunkRecord returns the record of blob id with n chunks. A CRC
// record that is missing (a store written before it existed, chunks moved
// by an older version) or of the wrong length reads as none recorded: the
// chunks are then hashed against the manifest when read.
func readChunkRecord(txn *badger.Txn, id blob.ID, n int) (chunkRecord, error) {
	held, err := readChunksHeld(txn, id, n)
	if err != nil {
		return chunkRecord{}, err
	}
	crcs, err := getValue(txn, chunkCRCsKey(id))
	if errors.Is(err, ErrNotFound) || (err == nil && len(crcs) != 4*n) {
		crcs, err = make([]byte, 4*n), nil
	}
	return chunkRecord{held: held, crcs: crcs}, err
}

// set records chunk i held, with its CRC-32C.
func (r chunkRecord) set(i int, crc uint32) {
	setHeld(r.held, i)
	binary.BigEndian.PutUint32(r.crcs[4*i:], crc)
}

// clear records chunk i not held, and forgets its CRC.
func (r chunkRecord) clear(i int) {
	r.held[i/8] &^= 1 << (i % 8)
	binary.BigEndian.PutUint32(r.crcs[4*i:], 0)
}

// crc returns the CRC-32C recorded for chunk i, 0 for none.
func (r chunkRecord) crc(i int) uint32 { return binary.BigEndian.Uint32(r.crcs[4*i:]) }

// write stores the record of blob id in txn.
func (r chunkRecord) write(txn *badger.Txn, id blob.ID) error {
	if err := txn.Set(chunksHeldKey(id), r.held); err != nil {
		return err
	}
	return txn.Set(chunkCRCsKey(id), r.crcs)
}

// deleteChunkRecord deletes the record of blob id in txn.
func deleteChunkRecord(txn *badger.Txn, id blob.ID) error {
	if err := txn.Delete(chunksHeldKey(id)); err != nil {
		return err
	}
	return txn.Delete(chunkCRCsKey(id))
}
