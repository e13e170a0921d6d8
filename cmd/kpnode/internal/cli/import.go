package cli

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/tabular"
)

const maxImportFile = 256 << 20

func runImport(e *env, args []string) error {
	fs, homeFlag := e.newFlags("import", "KIND FILE|- [--to CODES|all [--allow-non-party]] [--as-originals] [--dry-run] [--format csv|json]")
	to := fs.String("to", "", "comma-separated partner codes, or all (default: each record's parties)")
	nonParty := fs.Bool("allow-non-party", false, "allow --to to name partners not party to the records (audited)")
	dry := fs.Bool("dry-run", false, "only check the file: write nothing")
	originals := fs.Bool("as-originals", false, "publish every record without its supersedes: for another node's export moving to this one (audited)")
	format := fs.String("format", "", "csv or json (default: from the file name, else csv)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErrorf("import needs KIND and FILE (KIND: %s)", kindList())
	}
	kind, ok := tabular.LookupKind(pos[0])
	if !ok {
		return usageErrorf("import: unknown kind %q (want %s)", pos[0], kindList())
	}
	body, err := e.readInput(pos[1], maxImportFile)
	if err != nil {
		return err
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	q := url.Values{"to": {*to}, "file": {filepath.Base(pos[1])}, "format": {formatOf(*format, pos[1])}}
	if *dry {
		q.Set("dry_run", "true")
	}
	if *nonParty {
		q.Set("allow_non_party", "true")
	}
	if *originals {
		q.Set("as_originals", "true")
	}
	ct := "application/json"
	if formatOf(*format, pos[1]) == tabular.FormatCSV {
		if body, ct, err = withImportFiles(e, c, kind, pos[1], body, *dry); err != nil {
			return err
		}
	}
	var res node.ImportResult
	if err := c.uploadImport(e, "/api/imports/"+kind.Name, q, ct, body, &res); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Out, res)
	}
	printImport(e, kind, res)
	return nil
}

func printImport(e *env, kind tabular.Kind, res node.ImportResult) {
	verb := "Imported"
	if res.DryRun {
		verb = "Checked (dry run, nothing written)"
	}
	fmt.Fprintf(e.Out, "%s %d %s: %d new, %d already held\n", verb, res.Records, kind.Name, res.New, res.Skipped)
	for _, p := range res.Entries {
		fmt.Fprintf(e.Out, "  entry %d  %s  %d bytes  to %s\n", p.Seq, p.Hash.Short(), p.Size, audienceText(p.Audience))
	}
	if res.AsOriginals > 0 {
		fmt.Fprintf(e.Err, "note: %d correction(s) published as originals, their supersedes dropped as --as-originals asked (recorded in the audit log)\n", res.AsOriginals)
	}
	printAudienceNotes(e, res.NonParty, res.Warnings)
}

// audienceText shows an audience, or says that it is empty.
func audienceText(codes []string) string {
	if len(codes) == 0 {
		return "no partner (kept in this node's feed only)"
	}
	return strings.Join(codes, ",")
}

// printAudienceNotes tells the operator, on standard error, of partners
// sent records they are not party to and of parties no partner reads for.
func printAudienceNotes(e *env, nonParty, warnings []string) {
	if len(nonParty) > 0 {
		fmt.Fprintf(e.Err, "note: sent to %s, not party to the records, as --allow-non-party asked (recorded in the audit log)\n", strings.Join(nonParty, ", "))
	}
	for _, w := range warnings {
		fmt.Fprintf(e.Err, "warning: %s\n", w)
	}
}

// uploadImport posts an import file to path with query q. On a terminal
// it shows, on one line of standard error erased at the end, the progress
// of the upload and then of each phase of the import, from the node's
// events (an import_id chosen here names them); elsewhere nothing.
func (c *client) uploadImport(e *env, path string, q url.Values, contentType string, body []byte, out any) error {
	c = c.forImport()
	if !isTerminal(e.Err) {
		return c.doTyped(e, "POST", path+"?"+q.Encode(), contentType, bytes.NewReader(body), out)
	}
	id := newImportID()
	q.Set("import_id", id)
	line := &progressLine{w: e.Err}
	stop := c.followImport(e.ctx, id, line)
	defer stop()
	return c.doTyped(e, "POST", path+"?"+q.Encode(), contentType, uploadReader(body, line), out)
}

// withImportFiles returns the body of an import of table (the file
// named name) and its content type: the table as it is when it names no
// files, else the table with the files its attachments column names,
// checked and uploaded first (only checked on a dry run).
func withImportFiles(e *env, c *client, kind tabular.Kind, name string, table []byte, dry bool) ([]byte, string, error) {
	dir := "."
	if name != "-" {
		dir = filepath.Dir(name)
	}
	fl, err := checkImportFiles(kind, filepath.Base(name), dir, table)
	if err != nil || fl == nil {
		return table, "application/json", err
	}
	var files map[string]protocol.AttachedFile
	if dry {
		files, err = fl.placeholders()
	} else {
		files, err = fl.upload(e, c)
	}
	if err != nil {
		return nil, "", err
	}
	return importBody(table, files)
}

