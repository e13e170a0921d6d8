package node

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/protocol"
)

// TestFilesMustMatchTheirBlob: a client that edits the member
// POST /api/attachments returned (its size smaller or larger than the
// file's) cannot publish or import a record with it: the audience would
// refuse to fetch a blob larger than the record states, or fail to open
// one smaller. Nothing is published.
func TestFilesMustMatchTheirBlob(t *testing.T) {
	in := testNode(t, "IN")
	pin(t, in, testNode(t, "BE"))
	f, _ := addFile(t, in, "scan")
	for _, size := range []int64{1, f.Size - 1, f.Size + 1} {
		edited := f
		edited.Size = size
		_, err := in.Publish(context.Background(), protocol.NoticeType, withFiles(t, edited), []string{"BE"})
		if !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), "the record says") {
			t.Fatalf("publish stating %d bytes for a file of %d: %v, want ErrInvalidRecord", size, f.Size, err)
		}
		_, err = in.Import(context.Background(), protocol.CertificateType, [][]byte{certWithFiles(t, 1, f), certWithFiles(t, 2, edited)}, nil, false)
		var ip *ImportProblems
		if !errors.As(err, &ip) || len(ip.Problems) != 1 || ip.Problems[0].Record != 1 || ip.Problems[0].Field != "attachments[0]" {
			t.Fatalf("import stating %d bytes for a file of %d: %v, want record 2's attachments[0] refused", size, f.Size, err)
		}
	}
	if got := audiences(t, in); len(got) != 0 {
		t.Fatalf("%d entries published, want none", len(got))
	}
}
