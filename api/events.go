package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

var errTooManyStreams = &Error{Status: http.StatusServiceUnavailable, Code: "too_many_streams",
	Message: "too many event streams are open; close a dashboard tab or try again later"}

// eventKeepAlive is how often an idle event stream gets a comment line, so
// proxies and clients see it alive.
const eventKeepAlive = 15 * time.Second

// events serves the event stream (server-sent events). Each event has the
// node's monotonic id; a client that reconnects with Last-Event-ID (or
// ?after=ID) gets what it missed from the node's bounded buffer, or a
// "missed" event first when some were already dropped. At most
// cap(h.streams) streams are open at once; a stream opened with a
// dashboard session ends when the session does.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) error {
	after, err := lastEventID(r)
	if err != nil {
		return err
	}
	select {
	case h.streams <- struct{}{}:
		defer func() { <-h.streams }()
	default:
		return errTooManyStreams
	}
	se := requestSession(r)
	var ended <-chan struct{} // nil (never ready) for the token
	if se != nil {
		ended = se.ended
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	keepAlive := time.NewTicker(eventKeepAlive)
	defer keepAlive.Stop()
	for {
		evs, missed, wake := h.b.Events(after)
		rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if missed {
			fmt.Fprintf(w, "event: missed\ndata: {\"after\": %d}\n\n", after)
		}
		for _, ev := range evs {
			data, _ := json.Marshal(ev)
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Kind, data)
			after = ev.ID
		}
		if err := rc.Flush(); err != nil {
			return nil // the client went away
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-ended:
			return nil
		case <-wake:
		case <-keepAlive.C:
			if se != nil && !h.sessions.touch(se) {
				return nil // expired: an open tab keeps a session alive only up to SessionMaxAge
			}
			rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
		}
	}
}

// lastEventID reads where a client resumes: the Last-Event-ID header, else
// the after query parameter, else from the oldest event kept.
func lastEventID(r *http.Request) (uint64, error) {
	s := r.Header.Get("Last-Event-ID")
	if s == "" {
		s = r.URL.Query().Get("after")
	}
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, badRequest(fmt.Sprintf("event id %q is not a number", s))
	}
	return id, nil
}
