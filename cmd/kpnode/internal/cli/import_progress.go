package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// progressLine is one line of a terminal that shows progress, rewritten in
// place. It is safe for concurrent use.
type progressLine struct {
	mu    sync.Mutex // guards w and shown
	w     io.Writer
	shown bool
}

// show replaces the line with s.
func (l *progressLine) show(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "\r%s\x1b[K", s)
	l.shown = true
}

// clear erases the line, if anything was shown.
func (l *progressLine) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shown {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.shown = false
	}
}

// importPhases names the phases of an import's progress events
// (docs/api.md, "Events") for the terminal.
var importPhases = map[string]string{
	"parse":   "validating the file",
	"check":   "checking against the records held",
	"publish": "publishing",
}

// importEvent is the fields of an "import_progress" event.
type importEvent struct {
	ImportID string `json:"import_id"`
	Phase    string `json:"phase"`
	Done     int    `json:"done"`
	Total    int    `json:"total"`
}

// text is the event as the progress line shows it.
func (ev importEvent) text() string {
	pct := 100
	if ev.Total > 0 {
		pct = ev.Done * 100 / ev.Total
	}
	return fmt.Sprintf("%s %3d%% (%d of %d records)", importPhases[ev.Phase], pct, ev.Done, ev.Total)
}

// newImportID returns a random id for an import's progress events.
func newImportID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// followImport shows the progress events of import id on line until stop
// is called; stop waits for the goroutine it started and clears the line.
// A stream that cannot be opened shows nothing: the import goes on.
func (c *client) followImport(ctx context.Context, id string, line *progressLine) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.readImportEvents(ctx, id, line)
	}()
	return func() {
		cancel()
		<-done
		line.clear()
	}
}

// readImportEvents reads the event stream until ctx ends, showing import
// id's progress events.
func (c *client) readImportEvents(ctx context.Context, id string, line *progressLine) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base()+"/api/events", nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+string(c.token.Reveal()))
	resp, err := (&http.Client{}).Do(req) // no timeout: the stream lasts as long as the import; ctx ends it
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if ev, ok := parseImportEvent(sc.Text(), id); ok {
			line.show(ev.text())
		}
	}
}

// parseImportEvent reads a "data:" line of the stream as a progress event
// of import id.
func parseImportEvent(s, id string) (importEvent, bool) {
	data, ok := strings.CutPrefix(s, "data: ")
	if !ok {
		return importEvent{}, false
	}
	var ev struct {
		Kind   string      `json:"kind"`
		Fields importEvent `json:"fields"`
	}
	if json.Unmarshal([]byte(data), &ev) != nil || ev.Kind != "import_progress" || ev.Fields.ImportID != id {
		return importEvent{}, false
	}
	_, known := importPhases[ev.Fields.Phase]
	return ev.Fields, known
}
