package api

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/tabular"
)

// MaxImportBytes caps an uploaded import file.
const MaxImportBytes = 256 << 20

// releaseAfterImport is the file size from which an import hands the
// memory it used back to the operating system when it ends. A 200,000-row
// file (31 MB) grows the heap to about 800 MB (the file, its text, every
// record's body, decoded value and batch at once); Go's scavenger returns
// that only over minutes, so the daemon stayed at 825 MB resident after
// the import instead of 90 MB (BenchmarkImportMemory). A forced collection
// and scavenge of what stays live costs a few milliseconds.
const releaseAfterImport = 4 << 20

// ImportWindow bounds how long an import may run before its answer is
// written. The server's WriteTimeout (two minutes) runs from the end of
// the request's headers, and a 200,000-row import took 45–85 s on a loaded
// machine (BenchmarkImportMemory), so a larger file on a slower machine
// was imported while its answer was cut off: the client saw "cannot reach
// the node" for records the node had published. An import handler moves
// the write deadline to ImportWindow from its start, and then to
// answerWindow once the import is over. Clients waiting for an import
// (the CLI) allow at least as long.
const ImportWindow = 30 * time.Minute

// answerWindow is how long writing an import's answer may take once the
// import is over.
const answerWindow = time.Minute

// extendForImport gives the handler's answer ImportWindow from now; the
// returned func, called when the import is over, leaves answerWindow for
// writing the answer.
func extendForImport(w http.ResponseWriter) (answer func()) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(ImportWindow)) // a writer without deadlines (a test recorder) keeps none
	return func() { _ = rc.SetWriteDeadline(time.Now().Add(answerWindow)) }
}

func (h *Handler) importFile(w http.ResponseWriter, r *http.Request) error {
	kind, ok := tabular.LookupKind(r.PathValue("kind"))
	if !ok {
		return badRequest(fmt.Sprintf("unknown import kind %q (want %s)", r.PathValue("kind"), kindNames()))
	}
	answer := extendForImport(w)
	defer answer()
	file, body, files, err := importUpload(r)
	if err != nil {
		return err
	}
	large := len(body) >= releaseAfterImport
	res, err := h.importBody(r, kind, file, body, files)
	if large {
		debug.FreeOSMemory() // before the answer: a client that measures the daemon then sees what it keeps
	}
	if err != nil {
		return err
	}
	answer()
	return writeJSON(w, http.StatusOK, res)
}

// importBody imports the body of file, of kind, as the request's query says.
func (h *Handler) importBody(r *http.Request, kind tabular.Kind, file string, body []byte, files map[string]protocol.AttachedFile) (node.ImportResult, error) {
	q := r.URL.Query()
	id := q.Get("import_id")
	if !validImportID(id) {
		return node.ImportResult{}, badRequest("query parameter \"import_id\" must be 1 to 64 letters, digits, '-' or '_'")
	}
	prog := h.b.NewImportProgress(id, file)
	table, err := tabular.ReadTableOptions(kind, file, bytes.NewReader(body), q.Get("format"), tabular.ReadOptions{
		Author: h.participant(), Files: files, Progress: func(done, total int) { prog.Report(node.PhaseParse, done, total) }})
	if err != nil {
		return node.ImportResult{}, err
	}
	res, err := h.b.ImportRecords(r.Context(), node.ImportRequest{Type: kind.Type, Items: table.Bodies, To: splitList(q.Get("to")),
		DryRun: q.Get("dry_run") == "true", File: file, Format: cmp.Or(q.Get("format"), "csv"),
		AllowNonParty: q.Get("allow_non_party") == "true", AsOriginals: q.Get("as_originals") == "true", Progress: prog})
	if err != nil {
		column := kind.ColumnOf
		if q.Get("format") == tabular.FormatJSON || q.Get("format") == "" && strings.EqualFold(path.Ext(file), ".json") {
			column = func(p string) string { return p }
		}
		return res, rowProblems(err, column, file, table.Rows)
	}
	return res, nil
}

