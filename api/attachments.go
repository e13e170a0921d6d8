package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
)

// AttachmentBackend is what the attachment routes need of the node.
type AttachmentBackend interface {
	AddAttachment(r io.ReadSeeker, name, mediaType string) (protocol.AttachedFile, error)
	OpenAttachment(ctx context.Context, feed string, seq uint64, ref node.FileRef, w io.Writer) (protocol.AttachedFile, error)
	AttachmentStates(feed string, seq uint64) ([]node.AttachmentState, error)
}

// inlineTypes are the media types served for display (thumbnails, PDF
// viewer); any other is served as a download.
var inlineTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true, "application/pdf": true}

// attachmentWindow is how long an attachment request may take: a file of
// 64 MiB fetched from partners over a slow link, or uploaded, outlasts
// the server's two-minute timeouts, so these routes set their own.
const attachmentWindow = 10 * time.Minute

// maxAttachmentSpools bounds the attachments spooled to temporary files
// at once, uploads and downloads together: each can take 64 MiB of disk
// (and a download the CPU to fetch and open it), so without a bound staff
// requests in parallel, up to the connection cap, could fill the disk. A
// request beyond waits for a slot as long as its client does.
const maxAttachmentSpools = 8

// spool waits for a slot to spool an attachment until ctx ends.
func (h *Handler) spool(ctx context.Context) (release func(), err error) {
	select {
	case h.spools <- struct{}{}:
		return func() { <-h.spools }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait to spool an attachment: %w", ctx.Err())
	}
}

func (h *Handler) attachments() (AttachmentBackend, error) {
	ab, ok := h.b.(AttachmentBackend)
	if !ok {
		return nil, &Error{Status: http.StatusNotImplemented, Code: "not_implemented", Message: "this node does not keep attachments"}
	}
	return ab, nil
}

// addAttachment seals the request body as a file for records of this node
// (POST /api/attachments?name=…&media_type=…) and returns the record
// member naming it. The body is spooled to a temporary file: the node
// reads it twice, to hash and to seal, and never holds it whole.
func (h *Handler) addAttachment(w http.ResponseWriter, r *http.Request) error {
	ab, err := h.attachments()
	if err != nil {
		return err
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(attachmentWindow))
	name, mt := r.URL.Query().Get("name"), strings.ToLower(r.URL.Query().Get("media_type"))
	if name == "" || mt == "" {
		return badRequest("query: name and media_type are required")
	}
	release, err := h.spool(r.Context())
	if err != nil {
		return err
	}
	defer release()
	tmp, err := os.CreateTemp("", "kpnode-attachment-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, r.Body); err != nil {
		return fmt.Errorf("read attachment: %w", err) // a body over 64 MiB: 413
	}
	f, err := ab.AddAttachment(tmp, name, mt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, f)
}

// attachmentStates lists the files of a record with how much of each
// this node holds and which connected partners would send the rest
// (GET /api/records/{feed}/{seq}/attachments): the record page's files
// panel says from it what is still to fetch, and from whom.
func (h *Handler) attachmentStates(w http.ResponseWriter, r *http.Request) error {
	ab, err := h.attachments()
	if err != nil {
		return err
	}
	feed, seq, err := recordPath(r)
	if err != nil {
		return err
	}
	states, err := ab.AttachmentStates(feed, seq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, states)
}

// getAttachment serves a file of a record (of batch item ?item=N, from
// 0, when given), fetching it from partners first if needed. It is opened to a temporary file and served only
// whole, so that an error never comes as a truncated 200.
func (h *Handler) getAttachment(w http.ResponseWriter, r *http.Request) error {
	ab, err := h.attachments()
	if err != nil {
		return err
	}
	feed, seq, err := recordPath(r)
	if err != nil {
		return err
	}
	ref, err := fileRef(r)
	if err != nil {
		return err
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(attachmentWindow))
	release, err := h.spool(r.Context())
	if err != nil {
		return err
	}
	defer release()
	tmp, err := os.CreateTemp("", "kpnode-attachment-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	f, err := ab.OpenAttachment(r.Context(), feed, seq, ref, tmp)
	if err != nil {
		return err
	}
	attachmentHeaders(w.Header(), f)
	http.ServeContent(w, r, "", time.Time{}, tmp)
	return nil
}

// fileRef returns the file a request names: {name} and, for a batch
// entry, the item ?item=N.
func fileRef(r *http.Request) (node.FileRef, error) {
	ref := node.FileRef{Name: r.PathValue("name")}
	if !r.URL.Query().Has("item") {
		return ref, nil
	}
	i, err := strconv.ParseUint(r.URL.Query().Get("item"), 10, 31)
	if err != nil {
		return ref, badRequest("item must be a batch item's index, from 0")
	}
	return node.ItemFile(ref.Name, int(i)), nil
}

// attachmentHeaders keeps a partner's file from running in the
// dashboard's origin: only images and PDFs are shown inline, nothing is
// sniffed, and the response is sandboxed.
func attachmentHeaders(hd http.Header, f protocol.AttachedFile) {
	mt, disp := "application/octet-stream", "attachment"
	if inlineTypes[f.MediaType] {
		mt, disp = f.MediaType, "inline"
	}
	hd.Set("Content-Type", mt)
	hd.Set("Content-Disposition", disp+`; filename="`+strings.NewReplacer(`"`, "_", "\r", "_", "\n", "_").Replace(f.Name)+`"`)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
}
