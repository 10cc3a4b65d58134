package slotbook

import (
	"context"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// Store keeps slotbook's own data. Every method takes the company id of the
// request and reaches only that company's items. Methods return an *Error
// with code NotFound, Conflict, Unprocessable or SlotTaken as documented;
// any other failure is Internal or Unavailable. Implementations are safe
// for concurrent use.
type Store interface {
	// Company returns the company, or NotFound.
	Company(ctx context.Context, companyID string) (Company, error)
	// Look reads the records l names in one step (one round trip where
	// the store has them apart); what does not exist is missing from the
	// answer.
	Look(ctx context.Context, companyID string, l Lookup) (Looked, error)
	// PutCompany creates or replaces the company and reports whether it was created.
	PutCompany(ctx context.Context, c Company) (created bool, err error)

	// Employees returns the company's employees, ordered by id.
	Employees(ctx context.Context, companyID string) ([]Employee, error)
	// Employee returns one employee, or NotFound.
	Employee(ctx context.Context, companyID, employeeID string) (Employee, error)
	// CreateEmployee adds an employee, or returns Conflict if the id is taken.
	CreateEmployee(ctx context.Context, companyID string, e Employee) error
	// UpdateEmployee replaces an employee, or returns NotFound.
	UpdateEmployee(ctx context.Context, companyID string, e Employee) error
	// DeleteEmployee removes an employee with their availability and
	// absences and takes them off every service, or returns NotFound.
	DeleteEmployee(ctx context.Context, companyID, employeeID string) error

	// Availability returns an employee's availability (empty if never set),
	// or NotFound if the employee does not exist.
	Availability(ctx context.Context, companyID, employeeID string) (Availability, error)
	// PutAvailability replaces an employee's availability, or returns NotFound.
	PutAvailability(ctx context.Context, companyID, employeeID string, a Availability) error

	// Absences returns an employee's absences that overlap [from, to),
	// ordered by start.
	Absences(ctx context.Context, companyID, employeeID string, from, to time.Time) ([]Absence, error)
	// CreateAbsence adds an absence, or returns NotFound if the employee
	// does not exist and Conflict if the id is taken.
	CreateAbsence(ctx context.Context, companyID, employeeID string, a Absence) error
	// DeleteAbsence removes an absence, or returns NotFound.
	DeleteAbsence(ctx context.Context, companyID, employeeID, absenceID string) error

	// Closures returns the company's closures that overlap the dates from
	// to to (inclusive), ordered by start, then id.
	Closures(ctx context.Context, companyID string, from, to schedule.Date) ([]Closure, error)
	// CreateClosure adds a closure, or returns Conflict if the id is taken.
	CreateClosure(ctx context.Context, companyID string, c Closure) error
	// DeleteClosure removes a closure, or returns NotFound.
	DeleteClosure(ctx context.Context, companyID, closureID string) error

	// Services returns the company's services, ordered by id.
	Services(ctx context.Context, companyID string) ([]Service, error)
	// Service returns one service, or NotFound.
	Service(ctx context.Context, companyID, serviceID string) (Service, error)
	// CreateService adds a service, or returns Conflict if the id is taken
	// and Unprocessable if it names an employee that does not exist.
	CreateService(ctx context.Context, companyID string, s Service) error
	// UpdateService replaces a service, or returns NotFound, or
	// Unprocessable if it names an employee that does not exist.
	UpdateService(ctx context.Context, companyID string, s Service) error
	// DeleteService removes a service, or returns NotFound.
	DeleteService(ctx context.Context, companyID, serviceID string) error

	// Bookings returns an employee's live bookings (pending or confirmed)
	// whose time overlaps [from, to), ordered by start. Cancelled bookings
	// are kept apart (CancelledBookings), so that they never slow the reads
	// of slots and claims.
	Bookings(ctx context.Context, companyID, employeeID string, from, to time.Time) ([]Booking, error)
	// CancelledBookings returns an employee's cancelled bookings whose time
	// overlaps [from, to), ordered by start.
	CancelledBookings(ctx context.Context, companyID, employeeID string, from, to time.Time) ([]Booking, error)
	// CreateBooking records a booking (pending, as Book makes them; tests
	// and seeds may record confirmed ones) if no other booking of the
	// employee that blocks its time at b.CreatedAt (Booking.Blocks)
	// overlaps it, both widened by their buffers; else it returns
	// SlotTaken. It returns Conflict if the id is taken. With idem, the
	// idempotency record is written in the same atomic step, and Conflict
	// is returned if a record of idem.Key exists that has not expired at
	// idem.CreatedAt (expiry is decided by ExpiresAt, never by whether a
	// TTL sweep has removed the record yet) and names another booking. If
	// b.Event.Key is set, an
	// EventRemoval of that key (RemovalIfUnconfirmed, due RemovalGrace
	// after b.PendingUntil) is recorded in the same atomic step, and
	// Conflict is returned if one of that key exists. A pending booking
	// that is never confirmed or released is swept away some time (at most
	// days) after it was abandoned.
	CreateBooking(ctx context.Context, companyID string, b Booking, idem *Idempotency) error
	// Booking returns a booking by id, live or cancelled, or NotFound.
	Booking(ctx context.Context, companyID, bookingID string) (Booking, error)
	// ConfirmBooking turns a pending booking into a confirmed one whose
	// event has the id eventID, and drops its RemovalIfUnconfirmed. It is
	// exclusive with every claim that overlaps the booking and with
	// ReleaseBooking: once the booking is abandoned, another claim may take
	// its time, and then the confirmation fails (SlotTaken), however late
	// it arrives; of a confirmation and a release, one fails. It returns
	// NotFound, Conflict if the booking is not pending, SlotTaken if a
	// booking that blocks at now overlaps it. The notifications of outbox
	// (new ids of this booking) are recorded in the same atomic step.
	ConfirmBooking(ctx context.Context, companyID, bookingID, eventID string, now time.Time, outbox []Notification) error
	// CancelBooking moves a confirmed booking to the cancelled ones, which
	// frees its time at once, and raises its Sequence by one. With
	// removal, the removal of its event is recorded in the same atomic
	// step, as are the notifications of outbox. It returns NotFound,
	// BookingCancelled if the booking is cancelled already, and Conflict
	// if it is pending (not yet made) or a notification's id is taken.
	CancelBooking(ctx context.Context, companyID, bookingID string, removal *EventRemoval, outbox []Notification) error

	// RescheduleBooking moves a confirmed booking to m's employee and time
	// in one atomic step: the old time is freed, the new one claimed (the
	// booking's own old time never blocks it), its Sequence and
	// Reschedules rise by one, and m's removal and notifications are
	// recorded (a notification of id ReminderID replaces the one there).
	// It returns NotFound, BookingCancelled, Conflict if the booking is
	// pending or its Sequence is no longer m.Sequence or m.Claim is not
	// there, SlotTaken if a booking that blocks at m.Now overlaps the new
	// time.
	RescheduleBooking(ctx context.Context, companyID, bookingID string, m Move) error

	// Webhooks returns the company's webhooks, ordered by id.
	Webhooks(ctx context.Context, companyID string) ([]Webhook, error)
	// Webhook returns one webhook, or NotFound.
	Webhook(ctx context.Context, companyID, webhookID string) (Webhook, error)
	// CreateWebhook adds a webhook, or returns Conflict if the id is taken.
	CreateWebhook(ctx context.Context, companyID string, w Webhook) error
	// UpdateWebhook replaces a webhook, or returns NotFound.
	UpdateWebhook(ctx context.Context, companyID string, w Webhook) error
	// DeleteWebhook removes a webhook, or returns NotFound. Its delivery
	// log goes with it (at the latest when it expires).
	DeleteWebhook(ctx context.Context, companyID, webhookID string) error
	// WebhookDeliveries returns a webhook's delivery log that has not
	// expired, newest first.
	WebhookDeliveries(ctx context.Context, companyID, webhookID string) ([]WebhookDelivery, error)
	// RecordDeliveryAttempt adds attempt to the log of delivery d (made
	// if missing), and sets its state and expiry to d's, in one step.
	RecordDeliveryAttempt(ctx context.Context, companyID string, d WebhookDelivery, attempt DeliveryAttempt) error

	// CustomerBookings returns every booking of the company (pending,
	// confirmed or cancelled) whose customer e-mail is email, compared
	// without regard to case, ordered by start.
	CustomerBookings(ctx context.Context, companyID, email string) ([]Booking, error)
	// AnonymizeBooking erases a booking's customer data — name, e-mail,
	// phone, notes — and marks it Anonymized; its time, service, employee
	// and status stay. It returns NotFound, and Conflict for a pending
	// booking.
	AnonymizeBooking(ctx context.Context, companyID, bookingID string) error

	// SetRetention records that the company keeps customer data days
	// after a booking's end (0: keeps it; the record goes), keeping how
	// far its erasure has come.
	SetRetention(ctx context.Context, companyID string, days int) error
	// Retentions returns every company's retention record: the sweeper's
	// cross-tenant read.
	Retentions(ctx context.Context) ([]Retention, error)
	// RetentionDone records that every booking of the company that ended
	// before until has been erased.
	RetentionDone(ctx context.Context, companyID string, until time.Time) error

	// AppendAudit adds an entry to the company's audit log.
	AppendAudit(ctx context.Context, companyID string, e AuditEntry) error
	// AuditEntries returns the company's audit entries with At in
	// [from, to), oldest first.
	AuditEntries(ctx context.Context, companyID string, from, to time.Time) ([]AuditEntry, error)

	// Notifications returns a booking's notifications, ordered by id.
	Notifications(ctx context.Context, companyID, bookingID string) ([]Notification, error)
	// Notification returns one notification of a booking, or NotFound.
	Notification(ctx context.Context, companyID, bookingID, id string) (Notification, error)
	// DueNotifications returns at most limit pending notifications of any
	// company whose Due is not after now, the longest due first. It is
	// the mail sender's one cross-tenant read.
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]Notification, error)
	// PutNotification replaces a notification if its stored Version is
	// replaces, else returns Conflict (NotFound if there is none). An
	// empty replaces creates it, or replaces it whatever its version (a
	// reschedule moving the reminder).
	PutNotification(ctx context.Context, n Notification, replaces string) error
	// ReleaseBooking removes a booking that never became confirmed, so
	// that its time (and, as r says, its Idempotency-Key) is free again.
	// Its RemovalIfUnconfirmed, if any, becomes a RemovalAbandoned due at
	// r.Now when r.RemovalVersion is set (the event may have been
	// written), and is dropped otherwise. Releasing a missing booking is no error; a
	// confirmed or cancelled one is Conflict, as is one that r.AbandonedAt
	// requires to be abandoned and is not.
	ReleaseBooking(ctx context.Context, companyID, bookingID string, r Release) error

	// Removals returns the EventRemovals of an employee, ordered by due time.
	Removals(ctx context.Context, companyID, employeeID string) ([]EventRemoval, error)
	// DueRemovals returns at most limit EventRemovals of any company that
	// are due at now, the longest due first. It is the sweeper's one
	// cross-tenant read.
	DueRemovals(ctx context.Context, now time.Time, limit int) ([]EventRemoval, error)
	// PutRemoval records a removal (a new Version); if one of the same
	// company, employee and key exists, it is replaced only if it has the
	// Version given in replaces, else Conflict. An empty replaces creates
	// (Conflict if one exists).
	PutRemoval(ctx context.Context, r EventRemoval, replaces string) error
	// DeleteRemoval drops the removal of (company, employee, key) if it is
	// still at version; else (or if it is gone) nothing happens.
	DeleteRemoval(ctx context.Context, companyID, employeeID, key, version string) error

	// Connections returns an employee's calendar connections, ordered by
	// id, with IsDefault set on the employee's default one.
	Connections(ctx context.Context, companyID, employeeID string) ([]Connection, error)
	// Connection returns one calendar connection, or NotFound.
	Connection(ctx context.Context, companyID, employeeID, connectionID string) (Connection, error)
	// CreateConnection adds a connection of an existing employee (NotFound
	// otherwise; Conflict if the id is taken). If k.IsDefault, k becomes
	// the employee's one default connection, atomically.
	CreateConnection(ctx context.Context, companyID string, k Connection) error
	// UpdateConnection changes the fields of a connection that u sets,
	// and nothing else, and returns the connection as it is now. It never
	// brings back a connection deleted meanwhile (NotFound). Setting
	// IsDefault makes the connection the employee's one default,
	// atomically; clearing it on the default leaves the employee without.
	UpdateConnection(ctx context.Context, companyID, employeeID, connectionID string, u ConnectionUpdate) (Connection, error)
	// SetConnectionAuth sets a connection's status and, unless sealed is
	// nil, its sealed secret, leaving its switches alone. If expect is not
	// nil, it does so only while the stored sealed secret is still expect,
	// and returns Conflict otherwise: a grant that failed, or a refresh
	// token that was rotated, must not overwrite a newer grant. It returns
	// NotFound.
	SetConnectionAuth(ctx context.Context, companyID, employeeID, connectionID string, expect, sealed []byte, status ConnectionStatus) error
	// DeleteConnection removes a connection (and the default mark, if it
	// was the default), or returns NotFound.
	DeleteConnection(ctx context.Context, companyID, employeeID, connectionID string) error

	// Idempotency returns the record of key that has not expired at now,
	// or NotFound.
	Idempotency(ctx context.Context, companyID, key string, now time.Time) (Idempotency, error)

	// UseNonce records that the one-time value nonce of a company has been
	// used, until expires. It returns Conflict if it was used before and
	// has not expired at now.
	UseNonce(ctx context.Context, companyID, nonce string, now, expires time.Time) error
}

