package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// jsonDoc is a JSON document scanned once, in a single pass that checks its
// syntax, into a flat tree of values that the
// validators' readers walk without decoding anything twice. Memory is one
// 24-byte node per value.
type jsonDoc struct {
	b     []byte
	nodes []jsonNode
	// keys holds the decoded names of members whose name has backslash
	// escapes, by node index; other names are read from b.
	keys map[int32]string
}

// jsonNode is one value of a document. Nodes are in document order: a
// container is followed by its descendants, and next is the index of the
// node after them, its next sibling.
type jsonNode struct {
	start, end   int32 // the value's bytes, b[start:end], without surrounding space
	kstart, kend int32 // for a member of an object, its name between the quotes
	next         int32
	kind         byte // '{', '[', '"', 'n' (null), 't', 'f' or '0' (a number)
	escaped      bool // a string with backslash escapes
	keyEscaped   bool // a member whose name has backslash escapes
	used         bool // a member that a reader asked for
}

// The tree is built from github.com/go-json-experiment/json/jsontext,
// which checks the syntax as RFC 8259 and encoding/json do and also refuses
// invalid UTF-8 (also in \u escapes: lone surrogates) and duplicate member
// names, reporting where (a byte offset and a JSON pointer). Move to the
// standard library's encoding/json/jsontext once it no longer needs
// GOEXPERIMENT=jsonv2.

// maxJSONDepth is the nesting limit, encoding/json's and jsontext's.
const maxJSONDepth = 10000

// errTrailingJSON is returned for a document with more than one value.
var errTrailingJSON = errors.New("more data after the JSON value")

// scanJSON checks that b is exactly one JSON value, with nothing but white
// space around it, valid UTF-8 and no duplicate member names, and returns
// its tree, or the error that says what is wrong and where.
func scanJSON(b []byte) (*jsonDoc, error) {
	if int64(len(b)) >= 1<<31-1 {
		return nil, fmt.Errorf("document of %d bytes is too large to scan", len(b))
	}
	capacity := len(b)/16 + 4
	r := readers.Get().(*jsonReader)
	defer r.release()
	r.src = *bytes.NewBuffer(b)
	r.dec.Reset(&r.src)
	s := jsonScanner{
		dec: &r.dec,
		d:   &jsonDoc{b: b, nodes: make([]jsonNode, 0, capacity)},
	}
	if err := s.value(jsonNode{}); err != nil {
		return nil, locatedError(b, err)
	}
	off := s.dec.InputOffset()
	switch _, err := s.dec.ReadValue(); {
	case err == io.EOF:
		return s.d, nil
	case err != nil:
		return nil, err
	}
	return nil, fmt.Errorf("%w, from offset %d", errTrailingJSON, off)
}

// jsonReader is a decoder kept for reuse with the buffer it reads: its
// state (the stack and the names seen in each open object, for duplicate
// names) is allocated once rather than for every record. Measured with
// BenchmarkParseCertificate: 63 allocations and 3544 B per certificate with
// a new decoder each time, 38 and 2312 B pooled (the hand-written lexer
// had 40 and 2368 B).
type jsonReader struct {
	src bytes.Buffer
	dec jsontext.Decoder
}

// readers holds the jsonReaders not in use.
var readers = sync.Pool{New: func() any { return new(jsonReader) }}

// release forgets the document read and returns r to readers.
func (r *jsonReader) release() {
	r.src = bytes.Buffer{}
	r.dec.Reset(&r.src)
	readers.Put(r)
}

// locatedError returns the error of scanning b, err, as one that says what
// is wrong and where. ReadValue can misname a broken value
// (`{"a":}` is "invalid character '}' after array element" inside an
// array), so the message is that of a second pass that skips the whole
// document, on this error path only; and at the first byte, where jsontext
// leaves the offset out, it is added.
func locatedError(b []byte, err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF // an empty document
	}
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) || se.Err == jsontext.ErrDuplicateName {
		return err
	}
	if skipErr := jsontext.NewDecoder(bytes.NewBuffer(b)).SkipValue(); errors.As(skipErr, &se) {
		err = skipErr
	}
	if se.ByteOffset == 0 {
		return fmt.Errorf("%w at offset 0", err)
	}
	return err
}

