package node

import (
	"bytes"
	"fmt"

	"github.com/kpnode/kpnode/protocol"
)

// leaseImportFiles leases the files the items of an import name (so that
// no collection pass deletes them before the records name them) and
// checks that this node holds each whole: an import publishes either every
// record with files its audience can fetch, or nothing. A record naming a
// file not held is an *[ImportProblems] naming the record and its
// attachments member. The caller calls release once the import is over.
func (n *Node) leaseImportFiles(typ string, items [][]byte) (release func(), err error) {
	if !protocol.CarriesFiles(typ) {
		return func() {}, nil
	}
	var files []protocol.AttachedFile
	byItem := make([][]protocol.AttachedFile, len(items))
	for i, it := range items {
		if bytes.Contains(it, []byte(`"attachments"`)) { // a 200,000-row import decodes no body twice
			byItem[i] = protocol.FilesOf(it)
			files = append(files, byItem[i]...)
		}
	}
	release = n.blobLeases.take(files)
	n.blobLeases.checked()
	var problems []RecordProblem
	for i, fs := range byItem {
		if p := n.importFileProblem(i, fs); p != nil {
			problems = append(problems, *p)
		}
	}
	if err := errImportProblems(problems); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// importFileProblem returns the problem of item i, whose files are fs,
// when this node does not hold one of them whole.
func (n *Node) importFileProblem(i int, fs []protocol.AttachedFile) *RecordProblem {
	for j, f := range fs {
		if err := n.checkFileHeld(f); err != nil {
			return &RecordProblem{Record: i, Field: fmt.Sprintf("attachments[%d]", j),
				Reason: fmt.Sprintf("file %q: blob %s: %v", f.Name, f.Blob, err)}
		}
	}
	return nil
}
