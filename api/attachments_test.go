package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
)

// TestAttachmentRoutes: a file added through the API goes into a notice,
// and the author reads it back byte-identical, as a sandboxed inline
// image; a file type other than images and PDFs is a download.
func TestAttachmentRoutes(t *testing.T) {
	in := pinnedPair(t)
	photo := []byte("\xff\xd8\xff\xe0 not quite a jpeg, but bytes")
	code, body := call(t, in, "POST", "/api/attachments?name=seized.jpg&media_type=image/jpeg", testToken, photo)
	var f protocol.AttachedFile
	if code != http.StatusCreated || json.Unmarshal(body, &f) != nil || f.Size != int64(len(photo)) {
		t.Fatalf("add attachment: %d %s", code, body)
	}
	code, body = call(t, in, "POST", "/api/attachments?name=tool.html&media_type=text/html", testToken, []byte("<script>alert(1)</script>"))
	var html protocol.AttachedFile
	if code != http.StatusCreated || json.Unmarshal(body, &html) != nil {
		t.Fatalf("add html: %d %s", code, body)
	}
	notice, err := os.ReadFile("../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(notice, &m)
	m["attachments"] = []protocol.AttachedFile{f, html}
	rec, _ := json.Marshal(m)
	req, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: rec})
	code, body = call(t, in, "POST", "/api/records/notice", testToken, req)
	var p node.Published
	if code != http.StatusCreated || json.Unmarshal(body, &p) != nil {
		t.Fatalf("publish: %d %s", code, body)
	}
	resp := getFile(t, in, "/api/records/IN/1/attachments/seized.jpg")
	if resp.code != 200 || resp.body != string(photo) || resp.h.Get("Content-Type") != "image/jpeg" ||
		!strings.HasPrefix(resp.h.Get("Content-Disposition"), "inline") || !strings.Contains(resp.h.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("photo: %d %q %v", resp.code, resp.body, resp.h)
	}
	resp = getFile(t, in, "/api/records/IN/1/attachments/tool.html")
	if resp.h.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(resp.h.Get("Content-Disposition"), "attachment") ||
		resp.h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("html served as %v", resp.h)
	}
	if resp = getFile(t, in, "/api/records/IN/1/attachments/none.pdf"); resp.code != http.StatusNotFound {
		t.Fatalf("unknown name: %d %s", resp.code, resp.body)
	}
	if code, body = call(t, in, "POST", "/api/attachments?name=x", testToken, photo); code != http.StatusBadRequest {
		t.Fatalf("no media type: %d %s", code, body)
	}
	big := make([]byte, protocol.MaxAttachmentSize+1)
	if code, body = call(t, in, "POST", "/api/attachments?name=big.bin&media_type=application/octet-stream", testToken, big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a file over 64 MiB: %d %s, want 413", code, body)
	}
}

type response struct {
	code int
	body string
	h    http.Header
}

func getFile(t *testing.T, srv *httptest.Server, path string) response {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, body: string(b), h: resp.Header}
}
