package slotbook

import (
	"context"
	"time"
)

// Store keeps slotbook's own data. Every method takes the company id of the
// request and reaches only that company's items. Methods return an *Error
// with code NotFound, Conflict, Unprocessable or SlotTaken as documented;
// any other failure is Internal or Unavailable. Implementations are safe
// for concurrent use.
type Store interface {
	// Company returns the company, or NotFound.
	Company(ctx context.Context, companyID string) (Company, error)
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

	// Bookings returns an employee's bookings whose time overlaps
	// [from, to), ordered by start.
	Bookings(ctx context.Context, companyID, employeeID string, from, to time.Time) ([]Booking, error)
	// CreateBooking records a booking if no other booking of the employee
	// that blocks its time at b.CreatedAt (Booking.Blocks) overlaps it,
	// both widened by their buffers; else it returns SlotTaken. It returns Conflict if the id is taken. With idem, the
	// idempotency record is written in the same atomic step, and Conflict
	// is returned if a record of idem.Key exists that has not expired at
	// idem.CreatedAt (expiry is decided by ExpiresAt, never by whether a
	// TTL sweep has removed the record yet).
	CreateBooking(ctx context.Context, companyID string, b Booking, idem *Idempotency) error
	// Booking returns a booking by id, or NotFound.
	Booking(ctx context.Context, companyID, bookingID string) (Booking, error)
	// ConfirmBooking turns a pending booking that has not been abandoned at
	// now into a confirmed one with its calendar event. It returns NotFound,
	// or Conflict if the booking is not pending or was abandoned.
	ConfirmBooking(ctx context.Context, companyID, bookingID string, event EventRef, now time.Time) error
	// CancelBooking marks a booking cancelled, which frees its time at
	// once; cancelling twice is no error. It returns NotFound.
	CancelBooking(ctx context.Context, companyID, bookingID string) error
	// ReleaseBooking removes a booking that never became confirmed, with
	// the idempotency record of idempotencyKey if that names it, so that
	// the time and the key are free again. Removing a missing booking is no
	// error; a confirmed one is Conflict (it must be cancelled instead).
	ReleaseBooking(ctx context.Context, companyID, bookingID, idempotencyKey string) error
	// Connections returns an employee's calendar connections, ordered by
	// id, with IsDefault set on the employee's default one.
	Connections(ctx context.Context, companyID, employeeID string) ([]Connection, error)
	// Connection returns one calendar connection, or NotFound.
	Connection(ctx context.Context, companyID, employeeID, connectionID string) (Connection, error)
	// PutConnection creates or replaces a connection of an existing
	// employee (NotFound otherwise). If k.IsDefault, k becomes the
	// employee's one default connection, atomically; if k is the default
	// and k.IsDefault is false, the employee has no default any more.
	PutConnection(ctx context.Context, companyID string, k Connection) error
	// SetConnectionAuth replaces a connection's sealed secret (unless
	// sealed is nil) and status, leaving its switches alone. It returns
	// NotFound.
	SetConnectionAuth(ctx context.Context, companyID, employeeID, connectionID string, sealed []byte, status ConnectionStatus) error
	// DeleteConnection removes a connection (and the default mark, if it
	// was the default), or returns NotFound.
	DeleteConnection(ctx context.Context, companyID, employeeID, connectionID string) error

	// Idempotency returns the record of key that has not expired at now,
	// or NotFound.
	Idempotency(ctx context.Context, companyID, key string, now time.Time) (Idempotency, error)
}
