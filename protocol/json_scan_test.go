package protocol

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodedMembers splits a JSON object with encoding/json, as the validators
// did before scanJSON: names decoded, values as raw bytes.
func decodedMembers(t *testing.T, raw []byte) (keys []string, vals []string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		keys, vals = append(keys, tok.(string)), append(vals, string(v))
	}
	return keys, vals
}

// checkScan compares scanJSON with encoding/json on b: it accepts what
// encoding/json accepts except invalid UTF-8, lone surrogate escapes and
// duplicate member names, and nothing else; every refusal says where; and
// for every object the same member names and value bytes, and for every
// array the same elements.
func checkScan(t *testing.T, b []byte) {
	t.Helper()
	d, err := scanJSON(b)
	ok := err == nil
	want := json.Valid(b) && utf8.Valid(b) && !hasDuplicateNames(b) && !bytes.Contains(b, []byte(`\u`))
	if ok && !json.Valid(b) || ok && !utf8.Valid(b) || !ok && want {
		t.Fatalf("scanJSON(%q) = %v, json.Valid = %v", b, err, json.Valid(b))
	}
	if !ok {
		if len(bytes.TrimSpace(b)) > 0 && !strings.Contains(err.Error(), "offset") && !strings.Contains(err.Error(), "duplicate object member name") && !strings.Contains(err.Error(), "at start of value") { // at offset 0
			t.Fatalf("scanJSON(%q): %v does not say where", b, err)
		}
		return
	}
	if !bytes.Equal(d.raw(0), bytes.TrimSpace(b)) || d.nodes[0].next != int32(len(d.nodes)) {
		t.Fatalf("root %q of %d nodes, next %d", d.raw(0), len(d.nodes), d.nodes[0].next)
	}
	for i := range d.nodes {
		n := int32(i)
		switch d.nodes[n].kind {
		case '{':
			keys, vals := decodedMembers(t, d.raw(n))
			var got []string
			for j := n + 1; j < d.nodes[n].next; j = d.nodes[j].next {
				if k := len(got); k >= len(keys) || d.key(j) != keys[k] || string(d.raw(j)) != vals[k] {
					t.Fatalf("object %q: member %d is %q: %q", d.raw(n), k, d.key(j), d.raw(j))
				}
				got = append(got, d.key(j))
			}
			if len(got) != len(keys) {
				t.Fatalf("object %q: %d members, want %d", d.raw(n), len(got), len(keys))
			}
		case '[':
			var elems []json.RawMessage
			if err := json.Unmarshal(d.raw(n), &elems); err != nil || len(elems) != d.children(n) {
				t.Fatalf("array %q: %d elements, %v", d.raw(n), d.children(n), err)
			}
			k := 0
			for j := n + 1; j < d.nodes[n].next; j = d.nodes[j].next {
				if string(d.raw(j)) != string(elems[k]) {
					t.Fatalf("array %q: element %d is %q, want %q", d.raw(n), k, d.raw(j), elems[k])
				}
				k++
			}
		case '"':
			s, ok := d.str(n)
			var want string
			if err := json.Unmarshal(d.raw(n), &want); err != nil || !ok || s != want {
				t.Fatalf("string %q = %q, want %q", d.raw(n), s, want)
			}
		}
	}
}

