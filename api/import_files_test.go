package api

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// multipartImport posts parts (name, body, in order) to the certificates
// import and returns the status and answer.
func multipartImport(t *testing.T, srv interface{ Client() *http.Client }, url string, parts ...[2]string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		w, _ := mw.CreateFormField(p[0])
		w.Write([]byte(p[1]))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", url+"/api/imports/certificates?file=c.csv", &buf)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// TestImportWithFilesRefusesMalformed: a multipart import with an
// unknown part, without its table, or whose files part is not a JSON
// object of files is a bad request that imports nothing; a table whose
// cell names a file the files part lacks is a bad row.
func TestImportWithFilesRefusesMalformed(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	table := certificateWithFilesCSV
	for _, c := range []struct {
		parts [][2]string
		code  int
		want  string
	}{
		{[][2]string{{"table", table}, {"other", "x"}}, http.StatusBadRequest, `unknown part \"other\"`},
		{[][2]string{{"files", "{}"}}, http.StatusBadRequest, `no \"table\" part`},
		{[][2]string{{"files", `["a"]`}, {"table", table}}, http.StatusBadRequest, `not a JSON object of files`},
		{[][2]string{{"files", `{}`}, {"table", table}}, http.StatusUnprocessableEntity, `was not sent with the table`},
	} {
		code, body := multipartImport(t, in, in.URL, c.parts...)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%v: %d %s, want %d %s", c.parts[0][0], code, body, c.code, c.want)
		}
	}
	if code, body := call(t, in, "GET", "/api/exports/certificates?format=json", testToken, nil); code != 200 || strings.Contains(string(body), "IN0012001") {
		t.Fatalf("after refused imports: %d %s", code, body)
	}
}
