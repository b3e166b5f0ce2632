package triggers

import (
	"encoding/json"
	"errors"
	"net/http"
)

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error     string `json:"error"`
	Attribute string `json:"attribute,omitempty"`
	Rule      string `json:"rule,omitempty"`
	Index     *int   `json:"index,omitempty"`
}

// writeError answers status with {"error": ..., "attribute": ..., "rule":
// ..., "index": ...}. Attribute and rule come from an *AttrError in err's
// chain, index from a *BatchError. A 500 never shows err (it may hold
// internals): the body says "internal server error" and the caller logs err.
// 429 and 503 get "Retry-After: 1" unless the caller set one.
func writeError(w http.ResponseWriter, status int, err error) {
	body := errorBody{Error: http.StatusText(status)}
	if err != nil && status != http.StatusInternalServerError {
		body.Error = err.Error()
	}
	if status == http.StatusInternalServerError {
		body.Error = "internal server error"
	}
	var ae *AttrError
	if errors.As(err, &ae) {
		body.Attribute, body.Rule = ae.Attribute, ae.Rule
	}
	var be *BatchError
	if errors.As(err, &be) {
		idx := be.Index
		body.Index = &idx
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "1")
		}
	}
	writeJSON(w, status, body)
}

// writeJSON answers status with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal server error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
