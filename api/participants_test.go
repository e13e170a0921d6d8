package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kpnode/kpnode/node"
)

const plenaryCSV = "participant,change,effective,decision\n" +
	"VE,removed,2012-01-01,\"Plenary 2011, Final Communiqué ¶6\"\n"

// TestParticipantsAPI: the list as of a date, a file applied all or
// nothing (400 naming row and field), and trusting a stranger refused.
func TestParticipantsAPI(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	code, body := call(t, in, "POST", "/api/membership/updates?file=bad.csv", testToken, []byte(plenaryCSV+"CF,suspended,2013-02-30,d\n"))
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"row": 3`) || !strings.Contains(string(body), `"column": "effective"`) {
		t.Fatalf("a bad file: %d %s", code, body)
	}
	var res node.ParticipantUpdatesResult
	apiJSON(t, in, "POST", "/api/membership/updates?file=plenary.csv", []byte(plenaryCSV), &res)
	if res.Updates != 1 || res.File != "plenary.csv" {
		t.Fatalf("apply: %+v", res)
	}
	for at, want := range map[string]string{"2011-12-31": "active", "2012-01-01": "removed"} {
		var ps []node.ParticipantEntry
		apiJSON(t, in, "GET", "/api/participants?at="+at, nil, &ps)
		for _, p := range ps {
			if p.Code == "VE" && p.Status != want {
				t.Errorf("VE on %s: %+v, want %s", at, p, want)
			}
		}
	}
	if code, _ := call(t, in, "GET", "/api/participants?at=2012-13-01", testToken, nil); code != http.StatusBadRequest {
		t.Errorf("a bad date: %d", code)
	}
	if code, _ := call(t, in, "PUT", "/api/membership/trusted/ZA", testToken, nil); code != http.StatusNotFound {
		t.Errorf("trusting a stranger: %d", code)
	}
}

// TestDashboardParticipants: the Participants page shows the list as of a
// date, each entry's status, decision and source; the form changes the
// date.
func TestDashboardParticipants(t *testing.T) {
	in, _ := newTestAPI(t, "IN")
	apiJSON(t, in, "POST", "/api/membership/updates?file=plenary.csv", []byte(plenaryCSV), nil)
	ctx := newBrowser(t)
	tab := newIncognito(t, ctx)
	signInBrowser(t, tab, in, "IN")
	clickLink(t, tab, "open Participants", "#nav", "Participants")
	waitFor(t, tab, "the list", visible(`#participants-table tr[data-code="VE"]`))
	got := textOf(t, tab, `#participants-table tr[data-code="VE"]`)
	for _, want := range []string{"Venezuela", "removed", "2012-01-01", "Plenary 2011, Final Communiqué ¶6", "file plenary.csv row 2"} {
		if !strings.Contains(got, want) {
			t.Errorf("VE's row %q lacks %q", got, want)
		}
	}
	if got := textOf(t, tab, "#participants-files"); !strings.Contains(got, "plenary.csv") {
		t.Errorf("files applied: %q", got)
	}
	eval[bool](t, tab, `(() => { document.querySelector('#participants-at').value = '2011-06-30'; document.querySelector('#participants-form button').click(); return true; })()`)
	waitFor(t, tab, "the list as of 2011-06-30", containsText(`#participants-table tr[data-code="VE"]`, "active"))
	goTo(t, tab, "#/notice")
	waitFor(t, tab, "the participant picker", `(() => { const o = document.querySelector('#participants-list option[value="VE"]'); return !!o && o.textContent.includes('(removed)'); })()`)
	noPageErrors(t, tab)
}
