package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// ProblemContentType is the media type of error answers (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem detail, slotbook's one error body.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Code     string         `json:"code"`
	Instance string         `json:"instance,omitempty"`
	Errors   []ProblemField `json:"errors,omitempty"`
}

// ProblemField names one request field and what is wrong with it.
type ProblemField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Codes of errors that only the HTTP layer raises.
const (
	codePayloadTooLarge      = "payload_too_large"
	codeUnsupportedMediaType = "unsupported_media_type"
	codeMethodNotAllowed     = "method_not_allowed"
)

// statusOf maps each error code to its one HTTP status.
var statusOf = map[string]int{
	string(slotbook.Invalid):          http.StatusBadRequest,
	string(slotbook.Unprocessable):    http.StatusUnprocessableEntity,
	string(slotbook.Unauthorized):     http.StatusUnauthorized,
	string(slotbook.Forbidden):        http.StatusForbidden,
	string(slotbook.NotFound):         http.StatusNotFound,
	string(slotbook.Conflict):         http.StatusConflict,
	string(slotbook.SlotTaken):        http.StatusConflict,
	string(slotbook.BookingCancelled): http.StatusConflict,
	string(slotbook.TooLate):          http.StatusConflict,
	string(slotbook.RescheduleLimit):  http.StatusConflict,
	string(slotbook.Unavailable):      http.StatusServiceUnavailable,
	string(slotbook.Internal):         http.StatusInternalServerError,
	codePayloadTooLarge:               http.StatusRequestEntityTooLarge,
	codeUnsupportedMediaType:          http.StatusUnsupportedMediaType,
	codeMethodNotAllowed:              http.StatusMethodNotAllowed,
}

// httpError is an error that only the HTTP layer raises.
type httpError struct {
	code    string
	message string
}

func (e *httpError) Error() string { return e.code + ": " + e.message }

// writeError answers with the problem that err stands for. Internal errors
// are logged with their cause and shown only as a generic message.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := problemFor(r, log, err)
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="slotbook"`)
	}
	w.Header().Set("Content-Type", ProblemContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// problemFor is the one place where errors become problems: the code and
// status err stands for, its safe message and fields. It logs the cause of
// a 5xx, which the problem itself never shows.
func problemFor(r *http.Request, log *slog.Logger, err error) Problem {
	p := Problem{Instance: r.URL.Path}
	if he, ok := err.(*httpError); ok {
		p.Code, p.Detail = he.code, he.message
	} else {
		p.Code = string(slotbook.ErrorCode(err))
		p.Detail = slotbook.ErrorMessage(err)
		for _, f := range slotbook.ErrorFields(err) {
			p.Errors = append(p.Errors, ProblemField{Field: f.Field, Message: f.Message})
		}
	}
	status, ok := statusOf[p.Code]
	if !ok {
		status, p.Code = http.StatusInternalServerError, string(slotbook.Internal)
	}
	if status >= 500 {
		log.ErrorContext(r.Context(), "request failed", "code", p.Code, "err", err)
	}
	p.Status = status
	p.Type = "urn:slotbook:problem:" + p.Code
	p.Title = http.StatusText(status)
	return p
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
