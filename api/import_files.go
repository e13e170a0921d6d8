package api

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/kpnode/kpnode/protocol"
)

// maxImportFilesPart caps the "files" part of an import with files: the
// uploaded file of each path its attachments column names (about 400
// bytes a path).
const maxImportFilesPart = 16 << 20

// importUpload reads an import's file name, its table and the files
// uploaded for its attachments column. The body is the table, or a
// multipart/form-data body with a "table" part and a "files" part: a JSON
// object mapping each path the column names to the member of the file
// uploaded for it (POST /api/attachments), as kpnode import sends.
func importUpload(r *http.Request) (file string, table []byte, files map[string]protocol.AttachedFile, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		file, table, err = uploadedFile(r)
		return file, table, nil, err
	}
	if file, err = uploadedFileName(r); err != nil {
		return "", nil, nil, err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, nil, badRequest(fmt.Sprintf("read multipart body: %v", err))
	}
	seen := map[string]bool{} // one part of each name: a repeated one would be read again within the body's limit
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, nil, badRequest(fmt.Sprintf("read multipart body: %v", err))
		}
		if seen[p.FormName()] {
			return "", nil, nil, badRequest(fmt.Sprintf("a second %.40q part: an import has one table and one files part", p.FormName()))
		}
		seen[p.FormName()] = true
		switch p.FormName() {
		case "table":
			table, err = readPart(p, MaxImportBytes)
		case "files":
			files, err = readFilesPart(p)
		default:
			err = badRequest(fmt.Sprintf("unknown part %.40q (want table and files)", p.FormName()))
		}
		if err != nil {
			return "", nil, nil, err
		}
	}
	if table == nil {
		return "", nil, nil, badRequest("the multipart body has no \"table\" part")
	}
	return file, table, files, nil
}

// readPart reads a part of at most limit bytes.
func readPart(p io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(p, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("a part is larger than %d bytes", limit)}
	}
	return b, nil
}

// readFilesPart reads the "files" part. Its files are checked where the
// records name them (tabular validates every record's attachments member,
// the node checks it holds each file whole); paths no cell names are
// unused.
func readFilesPart(p io.Reader) (map[string]protocol.AttachedFile, error) {
	b, err := readPart(p, maxImportFilesPart)
	if err != nil {
		return nil, err
	}
	var files map[string]protocol.AttachedFile
	if err := json.Unmarshal(b, &files); err != nil {
		return nil, badRequest(fmt.Sprintf("the \"files\" part is not a JSON object of files: %v", err))
	}
	return files, nil
}
