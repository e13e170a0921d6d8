package blobxfer

import (
	"errors"
	"sync"

	"github.com/kpnode/kpnode/blob"
	"github.com/libp2p/go-libp2p/core/peer"
)

// storerDepth bounds the chunk frames a fetch has read but not yet
// checked and stored: with the one being read and the one being stored,
// a fetch holds storerDepth+2 frames (about 650 KiB), however large the
// blob.
const storerDepth = 8

// chunkFrames holds the buffers a fetch reads chunk frames into: one
// being read, up to storerDepth queued, one being stored.
var chunkFrames = sync.Pool{New: func() any { b := make([]byte, maxFrame); return &b }}

// storer checks the chunks of one fetch against the manifest and puts
// them into the sink, on a goroutine of its own: the fetch's reader
// hands it each frame as read and reads the next meanwhile.
type storer struct {
	x     *Exchanger
	p     peer.ID
	m     *blob.Manifest
	sink  ChunkSink
	queue chan pending
	done  chan struct{} // closed when the goroutine ends
	stop  chan struct{} // closed at the first error
	err   error         // the first error; read after stop or done is closed
}

// pending is a chunk frame read and not yet stored: the payload of due's
// frame, in buf (returned to chunkFrames once stored).
type pending struct {
	due     int
	payload []byte
	buf     *[]byte
}

func (x *Exchanger) newStorer(p peer.ID, m *blob.Manifest, sink ChunkSink) *storer {
	st := &storer{x: x, p: p, m: m, sink: sink, queue: make(chan pending, storerDepth),
		done: make(chan struct{}), stop: make(chan struct{})}
	go st.run()
	return st
}

// errStopped is what put returns once the storer has failed: the
// storer's error is the fetch's.
var errStopped = errors.New("chunk storer stopped")

// put hands the payload of the frame of chunk due, in buf, to the
// storer, waiting while storerDepth are queued; buf is the storer's from
// then on.
func (st *storer) put(due int, payload []byte, buf *[]byte) error {
	select {
	case <-st.stop: // checked first: a queue with room must not hide it
		chunkFrames.Put(buf)
		return errStopped
	default:
	}
	select {
	case st.queue <- pending{due: due, payload: payload, buf: buf}:
		return nil
	case <-st.stop:
		chunkFrames.Put(buf)
		return errStopped
	}
}

// wait ends the queue, waits until every chunk handed over is stored or
// dropped, and returns the first error.
func (st *storer) wait() error {
	close(st.queue)
	<-st.done
	return st.err
}

func (st *storer) run() {
	defer close(st.done)
	for c := range st.queue {
		if st.err == nil {
			if err := st.store(c); err != nil {
				st.err = err
				close(st.stop)
			}
		}
		chunkFrames.Put(c.buf)
	}
}

// store checks one chunk and puts it into the sink.
func (st *storer) store(c pending) error {
	ct, err := st.x.checkChunk(st.p, st.m, c.due, c.payload)
	if err == nil {
		err = st.sink.Put(c.due, ct)
	}
	if err != nil {
		return err
	}
	st.x.stats.ChunksFetched.Add(1)
	return nil
}
