package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
)

// TestImportRepeatedParts: a multipart import with a second table or
// files part (thousands of them, each within its limit) is refused at the
// second, before it is read: an import holds at most one part of each.
func TestImportRepeatedParts(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	many := [][2]string{{"table", certificateWithFilesCSV}}
	for range 5000 {
		many = append(many, [2]string{"files", "{}"})
	}
	for _, c := range []struct {
		name  string
		parts [][2]string
		want  string
	}{
		{"two tables", [][2]string{{"table", certificateWithFilesCSV}, {"table", certificateWithFilesCSV}}, `second \"table\" part`},
		{"5000 files parts", many, `second \"files\" part`},
	} {
		code, body := multipartImport(t, in, in.URL, c.parts...)
		if code != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want 400 %s", c.name, code, body, c.want)
		}
	}
}

// TestImportNeverReadsServerFiles: the node never reads a file that an
// API client's attachments column names, wherever it points (an absolute
// path, a path out of the working directory, a file next to the daemon):
// only files uploaded through POST /api/attachments and named in the
// files part are attached. Such a row is refused with its row and column,
// and nothing is published.
func TestImportNeverReadsServerFiles(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	if _, err := os.Stat("attack_test.go"); err != nil {
		t.Fatal(err) // the file the table names must exist where the daemon runs
	}
	row := strings.SplitN(certificateWithFilesCSV, "\n", 2)
	head, cert := row[0], strings.TrimSuffix(row[1], "\n")
	cert = cert[:strings.LastIndex(cert, ",")+1]
	for _, path := range []string{"/etc/passwd", "../../../../../../etc/passwd", "attack_test.go", "/dev/zero"} {
		table := head + "\n" + cert + path + "\n"
		for name, send := range map[string]func() (int, string){
			"plain": func() (int, string) {
				code, b := call(t, in, "POST", "/api/imports/certificates?file=c.csv", testToken, []byte(table))
				return code, string(b)
			},
			"multipart": func() (int, string) {
				return multipartImport(t, in, in.URL, [2]string{"files", "{}"}, [2]string{"table", table})
			},
		} {
			code, body := send()
			var e struct{ Error Error }
			_ = json.Unmarshal([]byte(body), &e)
			rows := e.Error.Rows
			if code != http.StatusUnprocessableEntity || len(rows) != 1 || rows[0].File != "c.csv" || rows[0].Row != 2 ||
				rows[0].Column != "attachments" || !strings.Contains(rows[0].Reason, "was not sent with the table") {
				t.Errorf("%s %q: %d %s, want 422 naming c.csv, row 2, attachments", name, path, code, body)
			}
		}
	}
	if code, body := call(t, in, "GET", "/api/exports/certificates?format=json", testToken, nil); code != 200 || strings.Contains(string(body), "IN0012001") {
		t.Fatalf("after refused imports: %d %s", code, body)
	}
}

// endless is a body of zeros that never ends, read in place of a huge
// upload: the test holds none of it.
type endless struct{}

func (endless) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// failing is a body that ends with an error after n bytes: a client that
// drops the upload.
type failing struct{ n int }

func (f *failing) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("client gone")
	}
	k := min(len(p), f.n)
	clear(p[:k])
	f.n -= k
	return k, nil
}

// TestAttachmentTempFilesRemoved: an upload is spooled to a temporary
// file and a file served is opened to one; neither is left behind when
// the request fails: a body past 64 MiB (413), a client that drops the
// upload half way, a file that does not exist (404).
func TestAttachmentTempFilesRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	in := pinnedPair(t)
	post := func(body io.Reader) (int, error) {
		req, _ := http.NewRequest("POST", in.URL+"/api/attachments?name=big.bin&media_type=application/octet-stream", body)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := in.Client().Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := post(io.LimitReader(endless{}, protocol.MaxAttachmentSize+1)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a file over 64 MiB: %d %v, want 413", code, err)
	}
	if code, err := post(&failing{n: 1 << 20}); err == nil {
		t.Fatalf("dropped upload answered %d", code)
	}
	if resp := getFile(t, in, "/api/records/IN/1/attachments/none.pdf"); resp.code != http.StatusNotFound {
		t.Fatalf("unknown file: %d %s", resp.code, resp.body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left, _ := filepath.Glob(filepath.Join(tmp, "kpnode-attachment-*"))
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("temporary files left: %v", left)
		}
		time.Sleep(20 * time.Millisecond) // bounded by the deadline; the dropped upload's handler may still be running
	}
}

// TestAttachmentSpoolsBounded: downloads in parallel (staff, up to the
// connection cap) spool at most maxAttachmentSpools files to temporary
// files at once, each up to 64 MiB; the others wait for a slot.
func TestAttachmentSpoolsBounded(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	in := pinnedPair(t)
	code, body := call(t, in, "POST", "/api/attachments?name=scan.pdf&media_type=application/pdf", testToken, make([]byte, 16<<20))
	var f protocol.AttachedFile
	if code != http.StatusCreated || json.Unmarshal(body, &f) != nil {
		t.Fatalf("add attachment: %d %s", code, body)
	}
	notice, err := os.ReadFile("../docs/examples/notice.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(notice, &m)
	m["attachments"] = []protocol.AttachedFile{f}
	rec, _ := json.Marshal(m)
	req, _ := json.Marshal(PublishRequest{To: []string{"BE"}, Record: rec})
	var p node.Published
	if code, body = call(t, in, "POST", "/api/records/notice", testToken, req); code != http.StatusCreated || json.Unmarshal(body, &p) != nil {
		t.Fatalf("publish: %d %s", code, body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const clients = maxAttachmentSpools + 4
	for range clients {
		go func() { // a client that never reads the 16 MiB: the server's write blocks with the file spooled
			req, _ := http.NewRequestWithContext(ctx, "GET", in.URL+"/api/records/IN/1/attachments/scan.pdf", nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			if resp, err := in.Client().Do(req); err == nil {
				<-ctx.Done()
				resp.Body.Close()
			}
		}()
	}
	spooled := func() int {
		left, _ := filepath.Glob(filepath.Join(tmp, "kpnode-attachment-*"))
		return len(left)
	}
	deadline := time.Now().Add(20 * time.Second)
	for spooled() < maxAttachmentSpools {
		if time.Now().After(deadline) {
			t.Fatalf("%d downloads spooled, want %d waiting on their clients", spooled(), maxAttachmentSpools)
		}
		time.Sleep(10 * time.Millisecond) // bounded by the deadline
	}
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if n := spooled(); n > maxAttachmentSpools {
			t.Fatalf("%d attachments spooled at once, want at most %d", n, maxAttachmentSpools)
		}
	}
}
