package microsoft

import (
	"context"
	"errors"
	"strconv"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"golang.org/x/oauth2"

	"github.com/slotbook/slotbook/pkg/calendar/calhttp"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Error is a failed call to Graph or to the token endpoint. It holds only
// what may be logged: what was attempted, the HTTP status and the error
// code of the answer; never a response body, an event's subject or a token.
type Error struct {
	// Op names the operation, e.g. "get schedule" or "refresh token".
	Op string
	// Status is the HTTP status of the answer; 0 if there was none.
	Status int
	// Code is the Graph error code ("ErrorItemNotFound") or the OAuth error
	// code ("invalid_grant"); empty if the answer had none.
	Code string
	// Err is the cause that callers may test with errors.Is:
	// slotbook.ErrCalendarAuth, context.DeadlineExceeded, context.Canceled,
	// a malformed answer, or what calhttp.Scrub keeps of a request that got
	// no answer (calhttp.ErrTimeout, calhttp.ErrUnreachable, …). Nil when
	// the status says it all.
	Err error
}

// Error describes the failure without any data of the calendar.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("microsoft: ")
	b.WriteString(e.Op)
	if e.Status != 0 {
		b.WriteString(": status ")
		b.WriteString(strconv.Itoa(e.Status))
	}
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// The kinds of failure that have no HTTP status of their own.
var (
	errMalformed     = errors.New("malformed answer")
	errScheduleError = errors.New("schedule not readable")
	errTooManyItems  = errors.New("too many items")
	errTokenEndpoint = errors.New("no usable answer from the token endpoint")
)

// safeCode returns code if it looks like an error code and "" otherwise, so
// that nothing but a short identifier from an answer reaches an error.
func safeCode(code string) string {
	if code == "" || len(code) > 80 {
		return ""
	}
	for _, r := range code {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '_' || r == '-' || r == '.'
		if !ok {
			return ""
		}
	}
	return code
}

// apiError turns an error of the SDK into an *Error. status is the final
// HTTP status recorded by the pipeline (0 if no answer came); the SDK's own
// error text is dropped, since it may quote the answer.
func apiError(ctx context.Context, op string, status int, err error) error {
	if err == nil {
		return nil
	}
	var own *Error
	if errors.As(err, &own) {
		return own
	}
	e := &Error{Op: op, Status: status}
	var odata *odataerrors.ODataError
	if errors.As(err, &odata) {
		if m := odata.GetErrorEscaped(); m != nil && m.GetCode() != nil {
			e.Code = safeCode(*m.GetCode())
		}
		if e.Status == 0 {
			e.Status = odata.ResponseStatusCode
		}
	}
	var api *abstractions.ApiError
	if e.Status == 0 && errors.As(err, &api) {
		e.Status = api.ResponseStatusCode
	}
	switch {
	case ctx.Err() != nil:
		e.Err = ctx.Err()
	case e.Status == 401:
		e.Err = slotbook.ErrCalendarAuth
	case e.Status >= 400:
		// The status and code say it all.
	case errors.Is(err, errTooManyItems):
		e.Err = errTooManyItems
	case e.Status != 0 || errors.Is(err, errMalformed):
		// An answer came, but it could not be read.
		e.Err = errMalformed
	default:
		// No answer came: what calhttp.Scrub keeps of the failure.
		e.Err = calhttp.Scrub(err)
	}
	return e
}

// tokenError turns a failure of the token endpoint into an *Error. A refused
// grant wraps slotbook.ErrCalendarAuth; a refused client (our own
// credentials) does not, since connecting the account again would not help.
func tokenError(ctx context.Context, op string, err error) *Error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &Error{Op: op, Code: safeCode(re.ErrorCode)}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		switch {
		case re.ErrorCode == "invalid_grant":
			e.Err = slotbook.ErrCalendarAuth
		case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
			// Our client id or secret was refused.
		case e.Status == 400 || e.Status == 401:
			e.Err = slotbook.ErrCalendarAuth
		case e.Status >= 200 && e.Status < 300:
			e.Err = errMalformed
		}
		return e
	}
	if ctx.Err() != nil {
		return &Error{Op: op, Err: ctx.Err()}
	}
	// x/oauth2 formats transport and parse failures with %v, so neither can
	// be told apart nor unwrapped; its text may quote the answer.
	return &Error{Op: op, Err: errTokenEndpoint}
}
