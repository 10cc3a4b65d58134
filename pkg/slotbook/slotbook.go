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
	// Language is the language of mails whose booking names none.
	Language Language
	// ReminderMinutesBefore is when the customer's reminder goes before
	// the start; 0 sends none.
	ReminderMinutesBefore int
	// NotifyEmployees sends employees a mail of their bookings' changes.
	NotifyEmployees bool
	// CancelNoticeMinutes is how long before the start a customer (with
	// the cancel token) may cancel or move a booking at the latest; staff
	// and admins are not bound by it.
	CancelNoticeMinutes int
	// MaxCustomerReschedules is how often a customer may move a booking.
	MaxCustomerReschedules int
	// RetentionDays is how long after a booking's end its customer data
	// is kept; 0 keeps it.
	RetentionDays int
}

// WithNotificationDefaults returns c with the defaults of api.md for
// notification settings it has never had (companies made before them):
// German, a reminder a day ahead, employees notified. A company without
// a Language has never had any of them; one with a Language has all
// three, so an explicit 0 or false stands.
func (c Company) WithNotificationDefaults() Company {
	if c.Language == "" {
		c.Language, c.ReminderMinutesBefore, c.NotifyEmployees = DefaultLanguage, DefaultReminderMinutesBefore, DefaultNotifyEmployees
		c.MaxCustomerReschedules = DefaultMaxCustomerReschedules
	}
	return c
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

// EventRef names the event a booking has, or may have, in an external
// calendar.
type EventRef struct {
	Connection string // the calendar connection's id
	// Key is the key the event is written under (EventDraft.Key). It is
	// chosen when the time is claimed, before the write, so that the event
	// can be found and removed even when the provider's answer to the write
	// was lost. A key is written at most once: after slotbook has asked for
	// the removal of a key's event, it never writes that key again.
	Key string
	// EventID is the provider's id of the event, once the write answered.
	EventID string
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
	// Event is the calendar event of the booking: where it is written (or
	// is being written) and under which key; empty if the employee had no
	// default calendar.
	Event EventRef
	// Lang is the language the customer chose for mails; empty: the
	// company's.
	Lang Language
	// Sequence is the iCalendar SEQUENCE of the booking's mails: 0 when
	// booked, one more with every change that is mailed.
	Sequence int
	// Reschedules counts the moves of the booking, by anyone.
	Reschedules int
	// CustomerReschedules counts the moves its customer made with the
	// cancel token; the company's MaxCustomerReschedules bounds them. A
	// move by the company does not use up the customer's.
	CustomerReschedules int
	// Anonymized: the customer's name, e-mail, phone and the notes were
	// erased (on request, or after the company's retentionDays).
	Anonymized bool
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

// RemovalReason says why an event must leave its calendar.
type RemovalReason string

// The reasons of an EventRemoval.
const (
	// RemovalIfUnconfirmed is recorded when a booking's time is claimed and
	// its event is about to be written. Confirming the booking drops it. If
	// the booking is still not confirmed when the removal is due, its
	// request died: the booking is released and the event, if it was
	// written, removed.
	RemovalIfUnconfirmed RemovalReason = "unconfirmed"
	// RemovalAbandoned: the booking never came about; its event may exist.
	RemovalAbandoned RemovalReason = "abandoned"
	// RemovalCancelled: the booking was cancelled.
	RemovalCancelled RemovalReason = "cancelled"
	// RemovalMoved: the booking was moved; its event at the new time was
	// written under another key, and this one is the old time's.
	RemovalMoved RemovalReason = "moved"
)

// RemovalGrace is how long after a pending booking's PendingUntil its
// RemovalIfUnconfirmed falls due: the claim is abandoned by then, for
// certain, even with clocks a little apart.
const RemovalGrace = time.Minute

// EventRemoval is an event that slotbook wrote, or may have written, into
// an employee's calendar and that must be removed: it is kept until the
// calendar takes the removal, so that a calendar that cannot be written now
// (a revoked grant, an outage, a crash) never keeps an event that blocks a
// time nobody booked. It holds ids and times, never an event's content.
type EventRemoval struct {
	CompanyID  string
	EmployeeID string
	BookingID  string
	// Event names the connection, the key and, if known, the event's id.
	Event EventRef
	// Start and End are the event's time: where to look for it by key.
	Start, End time.Time
	Reason     RemovalReason
	// Due is when the removal is to be tried (next).
	Due time.Time
	// Attempts counts the tries that failed.
	Attempts int
	// Version tells this state of the removal from later ones, so that a
	// sweeper holding an old state cannot drop or postpone a newer one.
	Version string
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
	// EmployeeID is the booking's employee, for a retry that finds the
	// booking gone.
	EmployeeID string
	CreatedAt  time.Time
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
