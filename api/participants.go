package api

import (
	"net/http"
	"strings"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
)

// participantsAt reads the "at" query parameter, a date; absent, the
// zero Date (today).
func participantsAt(r *http.Request) (protocol.Date, error) {
	s := r.URL.Query().Get("at")
	if s == "" {
		return protocol.Date{}, nil
	}
	d, err := protocol.ParseDate(s)
	if err != nil {
		return protocol.Date{}, badRequest("at: " + err.Error())
	}
	return d, nil
}

// listParticipants answers GET /api/participants?at=DATE: every entry of
// the participant list as of the date (today by default), sorted by code,
// with its status and where it came from (the dashboard's participant
// pickers).
func (h *Handler) listParticipants(w http.ResponseWriter, r *http.Request) error {
	at, err := participantsAt(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.b.Participants(at).Participants)
}

// membership answers GET /api/membership?at=DATE: the list as of the
// date with the partners trusted for it, the update files applied and the
// updates ignored.
func (h *Handler) membership(w http.ResponseWriter, r *http.Request) error {
	at, err := participantsAt(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.b.Participants(at))
}

// applyParticipantUpdates answers POST
// /api/membership/updates?file=NAME&dry_run=true: the body is a
// participant-list update file (CSV), applied all or nothing.
func (h *Handler) applyParticipantUpdates(w http.ResponseWriter, r *http.Request) error {
	file, body, err := uploadedFile(r)
	if err != nil {
		return err
	}
	res, err := h.b.ApplyParticipantUpdates(node.ParticipantUpdatesApply{File: file, Data: body,
		DryRun: r.URL.Query().Get("dry_run") == "true", By: actorOf(r)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// trustForParticipants answers PUT and DELETE
// /api/membership/trusted/{code}: whether partner code's participant-list
// updates apply on this node.
func (h *Handler) trustForParticipants(trusted bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := h.b.TrustForParticipants(strings.ToUpper(r.PathValue("code")), trusted, actorOf(r)); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, h.b.Participants(protocol.Date{}))
	}
}
