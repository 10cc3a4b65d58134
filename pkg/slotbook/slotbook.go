// Package slotbook is the domain of the slotbook booking backend: its
// types, error codes, access rules, the store it needs, and the use cases
// the HTTP layer calls. It imports nothing of slotbook's but the pure
// schedule engine; storage and calendar providers implement its interfaces.
package slotbook

import (
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// Company is a business that takes bookings, with its booking settings.
type Company struct {
	ID       string
	Name     string
	Timezone string // IANA zone name
	// BookingIntervalMinutes is the grid on which slots start.
	BookingIntervalMinutes int
	// MinNoticeMinutes is how long before a slot it may be booked at the latest.
	MinNoticeMinutes int
	// HorizonDays is how far ahead slots are offered.
	HorizonDays int
	// SupportAccess lets the vendor's support team read this company's data.
	SupportAccess bool
}

// Employee is a person whose time can be booked.
type Employee struct {
	ID       string
	Name     string
	Email    string
	Timezone string // IANA zone name; empty means the company's zone
}

// Service is something a customer can book.
type Service struct {
	ID                  string
	Name                string
	DurationMinutes     int
	BufferBeforeMinutes int
	BufferAfterMinutes  int
	// Employees are the ids of the employees who offer the service.
	Employees []string
}

// Offers reports whether employee offers s.
func (s Service) Offers(employeeID string) bool {
	for _, id := range s.Employees {
		if id == employeeID {
			return true
		}
	}
	return false
}

// WeeklyHours is one span of working time on a day of the week.
type WeeklyHours struct {
	Weekday time.Weekday
	Start   schedule.Clock
	End     schedule.Clock
}

// DateOverride replaces the weekly hours on one date; no intervals is a day off.
type DateOverride struct {
	Date      schedule.Date
	Intervals []schedule.Range
}

// Availability is an employee's working time in the employee's zone.
type Availability struct {
	Weekly    []WeeklyHours
	Overrides []DateOverride
}

// Schedule returns a in the form the schedule engine reads.
func (a Availability) Schedule() schedule.Availability {
	var s schedule.Availability
	for _, w := range a.Weekly {
		s.Weekly[w.Weekday] = append(s.Weekly[w.Weekday], schedule.Range{Start: w.Start, End: w.End})
	}
	if len(a.Overrides) > 0 {
		s.Overrides = make(map[schedule.Date][]schedule.Range, len(a.Overrides))
		for _, o := range a.Overrides {
			s.Overrides[o.Date] = append([]schedule.Range{}, o.Intervals...)
		}
	}
	return s
}

// Absence is a span of time in which an employee cannot be booked.
type Absence struct {
	ID     string
	Start  time.Time
	End    time.Time
	Reason string
}

// Customer is the person who booked.
type Customer struct {
	Name  string
	Email string
	Phone string
}

// BookingStatus is where a booking stands.
type BookingStatus string

// The statuses of a booking.
const (
	// Pending: the time is claimed and the calendar event is being
	// written. A pending booking blocks its time only until PendingUntil;
	// after that it was abandoned (its request died) and a retry with the
	// same Idempotency-Key, or anyone else, may have the time.
	Pending BookingStatus = "pending"
	// Confirmed: booked, and written into the default calendar if there is one.
	Confirmed BookingStatus = "confirmed"
	// Cancelled: the time is free again.
	Cancelled BookingStatus = "cancelled"
)

// PendingTimeout is how long a claimed booking may stay pending: far
// longer than one request may run.
const PendingTimeout = 2 * time.Minute

// EventRef names the event a booking wrote into an external calendar.
type EventRef struct {
	Connection string // the calendar connection's id
	EventID    string // the provider's id of the event
}

// Booking is a customer's appointment with an employee.
type Booking struct {
	ID         string
	EmployeeID string
	ServiceID  string
	Start      time.Time
	End        time.Time
	// The service's buffers when the booking was made; they block time too.
	BufferBefore time.Duration
	BufferAfter  time.Duration
	Customer     Customer
	Notes        string
	CreatedAt    time.Time
	Status       BookingStatus
	PendingUntil time.Time
	// CancelTokenHash is the SHA-256 of the cancel token; the token itself
	// is never stored in the clear.
	CancelTokenHash []byte
	// Event is the calendar event written for the booking, if any.
	Event EventRef
}

// Blocks reports whether the booking keeps its time from others at now:
// when confirmed, or pending and not yet abandoned.
func (b Booking) Blocks(now time.Time) bool {
	return b.Status == Confirmed || b.Status == Pending && now.Before(b.PendingUntil)
}

// Blocked returns the time the booking keeps from other bookings: its own
// time widened by its buffers.
func (b Booking) Blocked() (start, end time.Time) {
	return b.Start.Add(-b.BufferBefore), b.End.Add(b.BufferAfter)
}

// IdempotencyTTL is how long an Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// Idempotency remembers which booking a request with an Idempotency-Key
// made, so that a retry of the request books once.
type Idempotency struct {
	Key string // the client's Idempotency-Key
	// Fingerprint identifies the request; the same key with another
	// request is refused.
	Fingerprint string
	BookingID   string
	CreatedAt   time.Time
	// ExpiresAt ends the record; after it the key may be used again.
	ExpiresAt time.Time
	// SealedCancelToken is the booking's cancel token, sealed, so that a
	// replay can repeat the first answer.
	SealedCancelToken []byte
}

// Role is what a signed-in user is to slotbook.
type Role string

// The roles of api.md.
const (
	// RoleAdmin manages their own company.
	RoleAdmin Role = "admin"
	// RoleStaff reads their company and edits only their own employee.
	RoleStaff Role = "staff"
	// RoleSupport is the vendor's support team: reads companies that allow it.
	RoleSupport Role = "support"
)

// Principal is the signed-in caller, from the JWT's claims.
type Principal struct {
	Subject string // the JWT's sub; a staff member's employee id
	Company string // the custom:company claim; empty for support
	Role    Role
}
