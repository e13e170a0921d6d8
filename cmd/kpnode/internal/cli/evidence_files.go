package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kpnode/kpnode/protocol"
)

// provenFiles returns the files the proven record (or its batch item)
// names.
func provenFiles(p *protocol.ProvenRecord) []protocol.AttachedFile {
	if p.Item != nil {
		return protocol.FilesOf(p.ItemBody)
	}
	return protocol.FilesOf(p.Body)
}

// exportFiles writes the files of the bundle's record (of its batch
// item: by the item, not the name alone, which other items of the batch
// may give a file of their own) into f.files,
// fetched through the daemon (from partners if this node lacks them).
func (e *env) exportFiles(f evidenceExportFlags, bundle []byte) error {
	p, err := verifyBundle(bundle)
	if err != nil {
		return err
	}
	files := provenFiles(p)
	if len(files) == 0 {
		fmt.Fprintln(e.Out, "The record has no attached files.")
		return nil
	}
	c, err := e.client(f.home)
	if err != nil {
		return fmt.Errorf("attached files: %w (the daemon must run to export them)", err)
	}
	if err := os.MkdirAll(f.files, 0o700); err != nil {
		return err
	}
	for _, af := range files {
		path := attachmentPath(p.Card.Card.Code, p.Entry.Seq, af.Name, p.Item)
		if _, err := c.download(e, path, filepath.Join(f.files, af.Name)); err != nil {
			return fmt.Errorf("attached file %q: %w", af.Name, err)
		}
		fmt.Fprintf(e.Out, "Wrote the attached file %s (%d bytes) to %s\n", af.Name, af.Size, filepath.Join(f.files, af.Name))
	}
	return nil
}

// checkFiles checks, offline, each file the proven record names against
// the file of that name in dir.
func checkFiles(e *env, p *protocol.ProvenRecord, dir string) error {
	var errs []error
	for _, af := range provenFiles(p) {
		err := checkFile(af, filepath.Join(dir, af.Name))
		if err != nil {
			fmt.Fprintf(e.Out, "  file          %s: PROBLEM: %v\n", af.Name, err)
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(e.Out, "  file          %s: VALID, %d bytes, sha256 %s, as the record names it\n", af.Name, af.Size, af.SHA256)
	}
	if err := errors.Join(errs...); err != nil {
		return &cliError{code: ExitProblems, err: err, hint: "the signed record holds; the files named are not the ones it names"}
	}
	return nil
}

// checkFile checks the file at path against af. The folder may have come
// with the bundle from anyone: a FIFO or a device in it is refused, not
// waited on or read.
func checkFile(af protocol.AttachedFile, path string) error {
	fh, err := openAttachment(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	return af.Check(fh)
}
