package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/node"
)

func (h *Handler) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *Handler) status(w http.ResponseWriter, _ *http.Request) error {
	s, err := h.b.Status()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

func (h *Handler) card(w http.ResponseWriter, _ *http.Request) error {
	c, err := h.b.Card()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(c.Bytes())
	return err
}

func (h *Handler) listPartners(w http.ResponseWriter, _ *http.Request) error {
	ps, err := h.b.Partners()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ps)
}

func (h *Handler) addPartner(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	p, err := h.acting(r).AddPartner(body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (h *Handler) removePartner(w http.ResponseWriter, r *http.Request) error {
	if err := h.acting(r).RemovePartner(r.PathValue("code")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// PartnerAddrsRequest is the body of PUT /api/partners/{code}/addrs: the
// partner's address override; an empty list clears it.
type PartnerAddrsRequest struct {
	Addrs []string `json:"addrs"`
}

func (h *Handler) setPartnerAddrs(w http.ResponseWriter, r *http.Request) error {
	var req PartnerAddrsRequest
	if err := decodeBody(r, &req, `{"addrs": [multiaddrs]}`); err != nil {
		return err
	}
	if req.Addrs == nil { // absent or null; [] clears
		return badRequest(`request body: "addrs" is required (an empty list clears the override)`)
	}
	p, err := h.acting(r).SetPartnerAddrs(r.PathValue("code"), req.Addrs)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (h *Handler) pausePartner(paused bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := h.acting(r).PausePartner(strings.ToUpper(r.PathValue("code")), paused)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, p)
	}
}

func (h *Handler) deliveryHistory(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, h.b.DeliveryHistory())
}

// decodeBody decodes a JSON request body into v, refusing unknown fields
// and trailing data; want shows the expected shape in the error.
func decodeBody(r *http.Request, v any, want string) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest(fmt.Sprintf("request body: %v (want %s)", err, want))
	}
	if dec.More() {
		return badRequest(fmt.Sprintf("request body: data after the JSON object (want %s)", want))
	}
	return nil
}

// PublishRequest is the body of POST /api/records/{type}.
type PublishRequest struct {
	// To names the partners who read the record, or "all"; empty, the
	// record's parties (docs/records.md, "Who reads a record").
	To     []string        `json:"to"`
	Record json.RawMessage `json:"record"`
	// AllowNonParty lets To name partners not party to the record; the
	// publish is then audited.
	AllowNonParty bool `json:"allow_non_party,omitempty"`
}

func (h *Handler) publish(w http.ResponseWriter, r *http.Request) error {
	var req PublishRequest
	if err := decodeBody(r, &req, `{"to": [codes], "record": {...}}`); err != nil {
		return err
	}
	if len(req.Record) == 0 {
		return badRequest(`request body: "record" is required`)
	}
	p, err := h.b.PublishRecord(r.Context(), node.PublishRequest{Type: r.PathValue("type"), Body: req.Record, To: req.To, AllowNonParty: req.AllowNonParty})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func (h *Handler) feeds(w http.ResponseWriter, _ *http.Request) error {
	s, err := h.b.Status()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.Feeds)
}

func (h *Handler) feedEntries(w http.ResponseWriter, r *http.Request) error {
	from, err := queryUint(r, "from", 1)
	if err != nil {
		return err
	}
	limit, err := queryUint(r, "limit", 1000)
	if err != nil {
		return err
	}
	entries, err := h.b.Feed(r.PathValue("author"), from, int(min(limit, 10000)))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, entries)
}

func (h *Handler) verify(w http.ResponseWriter, r *http.Request) error {
	rep, err := h.b.Verify(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func queryUint(r *http.Request, name string, def uint64) (uint64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, badRequest(fmt.Sprintf("query parameter %q: %q is not a non-negative integer", name, s))
	}
	return v, nil
}
