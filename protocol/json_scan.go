package protocol

import (
	"bytes"
	"encoding/json"
)

// jsonDoc is a JSON document scanned once, in a single pass that checks its
// syntax exactly as encoding/json does, into a flat tree of values that the
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

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

// scanJSON checks that b is exactly one JSON value, with nothing but white
// space around it, and returns its tree. It returns false where
// json.Unmarshal would return a syntax error.
func scanJSON(b []byte) (*jsonDoc, bool) { return scanJSONDepth(b, 0) }

// scanJSONDepth is scanJSON keeping only the values nested less than keep
// levels deep (the document itself is level 0); keep 0 keeps all. It checks
// the syntax of the whole document all the same.
func scanJSONDepth(b []byte, keep int) (*jsonDoc, bool) {
	if int64(len(b)) >= 1<<31-1 {
		return nil, false
	}
	capacity := len(b)/16 + 4
	if keep > 0 {
		capacity = 16
	}
	s := jsonScanner{b: b, keep: keep, d: &jsonDoc{b: b, nodes: make([]jsonNode, 0, capacity)}}
	if !s.run() {
		return nil, false
	}
	return s.d, true
}

// jsonScanner holds the state of scanJSON: the position, the open
// containers, and the name of the member whose value comes next.
type jsonScanner struct {
	b      []byte
	i      int
	keep   int
	d      *jsonDoc
	stack  []openContainer
	key    [2]int32
	keyEsc string // the decoded name when it has escapes
	hasEsc bool
}

func (s *jsonScanner) run() bool {
	for {
		if s.inObject() && !s.member() {
			return false
		}
		opened, ok := s.value()
		if !ok {
			return false
		}
		if opened {
			s.skipSpace()
			if s.i == len(s.b) || s.b[s.i] != closer(s.stack[len(s.stack)-1].kind) {
				continue // the first member or element
			}
			s.i++
			s.close()
		}
		if done, ok := s.afterValue(); !ok || done {
			return ok
		}
	}
}

// openContainer is an object or array being scanned: its node, or -1 when
// it is not kept, and its kind.
type openContainer struct {
	n    int32
	kind byte
}

// inObject reports whether the innermost open container is an object.
func (s *jsonScanner) inObject() bool {
	return len(s.stack) > 0 && s.stack[len(s.stack)-1].kind == '{'
}

// afterValue reads the commas and closing brackets after a value. It
// reports done at the end of the document, and ok false on a syntax error.
func (s *jsonScanner) afterValue() (done, ok bool) {
	for {
		s.skipSpace()
		if len(s.stack) == 0 {
			return true, s.i == len(s.b)
		}
		if s.i == len(s.b) {
			return false, false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			return false, true
		case closer(s.stack[len(s.stack)-1].kind):
			s.i++
			s.close()
		default:
			return false, false
		}
	}
}