// jsonScanner reads a document from its decoder into the tree d.
type jsonScanner struct {
	dec *jsontext.Decoder
	d   *jsonDoc
}

// value reads the next value into a node that starts as n (which holds
// the member name of a value in an object).
func (s *jsonScanner) value(n jsonNode) error {
	switch k := s.dec.PeekKind(); k {
	case '{', '[':
		return s.container(n, byte(k))
	}
	v, err := s.dec.ReadValue()
	if err != nil {
		return err
	}
	n.end = int32(s.dec.InputOffset())
	n.start = n.end - int32(len(v))
	n.kind = byte(v.Kind())
	n.escaped = n.kind == '"' && bytes.IndexByte(v, '\\') >= 0
	n.next = int32(len(s.d.nodes)) + 1
	s.d.nodes = append(s.d.nodes, n)
	return nil
}

// container reads an object or array, opened by kind, and its descendants.
func (s *jsonScanner) container(n jsonNode, kind byte) error {
	if _, err := s.dec.ReadToken(); err != nil {
		return err
	}
	idx := len(s.d.nodes)
	n.start, n.kind = int32(s.dec.InputOffset())-1, kind
	s.d.nodes = append(s.d.nodes, n)
	for {
		var child jsonNode
		switch s.dec.PeekKind() {
		case '}', ']':
			if _, err := s.dec.ReadToken(); err != nil {
				return err
			}
			s.d.nodes[idx].end = int32(s.dec.InputOffset())
			s.d.nodes[idx].next = int32(len(s.d.nodes))
			return nil
		case 0: // the error is the next read's
			_, err := s.dec.ReadToken()
			return err
		}
		if kind == '{' {
			if err := s.member(&child); err != nil {
				return err
			}
		}
		if err := s.value(child); err != nil {
			return err
		}
	}
}

// member reads a member name into the node of its value.
func (s *jsonScanner) member(n *jsonNode) error {
	name, err := s.dec.ReadValue()
	if err != nil {
		return err
	}
	end := int32(s.dec.InputOffset())
	n.kstart, n.kend = end-int32(len(name))+1, end-1
	if bytes.IndexByte(name, '\\') < 0 {
		return nil
	}
	n.keyEscaped = true
	k, err := jsontext.AppendUnquote(nil, name)
	if err != nil {
		return err
	}
	if s.d.keys == nil {
		s.d.keys = map[int32]string{}
	}
	s.d.keys[int32(len(s.d.nodes))] = string(k)
	return nil
}

// raw returns the bytes of node i.
func (d *jsonDoc) raw(i int32) []byte { return d.b[d.nodes[i].start:d.nodes[i].end] }

// str returns node i as a string and whether it is one.
func (d *jsonDoc) str(i int32) (string, bool) {
	n := &d.nodes[i]
	switch {
	case n.kind != '"':
		return "", false
	case !n.escaped:
		return string(d.b[n.start+1 : n.end-1]), true
	}
	s, err := jsontext.AppendUnquote(nil, d.raw(i))
	return string(s), err == nil
}

// key returns the member name of node i.
func (d *jsonDoc) key(i int32) string {
	if d.nodes[i].keyEscaped {
		return d.keys[i]
	}
	return string(d.b[d.nodes[i].kstart:d.nodes[i].kend])
}

// keyIs reports whether node i is the member named name.
func (d *jsonDoc) keyIs(i int32, name string) bool {
	if d.nodes[i].keyEscaped {
		return d.keys[i] == name
	}
	return string(d.b[d.nodes[i].kstart:d.nodes[i].kend]) == name
}

// children returns the number of members or elements of container i.
func (d *jsonDoc) children(i int32) int {
	n := 0
	for j := i + 1; j < d.nodes[i].next; j = d.nodes[j].next {
		n++
	}
	return n
}
