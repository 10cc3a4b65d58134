package slotbook

import (
	"errors"
	"fmt"
)

// Code classifies an error for the caller. The HTTP layer maps each code to
// one status; anything without a code is internal.
type Code string

// The error codes of slotbook.
const (
	// Invalid: the request is malformed or breaks a rule of its own fields.
	Invalid Code = "invalid_input"
	// Unprocessable: well-formed, but refers to something that does not fit
	// (a service naming an unknown employee).
	Unprocessable Code = "unprocessable"
	// Unauthorized: no or no valid credentials.
	Unauthorized Code = "unauthorized"
	// Forbidden: valid credentials that may not do this.
	Forbidden Code = "forbidden"
	// NotFound: the company, employee, service or item does not exist.
	NotFound Code = "not_found"
	// Conflict: the item exists already.
	Conflict Code = "conflict"
	// SlotTaken: the time asked for is no longer free.
	SlotTaken Code = "slot_taken"
	// BookingCancelled: the booking was cancelled; it cannot be cancelled
	// or moved (again).
	BookingCancelled Code = "booking_cancelled"
	// TooLate: the customer's change comes later than the company's
	// cancelNoticeMinutes before the booking's start allow.
	TooLate Code = "too_late"
	// RescheduleLimit: the customer has moved the booking as often as the
	// company's maxCustomerReschedules allow.
	RescheduleLimit Code = "reschedule_limit"
	// Unavailable: a dependency could not be reached; try again later.
	Unavailable Code = "unavailable"
	// Internal: a fault of slotbook's own. Its text is never shown.
	Internal Code = "internal"
)

// FieldError names one request field and what is wrong with it.
type FieldError struct {
	Field   string
	Message string
}

// Error is slotbook's error: a code, a message that is safe to show to the
// caller, the fields at fault, and, for internal errors, the cause.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// Err is the underlying cause, for logs only.
	Err error
}

// Error returns the message, and the cause for internal errors.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an error with code and a formatted message that is safe to
// show to the caller.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an Invalid error for one field.
func FieldErrorf(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: Invalid, Message: field + ": " + msg, Fields: []FieldError{{field, msg}}}
}

// ErrorCode returns the code of err, Internal if it has none, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the message of err that may be shown to the caller;
// internal errors get a generic one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "An internal error occurred."
}

// ErrorFields returns the fields at fault in err, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Problems collects field errors while a request is validated.
type Problems []FieldError

// Add records that field is wrong.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, FieldError{field, fmt.Sprintf(format, args...)})
}

// Err returns an Invalid error listing every problem, or nil if there are none.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	msg := p[0].Field + ": " + p[0].Message
	if len(p) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(p)-1)
	}
	return &Error{Code: Invalid, Message: msg, Fields: p}
}