func TestScanJSON(t *testing.T) {
	for _, s := range []string{
		``, ` `, `{}`, ` { } `, `[]`, `[ ]`, `{"a":1}`, `{"a" : [1, 2 ,{"b":null}] , "c":"d"}`,
		`{"a":1,}`, `[1,]`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{1:2}`, `[1 2]`, `{"a":1}}`, `[[]`, `]`,
		`0`, `-0`, `-`, `01`, `1.`, `.5`, `1.5e`, `1e+`, `1E-7`, `-12.5e+3`, `+1`, `Infinity`, `NaN`,
		`true`, `tru`, `truex`, `nul`, `null `, `false`, `"x"`, `"x`, `"\u00e9\n\"\\\/\b\f\r\t"`, `"\x"`, `"\u12"`, `"\u12g4"`,
		"\"a\tb\"", "\"\x00\"", "\"\x7f\"", "\"\xff\"", `{"\u0061":1,"a":2}`, `{"a":1,"a":2}`, "{\"a\":1}\n", "{\"a\":1}\x00",
		`{"version":1} {}`, `"\ud800"`, `{"\ud800":1}`,
	} {
		checkScan(t, []byte(s))
	}
	for _, depth := range []int{maxJSONDepth, maxJSONDepth + 1} {
		b := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		if _, err := scanJSON([]byte(b)); (err == nil) != json.Valid([]byte(b)) || (err == nil) != (depth <= maxJSONDepth) {
			t.Errorf("depth %d: scanJSON %v, json.Valid %v", depth, err, json.Valid([]byte(b)))
		}
	}
}

// hasDuplicateNames reports whether an object of b, valid JSON, repeats a
// member name, as encoding/json's tokens show it.
func hasDuplicateNames(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	type level struct {
		names  map[string]bool
		object bool
		name   bool // the next string token in the object is a name
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		top := len(stack) - 1
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if top >= 0 && stack[top].object {
				stack[top].name = true
			}
			stack = append(stack, level{names: map[string]bool{}, object: tok == json.Delim('{'), name: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
			continue
		}
		if top < 0 || !stack[top].object {
			continue
		}
		if s, isName := tok.(string); isName && stack[top].name {
			if stack[top].names[s] {
				return true
			}
			stack[top].names[s] = true
			stack[top].name = false
			continue
		}
		stack[top].name = true
	}
}

// TestDuplicateKeys checks that duplicate member names are refused however
// many members an object has, however deep and however the names are
// escaped, naming the field.
func TestDuplicateKeys(t *testing.T) {
	var many strings.Builder
	many.WriteString(`{`)
	for i := range 40 {
		many.WriteString(`"k` + strings.Repeat("x", i) + `":0,`)
	}
	tests := []struct {
		doc, dup string
	}{
		{`{"a":1,"b":2}`, ""},
		{`{"a":1,"b":2,"a":3}`, "a"},
		{`{"a":1,"\u0061":2}`, "a"},
		{`{"a":{"b":1},"c":[{"d":1,"d":2}]}`, "c[0].d"},
		{many.String() + `"z":1}`, ""},
		{many.String() + `"kxx":1}`, "kxx"},
		{many.String() + `"k\u0078":1}`, "kx"},
	}
	for _, tt := range tests {
		_, err := scanJSON([]byte(tt.doc))
		if (err != nil) != (tt.dup != "") || hasDuplicateNames([]byte(tt.doc)) != (tt.dup != "") {
			t.Errorf("%.40q: %v", tt.doc, err)
		}
		var c checker
		c.document([]byte(tt.doc), MaxBodySize)
		if tt.dup != "" && (len(c.errs) != 1 || c.errs[0].Field != tt.dup || c.errs[0].Reason != "duplicate key") {
			t.Errorf("%.40q: %+v, want %q: duplicate key", tt.doc, c.errs, tt.dup)
		}
	}
}

// FuzzScanJSON checks scanJSON against encoding/json (checkScan).
func FuzzScanJSON(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	for _, name := range files {
		f.Add(readFile(f, name))
	}
	f.Add([]byte(`{"a":[1,-2.5e3,"x\u00e9",true,false,null,{}],"b":{"c":[]}}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkScan(t, b) })
}

// TestScanJSONSaysWhere checks that a refused document is refused with what
// is wrong and where, also where jsontext's ReadValue misnames it.
func TestScanJSONSaysWhere(t *testing.T) {
	for doc, want := range map[string]string{
		`[1,{"a":}]`:          `missing value after object name within "/1/a" after offset 8`,
		`{"a":{"b":[1,2,]}}`:  `invalid character ',' at start of value within "/a/b" after offset 14`,
		`{"a":"\ud800"}`:      `invalid surrogate pair`,
		"{\"a\":\"x\xffy\"}":  `invalid UTF-8 within "/a" after offset 7`,
		`tru`:                 `unexpected EOF after offset 3`,
		`{"a":1} {"b":2}`:     `more data after the JSON value, from offset 7`,
		`{"a":{"b":1,"b":2}}`: `duplicate object member name "b" within "/a"`,
	} {
		if _, err := scanJSON([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", doc, err, want)
		}
	}
}

// TestValidatorRefusesLoneSurrogates checks the one document the jsontext
// scan refuses that the hand-written lexer accepted (decoding the escape
// to U+FFFD): a string or name escaping half a UTF-16 surrogate pair is
// not Unicode text, and is refused naming where it is (docs/protocol.md
// §6.1).
func TestValidatorRefusesLoneSurrogates(t *testing.T) {
	for _, esc := range []string{`\ud800`, `\udfff`, `\ud800\u0041`} {
		body := strings.Replace(string(readFile(t, examplesDir+"/certificate.json")), `"issuing_authority": "`, `"issuing_authority": "`+esc, 1)
		if body == string(readFile(t, examplesDir+"/certificate.json")) {
			t.Fatal("no issuing_authority in the example")
		}
		err := ValidateRecord(CertificateType, []byte(body))
		if err == nil || !strings.Contains(err.Error(), "invalid surrogate pair") || !strings.Contains(err.Error(), `/issuing_authority`) {
			t.Errorf("%s: %v", esc, err)
		}
	}
	ok := strings.Replace(string(readFile(t, examplesDir+"/certificate.json")), `"issuing_authority": "`, `"issuing_authority": "\ud83d\udc8e `, 1)
	if err := ValidateRecord(CertificateType, []byte(ok)); err != nil {
		t.Errorf("a surrogate pair: %v", err)
	}
}