// Release says how ReleaseBooking lets go of a booking that never became
// confirmed.
type Release struct {
	// IdempotencyKey, if set, drops that key's record too, if it names the
	// booking.
	IdempotencyKey string
	// AbandonedAt, if not zero, releases the booking only if it is pending
	// and was abandoned by then (its PendingUntil is not after it).
	AbandonedAt time.Time
	// RemovalVersion, if set, keeps the removal of the booking's event as
	// a RemovalAbandoned of this version, due at Now: the event may have
	// been written. Empty drops the removal-if-unconfirmed.
	RemovalVersion string
	// Now is when the release happens.
	Now time.Time
}

// Move is where RescheduleBooking moves a booking to.
type Move struct {
	EmployeeID string
	Start, End time.Time
	// The service's buffers at the new time.
	BufferBefore, BufferAfter time.Duration
	// Sequence is the booking's Sequence as the caller read it.
	Sequence int
	// Event is the booking's event from now on (empty: none).
	Event EventRef
	// Removal, if set, is the removal of the event at the old time.
	Removal *EventRemoval
	// Claim, if set, is the Version of the RemovalIfUnconfirmed that was
	// recorded for Event.Key (under EmployeeID) before that event was
	// written. The move drops it in the same step, and fails with Conflict
	// if it is no longer there at that version: the sweeper took it over
	// and is removing the event.
	Claim string
	// ByCustomer says the customer moves the booking (with its cancel
	// token): CustomerReschedules rises too.
	ByCustomer bool
	// Outbox are the mails of the move.
	Outbox []Notification
	// Now is when the move happens.
	Now time.Time
}

