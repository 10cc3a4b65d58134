package google

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"

	"github.com/slotbook/slotbook/pkg/calendar/calhttp"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Error is a failed Google Calendar operation. It keeps only what may be
// logged: the operation, the HTTP status and Google's error reason. It
// never holds a response body, an event's content or a token.
type Error struct {
	// Op names the operation: "freeBusy", "events.list", "token refresh", …
	Op string
	// Status is the HTTP status of Google's answer; 0 if there was none.
	Status int
	// Reason is Google's error reason ("backendError", "notFound",
	// "invalid_grant"); "" if it gave none.
	Reason string
	// Err is the cause where one is worth keeping: slotbook.ErrCalendarAuth,
	// what calhttp.Scrub keeps of a failed request (a context error, a
	// timeout, a network failure), the token endpoint's *Error, the error
	// of Account.OnRotate.
	Err error

	problem string // what went wrong where no status says it
}

// Error returns "google: " followed by the operation, status, reason and cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("google: ")
	e.write(&b)
	return b.String()
}

func (e *Error) write(b *strings.Builder) {
	b.WriteString(e.Op)
	if e.Status != 0 {
		fmt.Fprintf(b, ": status %d", e.Status)
	}
	if e.problem != "" {
		b.WriteString(": ")
		b.WriteString(e.problem)
	}
	if e.Reason != "" {
		fmt.Fprintf(b, " (%s)", e.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		if inner, ok := e.Err.(*Error); ok {
			inner.write(b) // without a second "google: "
		} else {
			b.WriteString(e.Err.Error())
		}
	}
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// apiError turns an error of the generated client into an *Error. The
// client's own errors quote the response body, so none of them is kept.
func apiError(op string, err error) *Error {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		e := &Error{Op: op, Status: ge.Code, Reason: googleReason(ge)}
		// Every call refreshed its access token first: a 401 now means
		// the grant is gone, and insufficientPermissions that the user
		// withheld a scope. Both need the user to connect again.
		if ge.Code == http.StatusUnauthorized ||
			(ge.Code == http.StatusForbidden && e.Reason == "insufficientPermissions") {
			e.Err = slotbook.ErrCalendarAuth
		}
		return e
	}
	var te *Error // from the token source, through the OAuth transport
	if errors.As(err, &te) {
		return &Error{Op: op, Err: te}
	}
	// What is left is a request that got no answer, or the decoding of a
	// 2xx answer.
	return transportError(op, err)
}

// transportError describes a request that got no usable answer by what
// calhttp.Scrub keeps of it: its kind (a context error, a timeout, a
// network failure), never a URL. An error that is no request's failure
// is an answer that could not be read (token JSON that does not parse).
func transportError(op string, err error) *Error {
	scrubbed := calhttp.Scrub(err)
	if errors.Is(scrubbed, calhttp.ErrMalformed) {
		return &Error{Op: op, problem: "malformed response"}
	}
	return &Error{Op: op, Err: scrubbed}
}

// googleReason returns the first reason of a Google error answer.
func googleReason(ge *googleapi.Error) string {
	for _, it := range ge.Errors {
		if r := safeReason(it.Reason); r != "" {
			return r
		}
	}
	return ""
}

// safeReason returns reason if it looks like an error code
// ("rateLimitExceeded", "invalid_grant": letters, digits, underscores), else
// "": a reason is shown in error messages, so free text must not pass.
func safeReason(reason string) string {
	if len(reason) == 0 || len(reason) > 64 {
		return ""
	}
	for _, c := range reason {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return ""
		}
	}
	return reason
}

// isStatus reports whether err is a Google answer with one of the statuses.
func isStatus(err error, statuses ...int) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return false
	}
	for _, s := range statuses {
		if ge.Code == s {
			return true
		}
	}
	return false
}