// upload posts a file, showing the progress of the upload on a terminal
// on one line, erased at the end.
func (c *client) upload(e *env, path string, body []byte, out any) error {
	c = c.forImport()
	if !isTerminal(e.Err) {
		return c.doReader(e, "POST", path, bytes.NewReader(body), out)
	}
	line := &progressLine{w: e.Err}
	defer line.clear()
	return c.doReader(e, "POST", path, uploadReader(body, line), out)
}

// uploadReader reads body, showing on line how much was read when the
// body is large enough for that to take a while.
func uploadReader(body []byte, line *progressLine) io.Reader {
	if len(body) <= 1<<20 {
		return bytes.NewReader(body)
	}
	return &progressReader{r: bytes.NewReader(body), total: len(body), line: line}
}

// progressReader shows how much of a body has been read.
type progressReader struct {
	r          io.Reader
	total, got int
	last       int
	line       *progressLine
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.got += n
	if pct := p.got * 100 / p.total; pct != p.last {
		p.last = pct
		p.line.show(fmt.Sprintf("uploading %3d%%", pct))
	}
	return n, err
}

func formatOf(flag, file string) string {
	if flag != "" {
		return flag
	}
	if strings.EqualFold(filepath.Ext(file), ".json") {
		return "json"
	}
	return "csv"
}

func kindList() string {
	var names []string
	for _, k := range tabular.Kinds() {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}

func runExport(e *env, args []string) error {
	fs, homeFlag := e.newFlags("export", "KIND [--format csv|json] [--from DATE --to DATE] [--partner CODE] | kp-statistics --period 2011-Q3")
	format := fs.String("format", "csv", "csv or json")
	from := fs.String("from", "", "first date (YYYY-MM-DD)")
	to := fs.String("to", "", "last date (YYYY-MM-DD)")
	partner := fs.String("partner", "", "only records concerning this participant")
	period := fs.String("period", "", "quarter for kp-statistics, e.g. 2011-Q3")
	out := fs.String("out", "", "write to this file instead of standard output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("export needs one KIND (%s, or kp-statistics)", kindList())
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	w, done, err := e.output(*out)
	if err != nil {
		return err
	}
	defer done()
	if pos[0] == "kp-statistics" {
		return exportStatistics(e, c, w, *period, *format, cmp.Or(*out, "-"))
	}
	kind, ok := tabular.LookupKind(pos[0])
	if !ok {
		return usageErrorf("export: unknown kind %q (want %s, or kp-statistics)", pos[0], kindList())
	}
	q := url.Values{"format": {*format}, "from": {*from}, "to": {*to}, "partner": {*partner}, "file": {cmp.Or(*out, "-")}}
	var b []byte
	if err := c.do(e, "GET", "/api/exports/"+kind.Name+"?"+q.Encode(), nil, &b); err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func exportStatistics(e *env, c *client, w io.Writer, period, format, file string) error {
	if period == "" {
		return usageErrorf("export kp-statistics needs --period, e.g. 2011-Q3")
	}
	var t node.KPStatisticsTable
	path := "/api/statistics/" + url.PathEscape(period) + "?" + url.Values{"file": {file}}.Encode()
	if err := c.do(e, "GET", path, nil, &t); err != nil {
		return err
	}
	if format == "json" {
		return printJSON(w, t)
	}
	for _, s := range append(t.Basis, t.Notes...) {
		fmt.Fprintln(e.Err, "note:", s)
	}
	return writeStatisticsCSV(w, t)
}

// writeStatisticsCSV writes the KP statistics table as CSV: the computed
// figures, the submitted ones beside them, the measures that differ and
// the row's note.
func writeStatisticsCSV(w io.Writer, t node.KPStatisticsTable) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"period", "flow", "partner", "hs_code", "carats", "value_usd", "certificates",
		"submitted_carats", "submitted_value_usd", "submitted_certificates", "differs", "note"})
	for _, r := range t.Rows {
		sub := []string{"", "", ""}
		if s := r.Submitted; s != nil {
			sub = []string{s.Carats.String(), s.ValueUSD.String(), strconv.Itoa(s.Certificates)}
		}
		row := []string{t.Period, r.Flow, r.Partner, r.HSCode, r.Carats.String(), r.ValueUSD.String(), strconv.Itoa(r.Certificates)}
		cw.Write(append(append(row, sub...), strings.Join(r.Differs, ";"), r.Note))
	}
	cw.Flush()
	return cw.Error()
}

// output opens the --out file, or standard output.
func (e *env) output(path string) (io.Writer, func(), error) {
	if path == "" {
		return e.Out, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
