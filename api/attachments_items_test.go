package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
)

// batchWithScans imports, on IN, one batch entry of certificates where
// certificate i carries scans[i] as scan.pdf, and returns IN's server.
func batchWithScans(t *testing.T, scans ...string) *httptest.Server {
	t.Helper()
	in, n := newTestAPI(t, "IN")
	be, _ := newTestAPI(t, "BE")
	_, card := call(t, be, "GET", "/api/card", testToken, nil)
	if code, body := call(t, in, "POST", "/api/partners", testToken, card); code != http.StatusOK {
		t.Fatalf("add partner: %d %s", code, body)
	}
	tmpl, err := os.ReadFile("../docs/examples/certificate.json")
	if err != nil {
		t.Fatal(err)
	}
	var certs [][]byte
	for i, scan := range scans {
		f, err := n.AddAttachment(strings.NewReader(scan), "scan.pdf", "application/pdf")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal([]byte(strings.Replace(string(tmpl), `"IN0001234"`, fmt.Sprintf(`"IN%07d"`, i+1), 1)), &m)
		m["attachments"] = []protocol.AttachedFile{f}
		cert, _ := json.Marshal(m)
		certs = append(certs, cert)
	}
	res, err := n.Import(context.Background(), protocol.CertificateType, certs, nil, false)
	if err != nil || len(res.Entries) != 1 || res.Entries[0].Seq != 1 {
		t.Fatalf("import = %+v, %v; want one batch entry, IN/1", res, err)
	}
	return in
}

// TestAttachmentRouteByItem: two certificates of one batch each carry a
// different scan.pdf. GET …/attachments/scan.pdf without an item is a
// 409 ambiguous_attachment naming both items; ?item=N serves each item's
// own file; the states give each file its item; a bad item is a 400.
func TestAttachmentRouteByItem(t *testing.T) {
	in := batchWithScans(t, "scan of the first certificate", "scan of the second one")
	resp := getFile(t, in, "/api/records/IN/1/attachments/scan.pdf")
	if resp.code != http.StatusConflict || !strings.Contains(resp.body, `"ambiguous_attachment"`) || !strings.Contains(resp.body, "(item=0, 1 in the API)") {
		t.Fatalf("scan.pdf without an item: %d %s, want 409 ambiguous_attachment naming items 1, 2 (item=0, 1)", resp.code, resp.body)
	}
	for i, want := range []string{"scan of the first certificate", "scan of the second one"} {
		if resp := getFile(t, in, fmt.Sprintf("/api/records/IN/1/attachments/scan.pdf?item=%d", i)); resp.code != 200 || resp.body != want {
			t.Fatalf("scan.pdf of item %d: %d %q, want %q", i, resp.code, resp.body, want)
		}
	}
	for _, bad := range []string{"-1", "x", ""} {
		if resp := getFile(t, in, "/api/records/IN/1/attachments/scan.pdf?item="+bad); resp.code != http.StatusBadRequest {
			t.Fatalf("item=%q: %d %s, want 400", bad, resp.code, resp.body)
		}
	}
	if resp := getFile(t, in, "/api/records/IN/1/attachments/scan.pdf?item=2"); resp.code != http.StatusNotFound {
		t.Fatalf("item 2 of 2: %d %s, want 404", resp.code, resp.body)
	}
	code, body := call(t, in, "GET", "/api/records/IN/1/attachments", testToken, nil)
	var states []node.AttachmentState
	if code != 200 || json.Unmarshal(body, &states) != nil || len(states) != 2 || !bytes.Contains(body, []byte(`"item": 1`)) {
		t.Fatalf("states: %d %s, want two files with their items", code, body)
	}
}

// TestBatchFilesInBrowser: on the batch's page, each certificate's
// scan.pdf downloads as that certificate's own file, and the page of
// item 2 offers item 2's scan (the name alone would get a 409).
func TestBatchFilesInBrowser(t *testing.T) {
	in := batchWithScans(t, "scan of the first certificate", "scan of the second one")
	tab := newBrowser(t)
	signInBrowser(t, tab, in, "IN")
	downloads := func(what string, want int) string {
		t.Helper()
		waitFor(t, tab, what, fmt.Sprintf(`document.querySelectorAll('#record-files a.file-download').length === %d`, want))
		eval[bool](t, tab, `(window.got = null, Promise.all([...document.querySelectorAll('#record-files a.file-download')]
			.map((a) => fetch(a.href).then((r) => r.text()))).then((v) => { window.got = v.join('|'); }), true)`)
		waitFor(t, tab, what+" fetched", `window.got !== null`)
		return eval[string](t, tab, `window.got`)
	}
	goTo(t, tab, "#/records/IN/1")
	if got := downloads("the batch's files", 2); got != "scan of the first certificate|scan of the second one" {
		t.Fatalf("the batch page's downloads: %q", got)
	}
	goTo(t, tab, "#/records/IN/1?item=1")
	waitFor(t, tab, "item 2's page", containsText("body", "Item 2 of 2"))
	if got := downloads("item 2's file", 1); got != "scan of the second one" {
		t.Fatalf("item 2's download: %q", got)
	}
	noPageErrors(t, tab)
}
