package tabular

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// JSON files are read with jsontext (github.com/go-json-experiment/json),
// which checks the syntax and UTF-8 as it reads; move to the standard
// library's encoding/json/jsontext once it no longer needs
// GOEXPERIMENT=jsonv2. Duplicate member names inside an item are left to
// protocol's validator, which names the item and the field; those of a
// batch object are refused here.

// errTrailingData is returned when a JSON document has more after its value.
var errTrailingData = errors.New("more data after the JSON value")

// jsonFileItems returns the items of a JSON table file, slices of data: the
// elements of the array that data is, or of the "items" member of the
// object that it is. It returns why there are none, a reason for the file,
// or the syntax error that says where data is not JSON.
func jsonFileItems(data []byte, tk *tableKind) (items [][]byte, reason string, err error) {
	const want = `must be a JSON array of records, or an object with "items"`
	dec := jsontext.NewDecoder(bytes.NewBuffer(data), jsontext.AllowDuplicateNames(true))
	switch dec.PeekKind() {
	case '[':
		items, err = jsonArrayItems(dec, data)
	case '{':
		items, reason, err = jsonObjectItems(dec, data, tk, want)
	case 0:
		_, err = dec.ReadValue()
	default:
		return nil, want, nil
	}
	if err == nil && reason == "" {
		err = jsonEnd(dec)
	}
	if err != nil {
		return nil, "", diagnosed(data, err)
	}
	return items, reason, nil
}

// diagnosed returns the error of reading data, err, as the error of a
// pass that skips the whole document when that is a syntax error too:
// ReadValue can misname a broken value (`{"a":}` inside an array is
// "invalid character '}' after array element").
func diagnosed(data []byte, err error) error {
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) {
		return err
	}
	skipErr := jsontext.NewDecoder(bytes.NewBuffer(data), jsontext.AllowDuplicateNames(true)).SkipValue()
	if errors.As(skipErr, &se) {
		return skipErr
	}
	return err
}

// jsonArrayItems reads an array, returning its elements as slices of data.
func jsonArrayItems(dec *jsontext.Decoder, data []byte) ([][]byte, error) {
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	var items [][]byte
	for dec.PeekKind() != ']' {
		v, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		end := int(dec.InputOffset())
		items = append(items, data[end-len(v):end:end])
	}
	_, err := dec.ReadToken()
	return items, err
}

// jsonObjectItems reads the object of a batch body: "version" 1, "type"
// the kind's and "items", the array it returns.
func jsonObjectItems(dec *jsontext.Decoder, data []byte, tk *tableKind, want string) (items [][]byte, reason string, err error) {
	if _, err := dec.ReadToken(); err != nil {
		return nil, "", err
	}
	seen := map[string]bool{}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, "", err
		}
		name := tok.String()
		if seen[name] {
			return nil, fmt.Sprintf("duplicate member %q", truncate(name, 40)), nil
		}
		seen[name] = true
		if name == "items" {
			if dec.PeekKind() != '[' {
				return nil, `"items" must be an array of records`, nil
			}
			if items, err = jsonArrayItems(dec, data); err != nil {
				return nil, "", err
			}
			continue
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil, "", err
		}
		if reason := batchMemberReason(tk, name, string(v), want); reason != "" {
			return nil, reason, nil
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, "", err
	}
	if !seen["items"] {
		return nil, want, nil
	}
	return items, "", nil
}

// batchMemberReason returns why member name of a batch object, whose value
// is raw, is refused, or "".
func batchMemberReason(tk *tableKind, name, raw, want string) string {
	raw = truncate(raw, 40)
	switch name {
	case "version":
		if raw != "1" {
			return fmt.Sprintf(`"version" must be 1, got %s`, raw)
		}
	case "type":
		if raw != strconv.Quote(tk.typ) {
			return fmt.Sprintf(`"type" must be %q for %s, got %s`, tk.typ, tk.name, raw)
		}
	default:
		return fmt.Sprintf("unexpected member %q: the file %s", truncate(name, 40), want)
	}
	return ""
}

// jsonEnd checks that nothing but white space follows the value read.
func jsonEnd(dec *jsontext.Decoder) error {
	off := dec.InputOffset()
	switch _, err := dec.ReadValue(); {
	case err == io.EOF:
		return nil
	case err != nil:
		return err
	}
	return fmt.Errorf("%w, from offset %d", errTrailingData, off)
}

// syntaxReason says what is wrong with JSON file data and where, without
// jsontext's prefix, with the line for a person with an editor; an empty
// document is cut short at its start.
func syntaxReason(data []byte, err error) string {
	if err == io.EOF {
		return "unexpected end of JSON input"
	}
	reason := strings.TrimPrefix(err.Error(), "jsontext: ")
	var se *jsontext.SyntacticError
	if errors.As(err, &se) && se.ByteOffset <= int64(len(data)) {
		reason += fmt.Sprintf(" (line %d)", bytes.Count(data[:se.ByteOffset], []byte("\n"))+1)
	}
	return reason
}

// bodyFields returns the members of a valid body object by dotted path,
// those of nested objects too, each a slice of body.
func bodyFields(body []byte) map[string]jsontext.Value {
	fields := map[string]jsontext.Value{}
	addFields(fields, "", body)
	return fields
}

// addFields adds the members of object obj to fields, their paths
// prefixed with prefix.
func addFields(fields map[string]jsontext.Value, prefix string, obj []byte) {
	dec := jsontext.NewDecoder(bytes.NewBuffer(obj))
	if _, err := dec.ReadToken(); err != nil {
		return
	}
	for dec.PeekKind() != '}' && dec.PeekKind() != 0 {
		tok, err := dec.ReadToken()
		if err != nil {
			return
		}
		name := prefix + tok.String()
		v, err := dec.ReadValue()
		if err != nil {
			return
		}
		end := int(dec.InputOffset())
		v = jsontext.Value(obj[end-len(v) : end : end])
		fields[name] = v
		if v.Kind() == '{' {
			addFields(fields, name+".", v)
		}
	}
}

// arrayElements returns the elements of a valid array, slices of arr.
func arrayElements(arr []byte) [][]byte {
	dec := jsontext.NewDecoder(bytes.NewBuffer(arr))
	items, _ := jsonArrayItems(dec, arr)
	return items
}

// cellOf returns a value of a valid body as CSV cell text: a string as it
// is, a list of strings joined by ';', anything else as its JSON text.
func cellOf(v jsontext.Value) string {
	switch v.Kind() {
	case '"':
		s, _ := jsontext.AppendUnquote(nil, v)
		return string(s)
	case 'n':
		return ""
	case '[':
		var parts []string
		for _, e := range arrayElements(v) {
			parts = append(parts, cellOf(e))
		}
		return strings.Join(parts, ";")
	}
	return string(v)
}

// hasMember reports whether the object obj has a member name at its top.
func hasMember(obj []byte, name string) bool {
	dec := jsontext.NewDecoder(bytes.NewBuffer(obj))
	if _, err := dec.ReadToken(); err != nil {
		return false
	}
	for dec.PeekKind() != '}' && dec.PeekKind() != 0 {
		tok, err := dec.ReadToken()
		if err != nil || tok.String() == name {
			return err == nil
		}
		if dec.SkipValue() != nil {
			return false
		}
	}
	return false
}

// emptyObject reports whether obj, a valid object, has no members.
func emptyObject(obj []byte) bool {
	return len(bytes.TrimSpace(bytes.TrimSpace(obj)[1:])) == 1
}
