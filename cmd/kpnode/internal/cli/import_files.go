package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/tabular"
)

// importFile is a file an import's attachments column names, found on
// this computer.
type importFile struct {
	path string // as resolved: absolute, or relative to the working directory
	size int64
}

// importFiles are the files of an import's attachments column: each path
// as written in a cell, and the file it resolves to.
type importFiles struct {
	byCell map[string]importFile
	order  []string        // distinct resolved paths, in the order of first use
	listed map[string]bool // the paths in order
	bytes  int64           // of the distinct files together
}

// checkImportFiles finds every file the attachments column of table (the
// file named name, its paths relative to dir) names and checks it as the
// node will: a regular file (a symbolic link is followed: the clerk may
// name any file it can read) that can be opened, at most 64 MiB, at most
// 20 files and 256 MiB a row, no two of one row with the same name. Every
// problem names the file, row and column; with any, nothing is uploaded.
func checkImportFiles(kind tabular.Kind, name, dir string, table []byte) (*importFiles, error) {
	cells, err := tabular.FileCells(kind, name, table)
	if err != nil || len(cells) == 0 {
		return nil, err
	}
	fl := &importFiles{byCell: map[string]importFile{}, listed: map[string]bool{}}
	var problems []tabular.RowError
	for _, c := range cells {
		for _, reason := range fl.checkRow(dir, c.Paths) {
			problems = append(problems, tabular.RowError{File: name, Row: c.Row, Column: tabular.FilesColumn, Reason: reason})
		}
	}
	if len(problems) > 0 {
		return nil, &tabular.ImportError{Format: tabular.FormatCSV, Errors: problems}
	}
	return fl, nil
}

// checkRow checks the paths of one cell, adding their files, and returns
// its problems.
func (fl *importFiles) checkRow(dir string, paths []string) []string {
	var problems []string
	if len(paths) > protocol.MaxAttachments {
		problems = append(problems, fmt.Sprintf("names %d files, over the limit of %d a record", len(paths), protocol.MaxAttachments))
	}
	names := map[string]string{}
	var total int64
	for _, p := range paths {
		f, reason := fl.find(dir, p)
		if reason != "" {
			problems = append(problems, fmt.Sprintf("%q: %s", p, reason))
			continue
		}
		base := filepath.Base(f.path)
		if other, dup := names[base]; dup {
			problems = append(problems, fmt.Sprintf("%q and %q are both named %q: a record's files need different names", other, p, base))
		}
		names[base] = p
		total += f.size
	}
	if total > protocol.MaxAttachmentsTotal {
		problems = append(problems, fmt.Sprintf("files of %d bytes together, over the limit of %d a record", total, protocol.MaxAttachmentsTotal))
	}
	return problems
}

// find resolves path p of a cell against dir and checks its file, once
// per distinct file; it returns why the file cannot be attached, or "".
func (fl *importFiles) find(dir, p string) (importFile, string) {
	if f, ok := fl.byCell[p]; ok {
		return f, ""
	}
	path := p
	if !filepath.IsAbs(p) {
		path = filepath.Join(dir, p)
	}
	f := importFile{path: path}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, fmt.Sprintf("no such file (looked for %s)", path)
	case err != nil:
		return f, fmt.Sprintf("cannot be read: %v", err)
	case info.IsDir():
		return f, "is a folder, not a file"
	case !info.Mode().IsRegular():
		return f, errNotRegular.Error()
	case info.Size() > protocol.MaxAttachmentSize:
		return f, fmt.Sprintf("is %d bytes, over the limit of %d a file", info.Size(), protocol.MaxAttachmentSize)
	}
	fh, err := openAttachment(path)
	if err != nil {
		return f, err.Error()
	}
	fh.Close()
	f.size = info.Size()
	if !fl.listed[path] {
		fl.listed[path] = true
		fl.order = append(fl.order, path)
		fl.bytes += f.size
	}
	fl.byCell[p] = f
	return f, ""
}

