package api

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// BackupInfoTrailer is the HTTP trailer of POST /api/backup that carries
// the JSON store.BackupInfo of the stream just sent. A response without it
// is an incomplete backup.
const BackupInfoTrailer = "Kpnode-Backup-Info"

// backupWriteWindow is how long each write of a backup stream may take:
// the server's WriteTimeout would cut a large backup short, so each write
// gets its own deadline instead.
const backupWriteWindow = time.Minute

// backup answers POST /api/backup?file=NAME: the store's backup stream
// (a consistent snapshot taken while the node runs), then the
// BackupInfoTrailer. file only names the destination in the audit log.
func (h *Handler) backup(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Trailer", BackupInfoTrailer)
	dw := &deadlineWriter{w: w, rc: http.NewResponseController(w)}
	info, err := h.b.Backup(r.Context(), dw, r.URL.Query().Get("file"))
	if err != nil && !dw.wrote {
		return err
	}
	if err != nil {
		h.log.Error("backup failed after the stream started; the client sees no trailer", "err", err)
		return nil
	}
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	w.Header().Set(BackupInfoTrailer, string(b))
	return nil
}

// deadlineWriter extends the connection's write deadline before each
// write.
type deadlineWriter struct {
	w     io.Writer
	rc    *http.ResponseController
	wrote bool
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	_ = d.rc.SetWriteDeadline(time.Now().Add(backupWriteWindow))
	d.wrote = true
	return d.w.Write(p)
}
