package api

import (
	"errors"
	"net/http"
)

func (a *API) runs(w http.ResponseWriter, r *http.Request) {
	q, err := ParseRunsQuery(r.URL.Query(), a.cfg.Now())
	if a.badInput(w, err) {
		return
	}
	res, err := a.cfg.Runs.Runs(r.Context(), q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// badInput answers 400 for a *FieldError and reports whether it did.
func (a *API) badInput(w http.ResponseWriter, err error) bool {
	if err == nil {
		return false
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		writeError(w, http.StatusBadRequest, fe.Field, fe.Rule)
	} else {
		writeError(w, http.StatusBadRequest, "", err.Error())
	}
	return true
}