// errNotRegular is why a path that is not a regular file cannot be
// attached.
var errNotRegular = errors.New("is not a regular file (a device, pipe or socket)")

// openAttachment opens the file at path to attach it, refusing what is
// not a regular file once opened: a path checked as a file and replaced
// by a FIFO or a device before it is read would block or never end. A
// symbolic link is followed (the clerk may name any file it can read).
func openAttachment(path string) (*os.File, error) {
	fh, err := openNoWait(path)
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	info, err := fh.Stat()
	switch {
	case err != nil:
		err = fmt.Errorf("cannot be read: %w", err)
	case info.IsDir():
		err = errors.New("is a folder, not a file")
	case !info.Mode().IsRegular():
		err = errNotRegular
	case info.Size() > protocol.MaxAttachmentSize:
		err = fmt.Errorf("is %d bytes, over the limit of %d a file", info.Size(), protocol.MaxAttachmentSize)
	}
	if err != nil {
		fh.Close()
		return nil, err
	}
	return fh, nil
}

// upload seals each distinct file once through the daemon, streamed from
// disk, showing on a terminal how many bytes are sealed, and returns the
// uploaded file of every path as written in the cells.
func (fl *importFiles) upload(e *env, c *client) (map[string]protocol.AttachedFile, error) {
	line := &progressLine{w: e.Err}
	defer line.clear()
	count := sealCounter(e, line, fl.bytes)
	byPath := map[string]protocol.AttachedFile{}
	for _, path := range fl.order {
		f, err := c.uploadFile(e, path, count)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (nothing imported; files sealed so far are deleted after attachment_retention unless a record names them)", path, err)
		}
		byPath[path] = f
	}
	out := make(map[string]protocol.AttachedFile, len(fl.byCell))
	for cell, f := range fl.byCell {
		out[cell] = byPath[f.path]
	}
	return out, nil
}

// placeholders are the files of a dry run, which uploads nothing: the
// names, sizes and media types of the files, with zero hashes and keys.
func (fl *importFiles) placeholders() (map[string]protocol.AttachedFile, error) {
	zero := strings.Repeat("0", 64)
	out := make(map[string]protocol.AttachedFile, len(fl.byCell))
	for cell, f := range fl.byCell {
		fh, err := openAttachment(f.path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.path, err)
		}
		mt, err := mediaType(fh, f.path)
		fh.Close()
		if err != nil {
			return nil, err
		}
		out[cell] = protocol.AttachedFile{Name: filepath.Base(f.path), MediaType: mt, Size: f.size, SHA256: zero, Blob: zero, Key: zero}
	}
	return out, nil
}

// sealCounter returns a function counting bytes sent of total, shown on
// line when standard error is a terminal, or nil.
func sealCounter(e *env, line *progressLine, total int64) func(int) {
	if !isTerminal(e.Err) || total == 0 {
		return nil
	}
	var done int64
	last := int64(-1)
	return func(n int) {
		done += int64(n)
		if pct := done * 100 / total; pct != last {
			last = pct
			line.show(fmt.Sprintf("sealing attachments %3d%% (%d of %d MB)", pct, done>>20, total>>20))
		}
	}
}

// importBody is the body of an import with files: a multipart body with
// the table and the files uploaded for its paths, and its content type.
func importBody(table []byte, files map[string]protocol.AttachedFile) ([]byte, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fj, err := json.Marshal(files)
	if err != nil {
		return nil, "", err
	}
	for _, part := range []struct {
		name string
		body []byte
	}{{"files", fj}, {"table", table}} {
		w, err := mw.CreateFormField(part.name)
		if err != nil {
			return nil, "", err
		}
		if _, err := w.Write(part.body); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

// countingReader calls count with the bytes each read returns.
type countingReader struct {
	r     io.Reader
	count func(int)
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.count(n)
	return n, err
}
