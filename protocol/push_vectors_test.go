package protocol

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// pushVector is the expected gossipsub message ID (§12 of
// docs/protocol.md) of the message data in testdata/push_<name>.hex.
type pushVector struct {
	Description string `json:"description"`
	MessageID   string `json:"message_id"` // hex
}

func TestPushVectors(t *testing.T) {
	if *update {
		writePushVectors(t)
	}
	files, _ := filepath.Glob("testdata/push_*.json")
	if len(files) < 4 {
		t.Fatalf("found %d push vectors; run go test ./protocol -run TestPushVectors -update", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			var v pushVector
			if err := json.Unmarshal(readFile(t, "testdata/"+name+".json"), &v); err != nil {
				t.Fatal(err)
			}
			data := readHex(t, "testdata/"+name+".hex")
			if got := hex.EncodeToString(PushMessageID(data)); got != v.MessageID {
				t.Errorf("PushMessageID = %s\nwant           %s", got, v.MessageID)
			}
		})
	}
}

// TestPushMessageIDOfEntry checks the rule the vectors follow on an entry
// of every vector: author and seq as they sit at offsets 1..41, then the
// entry's hash.
func TestPushMessageIDOfEntry(t *testing.T) {
	for _, name := range []string{"entry_valid", "entry_valid_seq2"} {
		raw := readHex(t, "testdata/"+name+".hex")
		e, err := DecodeEntry(raw)
		if err != nil {
			t.Fatal(err)
		}
		h := e.Hash()
		want := cat(e.Author[:], []byte{0, 0, 0, 0, 0, 0, 0, byte(e.Seq)}, h[:])
		if got := PushMessageID(raw); !bytes.Equal(got, want) || len(got) != PushMessageIDSize {
			t.Errorf("%s: PushMessageID = %x, want %x", name, got, want)
		}
	}
}

// writePushVectors regenerates the push vectors from entry_valid_seq2.
func writePushVectors(t *testing.T) {
	entry := readHex(t, "testdata/entry_valid_seq2.hex")
	outcomes := []struct {
		name, desc string
		b          []byte
	}{
		{"entry", "entry_valid_seq2: author and seq (bytes 1..41), then the SHA-256 of the whole entry", entry},
		{"41_bytes", "the first 41 bytes of entry_valid_seq2: long enough, so bytes 1..41 then their SHA-256", entry[:41]},
		{"40_bytes", "the first 40 bytes of entry_valid_seq2: shorter than 41, so only their SHA-256", entry[:40]},
		{"empty", "no data: the SHA-256 of nothing", nil},
	}
	for _, o := range outcomes {
		writeVectorFiles(t, "push_"+o.name, o.b, pushVector{Description: o.desc, MessageID: hex.EncodeToString(PushMessageID(o.b))})
	}
}
