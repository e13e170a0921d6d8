package api

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// readEvents reads SSE events from the stream until it has n of them or
// the deadline passes, and returns their ids and kinds.
func readEvents(t *testing.T, url, lastID string, n int) (ids, kinds []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && len(kinds) < n {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			ids = append(ids, strings.TrimPrefix(line, "id: "))
		case strings.HasPrefix(line, "event: "):
			kinds = append(kinds, strings.TrimPrefix(line, "event: "))
		}
	}
	return ids, kinds
}

func TestEventStream(t *testing.T) {
	in := pinnedPair(t)
	publishNotices(t, in, 2)
	ids, kinds := readEvents(t, in.URL, "", 2)
	if len(kinds) != 2 || kinds[0] != "entry_published" || kinds[1] != "entry_published" {
		t.Fatalf("events %v %v", ids, kinds)
	}
	// a client that reconnects after the first event gets only the second
	ids2, kinds2 := readEvents(t, in.URL, ids[0], 1)
	if len(ids2) != 1 || ids2[0] != ids[1] || kinds2[0] != "entry_published" {
		t.Fatalf("after reconnect: %v %v, want id %s", ids2, kinds2, ids[1])
	}
	if code, _ := call(t, in, "GET", "/api/events?after=x", testToken, nil); code != http.StatusBadRequest {
		t.Fatalf("bad event id: %d", code)
	}
}
