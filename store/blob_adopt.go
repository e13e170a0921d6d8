package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/kpnode/kpnode/blob"
)

// adoptBadgerChunks moves chunks kept in Badger (b/c/) into blob files: a
// store of layout 2 kept every chunk there, and a backup stream carries
// them there ([Store.Backup]). For each manifest it writes the chunks
// found to the blob's file, syncs it, then records them held (with those
// the file held already, unless the file is new) and keeps the completion
// marker only if none is missing; then it drops b/c/. Chunks no manifest
// lists (an upload cut before its manifest) go. A crash midway leaves
// b/c/ in place: the next open runs it again.
func (c fileChunks) adoptBadgerChunks() error {
	var any bool
	err := c.s.view(func(txn *badger.Txn) error {
		return scanKeys(txn, []byte(prefixBlobChunk), func([]byte) error { any = true; return errStopScan })
	})
	if err := ignoreStop(err); err != nil || !any {
		return err
	}
	ids, err := c.s.blobIDs()
	if err != nil {
		return err
	}
	adopted := 0
	for _, id := range ids {
		n, err := c.adoptBlob(id)
		if err != nil {
			return fmt.Errorf("move chunks of blob %s to its file: %w", id, err)
		}
		adopted += n
	}
	if err := c.s.db.DropPrefix([]byte(prefixBlobChunk)); err != nil {
		return fmt.Errorf("drop chunks moved to blob files: %w", err)
	}
	c.s.logger.Info("blob chunks moved out of badger into blob files", "blobs", len(ids), "chunks", adopted)
	return nil
}

// errStopScan ends a scan early.
var errStopScan = errors.New("stop scan")

func ignoreStop(err error) error {
	if errors.Is(err, errStopScan) {
		return nil
	}
	return err
}

// blobIDs lists the blobs whose manifest is stored.
func (s *Store) blobIDs() ([]blob.ID, error) {
	var ids []blob.ID
	err := s.view(func(txn *badger.Txn) error {
		return scanKeys(txn, []byte(prefixBlobManifest), func(k []byte) error {
			if len(k) == len(prefixBlobManifest)+len(blob.ID{}) {
				ids = append(ids, blob.ID(k[len(prefixBlobManifest):]))
			}
			return nil
		})
	})
	return ids, err
}

// adoptBlob writes the chunks of blob id kept in Badger to its file and
// records what the file holds, returning how many chunks it moved.
func (c fileChunks) adoptBlob(id blob.ID) (int, error) {
	m, _, err := c.s.BlobManifest(id)
	if err != nil {
		return 0, err
	}
	_, statErr := os.Stat(c.path(id))
	f, err := c.create(id, m)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rec := chunkRecord{held: make([]byte, (len(m.Chunks)+7)/8), crcs: make([]byte, 4*len(m.Chunks))}
	if statErr == nil {
		if err := c.s.view(func(txn *badger.Txn) error { rec, err = readChunkRecord(txn, id, len(m.Chunks)); return err }); err != nil {
			return 0, err
		}
	}
	moved := 0
	for i, h := range m.Chunks {
		var ct []byte
		err := c.s.view(func(txn *badger.Txn) error { ct, err = getValue(txn, chunkKey(h)); return err })
		if errors.Is(err, ErrNotFound) || (err == nil && m.Verify(i, ct) != nil) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if _, err := f.WriteAt(ct, chunkOffset(i)); err != nil {
			return 0, fullError(err)
		}
		rec.set(i, chunkCRC(ct))
		moved++
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	return moved, c.s.db.Update(func(txn *badger.Txn) error {
		if countHeld(rec.held) < len(m.Chunks) {
			if err := txn.Delete(blobKey(prefixBlobDone, id)); err != nil {
				return err
			}
		}
		return rec.write(txn, id)
	})
}

// backupFrameChunks is how many chunks one extra backup frame carries.
const backupFrameChunks = 16

// backupChunks sends, as b/c/ keys in frames of their own, every chunk
// recorded held in a blob file, each checked against its manifest (one
// that fails is left out: the restored store fetches it again). On
// restore Badger loads them and [Open] moves them into files. It reads
// in one Badger transaction of its own, not through the Store's view:
// its caller holds the store open already (a second hold would deadlock
// with a Close waiting between them).
func (c fileChunks) backupChunks(ctx context.Context, send func(*pb.KVList) error) error {
	list := &pb.KVList{}
	err := c.s.db.View(func(txn *badger.Txn) error {
		return scanKeys(txn, []byte(prefixBlobManifest), func(k []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			id := blob.ID(k[len(prefixBlobManifest):])
			raw, err := getValue(txn, k)
			if err != nil {
				return err
			}
			m, err := blob.DecodeManifest(raw, id)
			if err != nil {
				return nil // verify reports it; its chunks cannot be checked
			}
			r, err := c.reader(txn, id, m)
			if err != nil {
				return fmt.Errorf("back up blob %s: %w", id, err)
			}
			defer r.close()
			if err := backupBlob(r, m, list, send); err != nil {
				return fmt.Errorf("back up blob %s: %w", id, err)
			}
			return nil
		})
	})
	if err != nil || len(list.Kv) == 0 {
		return err
	}
	return send(list)
}

// backupBlob adds the sound chunks r holds to list, sending it whenever
// it is full.
func backupBlob(r chunkReader, m *blob.Manifest, list *pb.KVList, send func(*pb.KVList) error) error {
	for i, h := range m.Chunks {
		ct, err := r.chunk(i, nil)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) || (err == nil && m.Verify(i, ct) != nil) {
			continue
		}
		if err != nil {
			return err
		}
		list.Kv = append(list.Kv, &pb.KV{Key: bytes.Clone(chunkKey(h)), Value: ct, Version: 1})
		if len(list.Kv) == backupFrameChunks {
			if err := send(list); err != nil {
				return err
			}
			list.Kv = list.Kv[:0]
		}
	}
	return nil
}
