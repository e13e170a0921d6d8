package node

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// An export names, in each correction's supersedes, an entry of the feed
// it was exported from. In another node, a fresh one of the same
// authority that the data moves to, the same seq and item name another
// record or none: no supersedes of such a file can be trusted there. An
// import "as originals" ([ImportRequest.AsOriginals]) drops every
// record's supersedes and publishes the records as originals; an export
// holds current records only, so nothing it lists needs to supersede
// anything in the new node.

// asOriginals returns the items without their "supersedes" member and how
// many had one.
func asOriginals(items [][]byte) ([][]byte, int, error) {
	out := make([][]byte, len(items))
	dropped := 0
	for i, it := range items {
		b, had, err := withoutMember(it, "supersedes")
		if err != nil {
			return nil, 0, fmt.Errorf("%w: record %d: %w", ErrInvalidRecord, i+1, err)
		}
		out[i] = b
		if had {
			dropped++
		}
	}
	return out, dropped, nil
}

// withoutMember returns a JSON object's bytes without its top-level
// member name, keeping the others as written (a canonical body stays
// canonical), and whether it had one.
func withoutMember(body []byte, name string) ([]byte, bool, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, false, fmt.Errorf("the record is not a JSON object")
	}
	for d.More() {
		start := d.InputOffset() // before the member's separating comma, if any
		k, err := d.Token()
		if err != nil {
			return nil, false, fmt.Errorf("read the record: %w", err)
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, false, fmt.Errorf("read the record: %w", err)
		}
		if k != name {
			continue
		}
		end := int(d.InputOffset())
		if first := bytes.TrimLeft(body[start:], " \t\r\n")[0] != ','; first {
			// no comma before it: drop the one after it, if any
			if rest := bytes.TrimLeft(body[end:], " \t\r\n"); len(rest) > 0 && rest[0] == ',' {
				end = len(body) - len(rest) + 1
			}
		}
		out := append(append([]byte{}, body[:start]...), body[end:]...)
		return out, true, nil
	}
	return body, false, nil
}
