package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// certificates returns n valid certificate bodies IN0000001…, from the
// example in docs/examples.
func certificates(t *testing.T, n int) [][]byte {
	t.Helper()
	tmpl, err := os.ReadFile("../docs/examples/certificate.json")
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(strings.Replace(string(tmpl), `"IN0001234"`, fmt.Sprintf(`"IN%07d"`, i+1), 1))
	}
	return out
}

func TestImportIsIdempotent(t *testing.T) {
	in, be := testNode(t, "IN"), testNode(t, "BE")
	pin(t, in, be)
	pin(t, be, in)
	ctx := context.Background()
	certs := certificates(t, 300)

	dry, err := in.Import(ctx, "certificate", certs, []string{"BE"}, true)
	if err != nil || dry.New != 300 || len(dry.Entries) != 0 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if h, _ := in.st.Head(in.id.Public()); h.Seq != 0 {
		t.Fatalf("dry run appended %d entries", h.Seq)
	}
	res, err := in.Import(ctx, "certificate", certs, []string{"BE"}, false)
	if err != nil || res.New != 300 || res.Skipped != 0 || len(res.Entries) == 0 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	again, err := in.Import(ctx, "certificate", certs, []string{"BE"}, false)
	if err != nil || again.New != 0 || again.Skipped != 300 || len(again.Entries) != 0 {
		t.Fatalf("re-import: %+v, %v", again, err)
	}
	more, err := in.Import(ctx, "certificate", certificates(t, 310), []string{"BE"}, false)
	if err != nil || more.New != 10 || more.Skipped != 300 {
		t.Fatalf("import of 10 more: %+v, %v", more, err)
	}

	changed := certificates(t, 1)
	changed[0] = []byte(strings.Replace(string(changed[0]), `"parcels": 3`, `"parcels": 4`, 1))
	head, _ := in.st.Head(in.id.Public())
	if _, err := in.Import(ctx, "certificate", append(certificates(t, 320)[310:], changed[0]), []string{"BE"}, false); !errors.Is(err, ErrImportConflict) {
		t.Fatalf("changed certificate: err = %v, want ErrImportConflict", err)
	}
	if h, _ := in.st.Head(in.id.Public()); h != head {
		t.Fatalf("a failed import appended entries: head %d -> %d", head.Seq, h.Seq)
	}
	eventually(t, 30*time.Second, "BE holds IN's batches", func() error {
		return holds(be, "IN", head.Seq)
	})
	refs, err := be.st.LookupKey("certificate/IN/IN0000150")
	if err != nil || len(refs) != 1 || refs[0].Author != in.id.Public() {
		t.Fatalf("BE's index of IN's certificate: %+v, %v", refs, err)
	}
}
