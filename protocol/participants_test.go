package protocol

import (
	"os"
	"slices"
	"testing"
)

func TestParticipants(t *testing.T) {
	ps := Participants()
	if len(ps) < 61+len(euAuthorities) {
		t.Fatalf("%d participants, want the whole list", len(ps))
	}
	if !slices.IsSortedFunc(ps, func(a, b Participant) int { return compareStrings(a.Code, b.Code) }) {
		t.Error("Participants is not sorted by code")
	}
	tests := []struct {
		code  string
		known bool
		node  bool
		kind  string
	}{
		{"IN", true, true, KindState},
		{"BE", true, true, KindEUMemberState},
		{"FR", false, false, ""},
		{"EU", true, true, KindRegionalOrganisation},
		{"TW", true, false, KindTradingEntity},
		{"XX", false, false, ""},
		{"in", false, false, ""},
		{"", false, false, ""},
	}
	for _, tt := range tests {
		p, ok := LookupParticipant(tt.code)
		if ok != tt.known || p.Kind != tt.kind || ValidCode(tt.code) != tt.node {
			t.Errorf("%q: LookupParticipant = %+v, %v; ValidCode = %v", tt.code, p, ok, ValidCode(tt.code))
		}
	}
	ps[0].Name = "changed"
	if Participants()[0].Name == "changed" {
		t.Error("Participants returns the package's own slice")
	}
}

func TestParticipantsMatchSharedList(t *testing.T) {
	shared, err := os.ReadFile("../../shared/data/participants.csv")
	if err != nil {
		t.Skipf("shared list not available outside the workspace: %v", err)
	}
	if string(shared) != participantsCSV {
		t.Error("protocol/participants.csv differs from shared/data/participants.csv; copy it again")
	}
}

func TestParseParticipantsRejects(t *testing.T) {
	for _, bad := range []string{
		"",
		"code,name\nIN,India\n",
		"code,name,kind\nIND,India,state\n",
		"code,name,kind\nIN,,state\n",
		"code,name,kind\nIN,India,country\n",
		"code,name,kind\nIN,India,state\nIN,India,state\n",
		"code,name,kind\nIN,India\n",
		"code,name,kind\nBE,Belgium,state\n",
	} {
		if _, err := parseParticipants(bad, euAuthorities); err == nil {
			t.Errorf("parseParticipants(%q) succeeded", bad)
		}
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