// Moved returns b as m moves it, or the error RescheduleBooking answers
// when b cannot be moved (cancelled, pending, or changed since m.Sequence
// was read). Both stores decide by it.
func (b Booking) Moved(m Move) (Booking, error) {
	switch {
	case b.Status == Cancelled:
		return Booking{}, Errorf(BookingCancelled, "The booking is cancelled.")
	case b.Status != Confirmed:
		return Booking{}, Errorf(Conflict, "The booking is still being made; try again in a moment.")
	case b.Sequence != m.Sequence:
		return Booking{}, Errorf(Conflict, "The booking changed meanwhile; read it again.")
	}
	b.EmployeeID, b.Start, b.End, b.BufferBefore, b.BufferAfter = m.EmployeeID, m.Start, m.End, m.BufferBefore, m.BufferAfter
	b.Sequence, b.Reschedules, b.Event = b.Sequence+1, b.Reschedules+1, m.Event
	if m.ByCustomer {
		b.CustomerReschedules++
	}
	return b, nil
}

// ConnectionUpdate names the fields of a connection to change; nil fields
// stay as they are.
type ConnectionUpdate struct {
	Name                                      *string
	CheckConflicts, ShowInOverview, IsDefault *bool
	// Account is the account's address, where a provider learned it later.
	Account *string
}

// Lookup names the records Store.Look reads at once.
type Lookup struct {
	// Company asks for the company's settings.
	Company bool
	// Service, if set, asks for that service.
	Service string
	// Employees asks for these employees, each with their availability.
	Employees []string
	// IdempotencyKey, if set, asks for that key's record, unless it has
	// expired at Now.
	IdempotencyKey string
	Now            time.Time
}

// Looked is what Store.Look found. What does not exist is nil or missing
// from the maps; an employee without availability set has an empty one.
type Looked struct {
	Company      *Company
	Service      *Service
	Employees    map[string]Employee
	Availability map[string]Availability
	Idempotency  *Idempotency
}

// ReadScoper is a Store that can remember, for one request, what it read
// in order to write safely: a booking's claim and confirmation then reuse
// the day versions and bookings its check read, where a Store without it
// reads them again. What it remembers is only ever a guess that the
// write's conditions check: a stale one costs a retry, never a wrong
// write.
type ReadScoper interface {
	// WithReadScope returns ctx carrying a new, empty scope.
	WithReadScope(ctx context.Context) context.Context
}