// validImportID reports whether id, a client's name for its import in the
// progress events, is empty (the node chooses one) or 1 to 64 letters,
// digits, '-' and '_'.
func validImportID(id string) bool {
	if len(id) > 64 {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// rowProblems names the file, row and column of each record a node
// refused on the grounds of what it holds; other errors pass unchanged.
func rowProblems(err error, column func(path string) string, file string, rows []int) error {
	var ip *node.ImportProblems
	if !errors.As(err, &ip) {
		return err
	}
	out := &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_import"}
	for _, p := range ip.Problems {
		re := tabular.RowError{File: file, Reason: p.Reason}
		if p.Record < len(rows) {
			re.Row = rows[p.Record]
		}
		if p.Field != "" {
			re.Column = column(p.Field)
		}
		if p.Conflict {
			out.Status, out.Code = http.StatusConflict, "import_conflict"
		}
		out.Rows = append(out.Rows, re)
	}
	out.Message = fmt.Sprintf("%d row(s) clash with the records this node holds; nothing was imported", len(out.Rows))
	return out
}

// participant returns the node's participant code, so that an import
// names the row of a record in another authority's name; "" before the
// node has a card (the node refuses such records all the same).
func (h *Handler) participant() string {
	c, err := h.b.Card()
	if err != nil {
		return ""
	}
	return c.Card.Code
}

func (h *Handler) exportFile(w http.ResponseWriter, r *http.Request) error {
	kind, ok := tabular.LookupKind(r.PathValue("kind"))
	if !ok {
		return badRequest(fmt.Sprintf("unknown export kind %q (want %s)", r.PathValue("kind"), kindNames()))
	}
	f, err := exportFilter(r)
	if err != nil {
		return err
	}
	bodies, err := h.b.Export(kind.Type, f)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	var buf bytes.Buffer
	if err := tabular.WriteTable(kind, &buf, format, bodies); err != nil {
		return badRequest(err.Error())
	}
	q := r.URL.Query()
	if err := h.auditExport(r, node.ExportAudit{Kind: kind.Name, Format: format, From: q.Get("from"),
		To: q.Get("to"), Partner: f.Partner, Records: len(bodies)}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType(format))
	_, err = w.Write(buf.Bytes())
	return err
}

func (h *Handler) kpStatistics(w http.ResponseWriter, r *http.Request) error {
	q, err := protocol.ParseQuarter(r.PathValue("period"))
	if err != nil {
		return badRequest(fmt.Sprintf("period %q: %v (want e.g. 2011-Q3)", r.PathValue("period"), err))
	}
	table, err := h.b.KPStatistics(q)
	if err != nil {
		return err
	}
	if err := h.auditExport(r, node.ExportAudit{Kind: "kp-statistics", Period: r.PathValue("period"), Records: len(table.Rows)}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, table)
}

// auditExport appends an export to the audit log when the request names
// the file it goes to (query parameter "file"; the CLI always does), before
// anything is sent. Reads without it (the dashboard's charts) are views,
// not exports, and are not audited.
func (h *Handler) auditExport(r *http.Request, a node.ExportAudit) error {
	a.File = r.URL.Query().Get("file")
	if a.File == "" {
		return nil
	}
	if err := checkFileName(a.File); err != nil {
		return err
	}
	a.Actor = actorOf(r)
	return h.b.AuditExport(a)
}

// checkFileName refuses a "file" parameter that would display differently
// from what it says in error messages and the audit log (a bidi override
// turns "report\u202Ecod.exe" into "reportexe.doc").
func checkFileName(file string) error {
	if reason := protocol.TextProblem(file, 1000, false); reason != "" {
		return badRequest(fmt.Sprintf("query parameter \"file\" %s", reason))
	}
	return nil
}

func exportFilter(r *http.Request) (node.ExportFilter, error) {
	var f node.ExportFilter
	q := r.URL.Query()
	for _, d := range []struct {
		name string
		dst  *protocol.Date
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := q.Get(d.name); s != "" {
			v, err := protocol.ParseDate(s)
			if err != nil {
				return f, badRequest(fmt.Sprintf("query parameter %q: %v (want YYYY-MM-DD)", d.name, err))
			}
			*d.dst = v
		}
	}
	f.Partner = strings.ToUpper(q.Get("partner"))
	return f, nil
}

func kindNames() string {
	var names []string
	for _, k := range tabular.Kinds() {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}

func contentType(format string) string {
	if format == "json" {
		return "application/json"
	}
	return "text/csv; charset=utf-8"
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.ToUpper(p))
		}
	}
	return out
}

// importError maps a file's row errors to the API error.
func importError(err error) *Error {
	var ie *tabular.ImportError
	if !errors.As(err, &ie) {
		return nil
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_import",
		Message: fmt.Sprintf("the file has %s; nothing was imported", ie.Summary()), Rows: ie.Errors}
}

// uploadedFile reads an uploaded file: its name from the file parameter
// ("upload" when none is given), checked, and its bytes from the body.
func uploadedFile(r *http.Request) (file string, body []byte, err error) {
	if file, err = uploadedFileName(r); err != nil {
		return "", nil, err
	}
	body, err = io.ReadAll(r.Body)
	return file, body, err
}

// uploadedFileName is the file parameter, checked, or "upload".
func uploadedFileName(r *http.Request) (string, error) {
	file := r.URL.Query().Get("file")
	if file == "" {
		file = "upload"
	}
	return file, checkFileName(file)
}