func closer(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

// close ends the innermost open container at s.i.
func (s *jsonScanner) close() {
	top := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	if top.n >= 0 {
		s.d.nodes[top.n].end = int32(s.i)
		s.d.nodes[top.n].next = int32(len(s.d.nodes))
	}
}

// member reads a member name and its colon.
func (s *jsonScanner) member() bool {
	s.skipSpace()
	if s.i == len(s.b) || s.b[s.i] != '"' {
		return false
	}
	start := s.i
	esc, ok := s.str()
	if !ok {
		return false
	}
	s.key = [2]int32{int32(start + 1), int32(s.i - 1)}
	s.hasEsc = esc
	if esc {
		var k string
		if json.Unmarshal(s.b[start:s.i], &k) != nil {
			return false
		}
		s.keyEsc = k
	}
	s.skipSpace()
	if s.i == len(s.b) || s.b[s.i] != ':' {
		return false
	}
	s.i++
	return true
}

// value reads one value, or only the opening bracket of a container, which
// it then reports as opened.
func (s *jsonScanner) value() (opened, ok bool) {
	s.skipSpace()
	if s.i == len(s.b) {
		return false, false
	}
	idx := int32(len(s.d.nodes))
	kept := s.keep == 0 || len(s.stack) < s.keep
	n := jsonNode{start: int32(s.i)}
	if kept && s.inObject() {
		n.kstart, n.kend, n.keyEscaped = s.key[0], s.key[1], s.hasEsc
		if s.hasEsc {
			if s.d.keys == nil {
				s.d.keys = map[int32]string{}
			}
			s.d.keys[idx] = s.keyEsc
		}
	}
	switch c := s.b[s.i]; c {
	case '{', '[':
		if len(s.stack) >= maxJSONDepth {
			return false, false
		}
		n.kind = c
		s.i++
		if !kept {
			s.stack = append(s.stack, openContainer{-1, c})
			return true, true
		}
		s.stack = append(s.stack, openContainer{idx, c})
		s.d.nodes = append(s.d.nodes, n)
		return true, true
	case '"':
		n.kind = '"'
		n.escaped, ok = s.str()
	case 't':
		n.kind, ok = 't', s.literal("true")
	case 'f':
		n.kind, ok = 'f', s.literal("false")
	case 'n':
		n.kind, ok = 'n', s.literal("null")
	default:
		n.kind, ok = '0', s.number()
	}
	if !ok {
		return false, false
	}
	if kept {
		n.end, n.next = int32(s.i), idx+1
		s.d.nodes = append(s.d.nodes, n)
	}
	return false, true
}

func (s *jsonScanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) literal(word string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return false
	}
	s.i += len(word)
	return true
}

// str reads a string from its opening quote, reporting whether it has
// escapes.
func (s *jsonScanner) str() (escaped, ok bool) {
	b := s.b
	for i := s.i + 1; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return escaped, true
		case c == '\\':
			escaped = true
			if i+1 == len(b) {
				return false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+5 >= len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return false, false
				}
				i += 6
			default:
				return false, false
			}
		case c < 0x20:
			return false, false
		default:
			i++
		}
	}
	return false, false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *jsonScanner) number() bool {
	b, i := s.b, s.i
	if b[i] == '-' {
		i++
	}
	switch {
	case i == len(b) || !isDigit(b[i]):
		return false
	case b[i] == '0':
		i++
	default:
		i = skipDigits(b, i)
	}
	if i < len(b) && b[i] == '.' {
		if i+1 == len(b) || !isDigit(b[i+1]) {
			return false
		}
		i = skipDigits(b, i+1)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i == len(b) || !isDigit(b[i]) {
			return false
		}
		i = skipDigits(b, i)
	}
	s.i = i
	return true
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
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
	var s string
	if json.Unmarshal(d.raw(i), &s) != nil {
		return "", false
	}
	return s, true
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

// sameKey reports whether members i and j have the same name.
func (d *jsonDoc) sameKey(i, j int32) bool {
	if d.nodes[i].keyEscaped || d.nodes[j].keyEscaped {
		return d.key(i) == d.key(j)
	}
	return bytes.Equal(d.b[d.nodes[i].kstart:d.nodes[i].kend], d.b[d.nodes[j].kstart:d.nodes[j].kend])
}

// children returns the number of members or elements of container i.
func (d *jsonDoc) children(i int32) int {
	n := 0
	for j := i + 1; j < d.nodes[i].next; j = d.nodes[j].next {
		n++
	}
	return n
}

// duplicateKey returns the first member name of object i that repeats an
// earlier one.
func (d *jsonDoc) duplicateKey(i int32) (string, bool) {
	end := d.nodes[i].next
	if d.children(i) <= 16 {
		for j := i + 1; j < end; j = d.nodes[j].next {
			for k := i + 1; k < j; k = d.nodes[k].next {
				if d.sameKey(j, k) {
					return d.key(j), true
				}
			}
		}
		return "", false
	}
	seen := map[string]bool{}
	for j := i + 1; j < end; j = d.nodes[j].next {
		k := d.key(j)
		if seen[k] {
			return k, true
		}
		seen[k] = true
	}
	return "", false
}
