package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
)

const attachmentsSynopsis = "add FILE... | list FEED/SEQ | get FEED/SEQ [NAME] [--item N] [-o FILE] [--wait DURATION]"

func runAttachments(e *env, args []string) error {
	if len(args) == 0 {
		return usageErrorf("attachments needs a subcommand: %s", attachmentsSynopsis)
	}
	switch args[0] {
	case "add":
		return runAttachmentsAdd(e, args[1:])
	case "list":
		return runAttachmentsList(e, args[1:])
	case "get":
		return runAttachmentsGet(e, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(e.Err, "Usage: kpnode attachments %s\n", attachmentsSynopsis)
		return nil
	}
	return usageErrorf("attachments: unknown subcommand %q (want add, list or get)", args[0])
}

// runAttachmentsAdd seals files for this node's records and prints the
// attachments member that names them, to paste into a record.
func runAttachmentsAdd(e *env, args []string) error {
	fs, homeFlag := e.newFlags("attachments add", "FILE...")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("attachments add needs one FILE or more")
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	files, err := c.uploadAll(e, pos)
	if err != nil {
		return err
	}
	return printJSON(e.Out, map[string]any{"attachments": files})
}

// uploadAll seals each file through the daemon.
func (c *client) uploadAll(e *env, paths []string) ([]protocol.AttachedFile, error) {
	files := make([]protocol.AttachedFile, 0, len(paths))
	for _, p := range paths {
		f, err := c.uploadFile(e, p, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		files = append(files, f)
	}
	return files, nil
}

// uploadFile seals the file at path through the daemon, streamed from
// disk; count, if set, is called with the bytes sent as they go.
func (c *client) uploadFile(e *env, path string, count func(int)) (protocol.AttachedFile, error) {
	fh, err := openAttachment(path)
	if err != nil {
		return protocol.AttachedFile{}, err
	}
	defer fh.Close()
	mt, err := mediaType(fh, path)
	if err != nil {
		return protocol.AttachedFile{}, err
	}
	q := url.Values{"name": {filepath.Base(path)}, "media_type": {mt}}
	var body io.Reader = fh
	if count != nil {
		body = countingReader{fh, count}
	}
	var f protocol.AttachedFile
	err = c.forImport().doReader(e, "POST", "/api/attachments?"+q.Encode(), body, &f)
	return f, err
}

// mediaType guesses a file's media type from its extension, else from its
// first bytes, lowercase and without parameters; it rewinds f.
func mediaType(f *os.File, path string) (string, error) {
	mt := mime.TypeByExtension(strings.ToLower(filepath.Ext(path)))
	if mt == "" {
		head := make([]byte, 512)
		n, err := io.ReadFull(f, head)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return "", err
		}
		mt = http.DetectContentType(head[:n])
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", err
		}
	}
	mt, _, _ = strings.Cut(mt, ";")
	return strings.ToLower(strings.TrimSpace(mt)), nil
}

// withAttachments returns the record rec with an "attachments" member
// naming files, added after its other members (which keep their bytes).
func withAttachments(rec []byte, files []protocol.AttachedFile) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(rec, &top); err != nil {
		return nil, fmt.Errorf("record is not a JSON object: %w", err)
	}
	if _, ok := top["attachments"]; ok {
		return nil, errors.New("the record has an attachments member already: name its files there or with --attach, not both")
	}
	list, err := json.Marshal(files)
	if err != nil {
		return nil, err
	}
	body := bytes.TrimRight(rec, " \t\r\n")
	body = bytes.TrimSuffix(body, []byte("}"))
	sep := ","
	if len(top) == 0 {
		sep = ""
	}
	return append(append(append(bytes.Clone(body), sep+`"attachments":`...), list...), '}'), nil
}

// recordRef parses FEED/SEQ.
func recordRef(s string) (string, uint64, error) {
	feed, seqText, ok := strings.Cut(s, "/")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if !ok || feed == "" || err != nil || seq == 0 {
		return "", 0, usageErrorf("%q: want a record as FEED/SEQ, such as IN/12", s)
	}
	return strings.ToUpper(feed), seq, nil
}

// recordFile is a file a record names, with the index (from 0) of the
// batch item that carries it in a batch entry.
type recordFile struct {
	protocol.AttachedFile
	Item *int `json:"item,omitempty"`
}

// recordFiles returns the files a record names (each item's, in a batch).
func (c *client) recordFiles(e *env, feed string, seq uint64) ([]recordFile, error) {
	var v node.RecordView
	if err := c.do(e, "GET", fmt.Sprintf("/api/records/%s/%d", url.PathEscape(feed), seq), nil, &v); err != nil {
		return nil, err
	}
	if v.Type != protocol.BatchType {
		return withItem(protocol.FilesOf(v.Record), nil), nil
	}
	var b struct {
		Items []json.RawMessage `json:"items"`
	}
	_ = json.Unmarshal(v.Record, &b) // the node validated the batch
	var out []recordFile
	for i, item := range b.Items {
		out = append(out, withItem(protocol.FilesOf(item), &i)...)
	}
	return out, nil
}

