package api

import (
	"errors"
	"net/http"

	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/tabular"
)

// valuation answers GET /api/valuation: the unit-value table R8 uses,
// each row saying whether it is the built-in default's or the operator's.
func (h *Handler) valuation(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, h.b.Valuation())
}

// importValuation answers POST /api/valuation?file=NAME&dry_run=true: the
// body is a valuation table (CSV), loaded all or nothing.
func (h *Handler) importValuation(w http.ResponseWriter, r *http.Request) error {
	answer := extendForImport(w) // R8 is re-evaluated over every certificate held
	defer answer()
	file, body, err := uploadedFile(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	res, err := h.b.ImportValuation(node.ValuationImport{File: file, Data: body, DryRun: q.Get("dry_run") == "true", By: actorOf(r)})
	if err != nil {
		return valuationProblem(err)
	}
	answer()
	return writeJSON(w, http.StatusOK, res)
}

// resetValuation answers DELETE /api/valuation: back to the built-in
// table.
func (h *Handler) resetValuation(w http.ResponseWriter, r *http.Request) error {
	res, err := h.b.ResetValuation(actorOf(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// valuationProblem gives a refused table's file, row and column in the
// error envelope; other errors pass unchanged.
func valuationProblem(err error) error {
	var ue *reconcile.UnitValuesError
	if !errors.As(err, &ue) {
		return err
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_valuation",
		Message: "the valuation table was refused, nothing changed: " + ue.Error(),
		Rows:    []tabular.RowError{{File: ue.File, Row: ue.Row, Column: ue.Column, Reason: ue.Reason}}}
}
