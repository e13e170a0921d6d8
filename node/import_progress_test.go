package node

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/tabular"
)

// TestImportProgress imports 5,000 certificates (10,000 rows) as the API
// does and checks the "import_progress" events: each phase in order,
// done never going back, ending at its total, all naming the import. The
// clock moves a second per report, so that the throttle lets every report
// through and the test sees the intermediate ones.
func TestImportProgress(t *testing.T) {
	in, be := diskNodeKey(t, "IN", nil), testNode(t, "BE") // a disk store takes full-size batch entries
	pin(t, in, be)
	const n = 5000
	prog := in.NewImportProgress("test-1", "year.csv")
	clock := time.Unix(0, 0)
	prog.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	before := lastEventID(in)
	kind, _ := tabular.LookupKind("certificates")
	tab, err := tabular.ReadTableProgress(kind, "year.csv", bytes.NewReader(certificateCSV(t, n)), "csv", "IN",
		func(done, total int) { prog.Report(PhaseParse, done, total) })
	if err != nil {
		t.Fatal(err)
	}
	res, err := in.ImportRecords(context.Background(), ImportRequest{Type: protocol.CertificateType, Items: tab.Bodies,
		To: []string{"BE"}, File: "year.csv", Progress: prog})
	if err != nil || res.New != n || res.ImportID != "test-1" {
		t.Fatalf("import: %+v, %v", res, err)
	}
	byPhase := progressEvents(t, in, before, "test-1")
	for _, phase := range []string{PhaseParse, PhaseCheck, PhasePublish} {
		dones := byPhase[phase]
		if len(dones) < 3 || dones[0] != 0 || dones[len(dones)-1] != n {
			t.Errorf("phase %s: done %v, want 0 … %d with steps between", phase, dones, n)
		}
		for i := 1; i < len(dones); i++ {
			if dones[i] <= dones[i-1] {
				t.Errorf("phase %s: done went from %d to %d", phase, dones[i-1], dones[i])
			}
		}
	}
}

// TestImportProgressThrottled checks that reports within the throttle
// interval emit only a phase's first and last.
func TestImportProgressThrottled(t *testing.T) {
	in := testNode(t, "IN")
	prog := in.NewImportProgress("", "f.csv")
	prog.now = func() time.Time { return time.Unix(0, 0) }
	before := lastEventID(in)
	for _, phase := range []string{PhaseCheck, PhasePublish} {
		for d := 0; d <= 1000; d++ {
			prog.Report(phase, d, 1000)
		}
	}
	byPhase := progressEvents(t, in, before, prog.ID())
	for _, phase := range []string{PhaseCheck, PhasePublish} {
		if got := byPhase[phase]; len(got) != 2 || got[0] != 0 || got[1] != 1000 {
			t.Errorf("phase %s: done %v, want [0 1000]", phase, got)
		}
	}
	if len(prog.ID()) != 16 {
		t.Errorf("chosen id %q, want 16 hex digits", prog.ID())
	}
	var nilProg *ImportProgress
	nilProg.Report(PhaseCheck, 1, 2) // must not panic
}

func lastEventID(n *Node) uint64 {
	evs, _, _ := n.Events(0)
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].ID
}

// progressEvents returns the done of import id's progress events after
// event before, by phase, checking that phases come in order and that
// each event names the file and total.
func progressEvents(t *testing.T, n *Node, before uint64, id string) map[string][]int {
	t.Helper()
	evs, missed, _ := n.Events(before)
	if missed {
		t.Fatal("events dropped from the ring")
	}
	order := map[string]int{PhaseParse: 0, PhaseCheck: 1, PhasePublish: 2}
	out, last := map[string][]int{}, -1
	for _, ev := range evs {
		if ev.Kind != "import_progress" || ev.Fields["import_id"] != id {
			continue
		}
		phase := ev.Fields["phase"].(string)
		if order[phase] < last {
			t.Errorf("phase %s after a later phase", phase)
		}
		last = order[phase]
		if ev.Fields["file"] == "" || ev.Fields["total"].(int) < ev.Fields["done"].(int) {
			t.Errorf("event %v", ev.Fields)
		}
		out[phase] = append(out[phase], ev.Fields["done"].(int))
	}
	return out
}