// withItem returns files as carried by item (nil: not a batch).
func withItem(files []protocol.AttachedFile, item *int) []recordFile {
	out := make([]recordFile, len(files))
	for i, f := range files {
		out[i] = recordFile{AttachedFile: f, Item: item}
	}
	return out
}

func runAttachmentsList(e *env, args []string) error {
	fs, homeFlag := e.newFlags("attachments list", "FEED/SEQ [--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("attachments list needs one record FEED/SEQ")
	}
	feed, seq, err := recordRef(pos[0])
	if err != nil {
		return err
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	files, err := c.recordFiles(e, feed, seq)
	if err != nil || *asJSON {
		return errors.Join(err, printJSON(e.Out, files))
	}
	for _, f := range files {
		item := ""
		if f.Item != nil {
			item = fmt.Sprintf("item %-4d ", *f.Item+1) // counting from 1, as --item does
		}
		fmt.Fprintf(e.Out, "%s%-40s %-24s %12d bytes  sha256 %s\n", item, f.Name, f.MediaType, f.Size, f.SHA256)
	}
	return nil
}

func runAttachmentsGet(e *env, args []string) error {
	fs, homeFlag := e.newFlags("attachments get", "FEED/SEQ [NAME] [--item N] [-o FILE]")
	out := fs.String("o", "", "write the file here (default: its name, in the current directory); never overwrites")
	wait := fs.Duration("wait", 0, "wait up to this long for the record to arrive (e.g. 30s)")
	item := fs.Int("item", 0, "in a batch entry, the item whose file to get, counting from 1 (as evidence export does): needed when items carry different files of one name")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageErrorf("attachments get needs a record FEED/SEQ and, when it has several files, a NAME")
	}
	if flagSet(fs, "item") && *item < 1 {
		return usageErrorf("attachments get: --item %d: items count from 1 (the first record of a batch is --item 1)", *item)
	}
	feed, seq, err := recordRef(pos[0])
	if err != nil {
		return err
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	if err := c.waitRecord(e, feed, seq, *wait); err != nil {
		return err
	}
	f, err := c.pickFile(e, feed, seq, pos[1:], *item-1)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = f.Name
	}
	n, err := c.download(e, attachmentPath(feed, seq, f.Name, f.Item), *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Wrote %s (%d bytes) to %s\n", f.Name, n, *out)
	return nil
}

// attachmentPath is the API path of file name of record feed/seq, of
// batch item item when not nil.
func attachmentPath(feed string, seq uint64, name string, item *int) string {
	path := fmt.Sprintf("/api/records/%s/%d/attachments/%s", url.PathEscape(feed), seq, url.PathEscape(name))
	if item != nil {
		path += "?item=" + strconv.Itoa(*item)
	}
	return path
}

// waitRecord polls for record feed/seq for up to d.
func (c *client) waitRecord(e *env, feed string, seq uint64, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		_, err := c.recordFiles(e, feed, seq)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-e.ctx.Done():
			return e.ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// pickFile returns the file asked: the name (of item, an index from 0,
// when not negative), or the only file of the record (or of the item). A name
// items share for different files the node refuses, listing the items.
func (c *client) pickFile(e *env, feed string, seq uint64, names []string, item int) (recordFile, error) {
	var at *int
	if item >= 0 {
		at = &item
	}
	if len(names) == 1 {
		return recordFile{AttachedFile: protocol.AttachedFile{Name: names[0]}, Item: at}, nil
	}
	files, err := c.recordFiles(e, feed, seq)
	if err != nil {
		return recordFile{}, err
	}
	if at != nil {
		files = slices.DeleteFunc(files, func(f recordFile) bool { return f.Item == nil || *f.Item != item })
	}
	if len(files) != 1 {
		list := make([]string, len(files))
		for i, f := range files {
			list[i] = f.Name
			if f.Item != nil {
				list[i] += fmt.Sprintf(" (item %d)", *f.Item+1)
			}
		}
		return recordFile{}, usageErrorf("record %s/%d has %d files (%s): name the one to get, with --item N in a batch", feed, seq, len(files), strings.Join(list, ", "))
	}
	return files[0], nil
}

// download writes the answer to path through a temporary file renamed
// only when the whole file came, and never over an existing file.
func (c *client) download(e *env, apiPath, path string) (int64, error) {
	if _, err := os.Lstat(path); err == nil {
		return 0, fmt.Errorf("%s exists: choose another name with -o", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".part-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	cw := &countWriter{w: tmp}
	err = c.forImport().do(e, "GET", apiPath, nil, io.Writer(cw))
	if err = errors.Join(err, tmp.Close()); err != nil {
		return 0, err
	}
	return cw.n, os.Rename(tmp.Name(), path)
}

// countWriter counts what it passes on.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
