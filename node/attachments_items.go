package node

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/protocol"
)

// FileRef names one file of a record: by its name and, in a batch entry,
// by the index (from 0) of the item that carries it. Items of one batch
// may each carry a different file of the same name (every certificate
// its scan.pdf); the name alone then names none of them.
type FileRef struct {
	Name string
	// Item is the item's index in a batch entry; nil accepts the name
	// alone when every item that has it carries the same file.
	Item *int
}

// ItemFile names file name of item i of a batch entry.
func ItemFile(name string, i int) FileRef { return FileRef{Name: name, Item: &i} }

// String returns the name, with its item when given.
func (r FileRef) String() string {
	if r.Item == nil {
		return strconv.Quote(r.Name)
	}
	return fmt.Sprintf("%q of item %d", r.Name, *r.Item)
}

// recordFile is a file of a record with the batch item carrying it.
type recordFile struct {
	protocol.AttachedFile
	Item *int // nil for a record that is not a batch
}

// recordFiles returns the files of a parsed record (for a batch, of each
// item, with its index), in the record's order.
func recordFiles(value any) []recordFile {
	b, ok := value.(*protocol.Batch)
	if !ok {
		var out []recordFile
		for _, f := range filesOf(value) {
			out = append(out, recordFile{AttachedFile: f})
		}
		return out
	}
	var out []recordFile
	for i, v := range b.Records {
		for _, f := range filesOf(v) {
			out = append(out, recordFile{AttachedFile: f, Item: &i})
		}
	}
	return out
}

// pickFile returns the file ref names among files of record where (for
// errors). A name alone is refused when items carry different files of
// that name; the same file under one name in several items is one file.
func pickFile(files []recordFile, ref FileRef, where string) (protocol.AttachedFile, error) {
	var match []recordFile
	for _, f := range files {
		if f.Name != ref.Name {
			continue
		}
		if ref.Item == nil || (f.Item != nil && *f.Item == *ref.Item) {
			match = append(match, f)
		}
	}
	if len(match) == 0 {
		return protocol.AttachedFile{}, fmt.Errorf("record %s: %s: %w", where, ref, ErrNoAttachment)
	}
	for _, f := range match[1:] {
		if f.Blob != match[0].Blob || f.SHA256 != match[0].SHA256 {
			return protocol.AttachedFile{}, fmt.Errorf("record %s: %s: %w: items %s counting from 1 (item=%s in the API) carry different files of that name; give the item",
				where, ref, ErrAmbiguousAttachment, itemList(match, 1), itemList(match, 0))
		}
	}
	return match[0].AttachedFile, nil
}

// itemList returns the items of files counting from base, as "1, 2":
// people count items from 1 (the dashboard, the command line), the API
// from 0.
func itemList(files []recordFile, base int) string {
	items := make([]string, 0, len(files))
	for _, f := range files {
		if f.Item != nil {
			items = append(items, strconv.Itoa(*f.Item+base))
		}
	}
	return strings.Join(items, ", ")
}
