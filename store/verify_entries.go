package store

import (
	"runtime"
	"sync"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/protocol"
)

// verifyBatch is how many consecutive entries one worker decodes at a
// time in the entry walk of [Store.Verify].
const verifyBatch = 256

// entryBatch is a run of consecutive entry keys and values, decoded and
// authenticated by a worker ([protocol.DecodeBatch]: every entry's own
// signature, checked in one batch) and then checked in order.
type entryBatch struct {
	keys, raws [][]byte
	decoded    []*protocol.Entry
	errs       []error
	done       chan struct{} // closed when decoded and errs are set
}

func newEntryBatch() *entryBatch {
	return &entryBatch{keys: make([][]byte, 0, verifyBatch), raws: make([][]byte, 0, verifyBatch), done: make(chan struct{})}
}

// decode decodes every entry of the batch, then closes done.
func (b *entryBatch) decode() {
	b.decoded, b.errs = protocol.DecodeBatch(b.raws)
	close(b.done)
}

// entries walks the entry keys in order. The decoding of each entry and
// the signature checks run on every core in batches; the checks
// that need the entry before (keys, gaps, chain links) run in key order on
// the walking goroutine as the batches come back. At most 2 batches per
// worker are in flight, which bounds the memory.
func (v *verifier) entries() error {
	workers := runtime.GOMAXPROCS(0)
	todo := make(chan *entryBatch, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range todo {
				b.decode()
			}
		})
	}
	var queue []*entryBatch // handed to the workers, to check in this order
	cur := newEntryBatch()
	flush := func() {
		if len(cur.raws) == 0 {
			return
		}
		todo <- cur
		queue, cur = append(queue, cur), newEntryBatch()
		for len(queue) > 2*workers {
			v.checkBatch(queue[0])
			queue = queue[1:]
		}
	}
	err := v.walk(prefixEntry, true, func(k, raw []byte) {
		cur.keys, cur.raws = append(cur.keys, k), append(cur.raws, raw)
		if len(cur.raws) == verifyBatch {
			flush()
		}
	})
	flush()
	close(todo)
	for _, b := range queue {
		v.checkBatch(b)
	}
	wg.Wait()
	return err
}

// checkBatch waits for b to be decoded and checks its entries in order.
func (v *verifier) checkBatch(b *entryBatch) {
	<-b.done
	for i, k := range b.keys {
		v.rep.Entries++
		a, seq, ok := parseFeedSeq(prefixEntry, k)
		if !ok {
			v.problem(a, 0, ProblemKey, "malformed entry key %x", k)
			continue
		}
		f := v.ends[a]
		if f == nil {
			f = &feedState{lastOK: true} // seq 1 follows (0, zero hash)
			v.ends[a] = f
		}
		f.count++
		v.checkEntry(a, seq, b.raws[i], b.decoded[i], b.errs[i], f)
	}
}

// checkEntry checks the entry stored under (a, seq), which follows f; e
// and err are what protocol.DecodeBatch made of raw.
func (v *verifier) checkEntry(a crypto.PublicKey, seq uint64, raw []byte, e *protocol.Entry, err error, f *feedState) {
	if seq == 0 {
		f.zero = true
		v.problem(a, 0, ProblemKey, "entry stored under seq 0")
		return
	}
	prevKnown := f.lastOK && seq == f.lastSeq+1
	prevHash := f.lastHash
	if seq > f.lastSeq+1 {
		v.gap(a, f.lastSeq+1, seq-1)
	}
	f.lastSeq, f.lastOK = seq, false
	if err == nil {
		f.lastHash = e.Hash() // the hash of raw, computed by DecodeBatch
	} else {
		f.lastHash = hashBytes(raw)
	}
	switch {
	case err != nil:
		v.problem(a, seq, ProblemDecode, "%v", err)
		v.noteBadSignature(a, seq, err)
	case e.Author != a || e.Seq != seq:
		v.problem(a, seq, ProblemKey, "entry %s #%d stored under %s #%d", e.Author, e.Seq, a, seq)
	default:
		f.lastOK = true
		if !prevKnown {
			return
		}
		if err := e.Follows(seq-1, prevHash); err != nil {
			v.problem(a, seq, ProblemChain, "prev %s, entry %d hashes to %s: %v", e.Prev, seq-1, prevHash, err)
		}
	}
}
