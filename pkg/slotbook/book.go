package slotbook

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/seal"
)

// Calendars writes bookings into employees' default calendars.
type Calendars interface {
	// PutBookingEvent writes the event of a booking into employee e's
	// default calendar and returns where it is; ok is false if the
	// employee has no default calendar. The event's id derives from
	// draft.Key (the booking's id), so writing the same booking again does
	// not make a second event. It returns Unavailable if the calendar
	// could not be written.
	PutBookingEvent(ctx context.Context, c Company, e Employee, draft EventDraft) (ref EventRef, ok bool, err error)
	// DeleteBookingEvent removes an event PutBookingEvent wrote; an event
	// that is gone already is no error. It returns Unavailable if the
	// calendar could not be reached.
	DeleteBookingEvent(ctx context.Context, c Company, e Employee, ref EventRef) error
}

// NoCalendars is Calendars for employees without external calendars: no
// one has a default calendar.
type NoCalendars struct{}

// PutBookingEvent implements Calendars: there is no default calendar.
func (NoCalendars) PutBookingEvent(context.Context, Company, Employee, EventDraft) (EventRef, bool, error) {
	return EventRef{}, false, nil
}

// DeleteBookingEvent implements Calendars: there is nothing to delete.
func (NoCalendars) DeleteBookingEvent(context.Context, Company, Employee, EventRef) error { return nil }

// Limits of a booking request.
const (
	MaxPhoneLength          = 40
	MaxNotesLength          = 2000
	MaxIdempotencyKeyLength = 255
	MaxBookingRangeDays     = 62
)

// BookingRequest asks for a booking.
type BookingRequest struct {
	CompanyID  string
	ServiceID  string
	EmployeeID string
	Start      time.Time
	Customer   Customer
	Notes      string
	// IdempotencyKey, if set, makes retries of the request book once.
	IdempotencyKey string
}

// Validate checks the request's own fields.
func (r BookingRequest) Validate() error {
	var p Problems
	if !ValidID(r.ServiceID) {
		p.Add("service", "must be a service id")
	}
	if !ValidID(r.EmployeeID) {
		p.Add("employee", "must be an employee id")
	}
	checkName(&p, "customer.name", r.Customer.Name, true)
	switch a, err := mail.ParseAddress(r.Customer.Email); {
	case r.Customer.Email == "":
		p.Add("customer.email", "is required")
	case err != nil || a.Address != r.Customer.Email || len(r.Customer.Email) > MaxEmailLength || !strings.Contains(a.Address, "."):
		p.Add("customer.email", "must be a plain e-mail address such as chris@example.com")
	}
	if len(r.Customer.Phone) > MaxPhoneLength || strings.IndexFunc(r.Customer.Phone, notPhone) >= 0 {
		p.Add("customer.phone", "must be at most %d digits, spaces and + ( ) - . /", MaxPhoneLength)
	}
	if !utf8.ValidString(r.Notes) || utf8.RuneCountInString(r.Notes) > MaxNotesLength {
		p.Add("notes", "must be text of at most %d characters", MaxNotesLength)
	}
	if r.IdempotencyKey != "" && (len(r.IdempotencyKey) > MaxIdempotencyKeyLength || strings.IndexFunc(r.IdempotencyKey, notKeyChar) >= 0) {
		p.Add("Idempotency-Key", "must be 1 to %d printable ASCII characters without spaces", MaxIdempotencyKeyLength)
	}
	return p.Err()
}

func notPhone(r rune) bool   { return !strings.ContainsRune("0123456789+()-./ ", r) }
func notKeyChar(r rune) bool { return r < '!' || r > '~' }

// fingerprint identifies the request: a retry with the same key must be the same request.
func (r BookingRequest) fingerprint() string {
	h := sha256.New()
	for _, s := range []string{r.CompanyID, r.ServiceID, r.EmployeeID, r.Customer.Name, r.Customer.Email, r.Customer.Phone, r.Notes} {
		binary.Write(h, binary.BigEndian, uint32(len(s)))
		h.Write([]byte(s))
	}
	binary.Write(h, binary.BigEndian, r.Start.UnixNano())
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// BookingResult is a confirmed booking with its cancel token, which is
// shown only here.
type BookingResult struct {
	Booking     Booking
	CancelToken string
	// Replayed is true when the result repeats an earlier request with
	// the same Idempotency-Key.
	Replayed bool
}

// Book books a slot. The steps are ordered so that a crash between any two
// leaves a state that a retry with the same Idempotency-Key completes:
//
//  1. check the start against the slot rules, live (the /slots code path);
//  2. claim the time: a pending booking, with the idempotency record, in
//     one atomic write that fails if the time is taken;
//  3. write the event into the default calendar under an id derived from
//     the booking's, so that writing it again does not duplicate it;
//  4. confirm the booking.
//
// If step 3 fails, the claim and the record are released and the answer is
// Unavailable: never a booking that the calendar lacks, never an event
// without a booking. A retry with the key after a crash finds the pending
// booking and does steps 3 and 4 again. A pending booking whose request
// died blocks its time only for PendingTimeout.
func (a *App) Book(ctx context.Context, r BookingRequest) (BookingResult, error) {
	if err := r.Validate(); err != nil {
		return BookingResult{}, err
	}
	if r.IdempotencyKey != "" {
		rec, err := a.store.Idempotency(ctx, r.CompanyID, r.IdempotencyKey, a.now())
		switch {
		case err == nil:
			return a.resume(ctx, r, rec)
		case ErrorCode(err) != NotFound:
			return BookingResult{}, err
		}
	}
	c, svc, emp, err := a.bookingParts(ctx, r.CompanyID, r.ServiceID, r.EmployeeID)
	if err != nil {
		return BookingResult{}, err
	}
	if err := a.checkFree(ctx, c, svc, emp, r.Start); err != nil {
		return a.afterRace(ctx, r, err)
	}

	now := a.now()
	token := newCancelToken()
	hash := sha256.Sum256([]byte(token))
	b := Booking{
		ID: NewID(), EmployeeID: emp.ID, ServiceID: svc.ID,
		Start: r.Start, End: r.Start.Add(minutes(svc.DurationMinutes)),
		BufferBefore: minutes(svc.BufferBeforeMinutes), BufferAfter: minutes(svc.BufferAfterMinutes),
		Customer: r.Customer, Notes: r.Notes, CreatedAt: now,
		Status: Pending, PendingUntil: now.Add(PendingTimeout), CancelTokenHash: hash[:],
	}
	var idem *Idempotency
	if r.IdempotencyKey != "" {
		sealed, err := a.secrets.Seal(ctx, []byte(token), cancelTokenContext(c.ID, b))
		if err != nil {
			return BookingResult{}, &Error{Code: Internal, Message: "sealing failed", Err: err}
		}
		idem = &Idempotency{Key: r.IdempotencyKey, Fingerprint: r.fingerprint(), BookingID: b.ID,
			CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL), SealedCancelToken: sealed}
	}
	if err := a.store.CreateBooking(ctx, c.ID, b, idem); err != nil {
		return a.afterRace(ctx, r, err)
	}
	return a.complete(ctx, c, svc, emp, b, token, r.IdempotencyKey)
}

// inCompanyZone returns b with its times in the company's zone, as answers give them.
func inCompanyZone(c Company, b Booking) Booking {
	if zone, err := LoadZone(c.Timezone); err == nil {
		b.Start, b.End = b.Start.In(zone), b.End.In(zone)
	}
	return b
}

// afterRace handles a booking that lost its time or its key: if another
// request with the same Idempotency-Key holds them, it answers as that one
// did; else err stands.
func (a *App) afterRace(ctx context.Context, r BookingRequest, err error) (BookingResult, error) {
	code := ErrorCode(err)
	if r.IdempotencyKey == "" || (code != SlotTaken && code != Conflict) {
		return BookingResult{}, err
	}
	rec, rerr := a.store.Idempotency(ctx, r.CompanyID, r.IdempotencyKey, a.now())
	switch {
	case rerr == nil:
		return a.resume(ctx, r, rec)
	case ErrorCode(rerr) != NotFound:
		return BookingResult{}, rerr
	}
	return BookingResult{}, err
}

// complete writes the calendar event of a claimed booking and confirms it
// (steps 3 and 4 of Book).
func (a *App) complete(ctx context.Context, c Company, svc Service, emp Employee, b Booking, token, key string) (BookingResult, error) {
	ref, _, err := a.calendars.PutBookingEvent(ctx, c, emp, a.eventDraft(c, svc, emp, b, token))
	if err != nil {
		return BookingResult{}, a.release(ctx, c, emp, b, EventRef{}, key, err)
	}
	if err := a.store.ConfirmBooking(ctx, c.ID, b.ID, ref, a.now()); err != nil {
		if ErrorCode(err) == Conflict {
			// Confirmed meanwhile by a concurrent retry, or abandoned.
			if cur, gerr := a.store.Booking(ctx, c.ID, b.ID); gerr == nil && cur.Status == Confirmed {
				return BookingResult{Booking: inCompanyZone(c, cur), CancelToken: token}, nil
			}
		}
		return BookingResult{}, a.release(ctx, c, emp, b, ref, key, err)
	}
	b.Status, b.Event, b.PendingUntil = Confirmed, ref, time.Time{}
	return BookingResult{Booking: inCompanyZone(c, b), CancelToken: token}, nil
}

// eventDraft is the calendar event of a booking: service and customer in
// the title; the booking's details and a cancel link in the description.
func (a *App) eventDraft(c Company, svc Service, emp Employee, b Booking, token string) EventDraft {
	zone, err := zoneOf(c, emp)
	if err != nil {
		zone = time.UTC
	}
	var d strings.Builder
	fmt.Fprintf(&d, "%s with %s, booked through slotbook for %s.\n\n", svc.Name, emp.Name, c.Name)
	fmt.Fprintf(&d, "Customer: %s <%s>", b.Customer.Name, b.Customer.Email)
	if b.Customer.Phone != "" {
		fmt.Fprintf(&d, ", %s", b.Customer.Phone)
	}
	if b.Notes != "" {
		fmt.Fprintf(&d, "\nNotes: %s", b.Notes)
	}
	fmt.Fprintf(&d, "\nBooking: %s", b.ID)
	if a.publicURL != "" {
		// The token goes in the fragment, which browsers never send to a server.
		fmt.Fprintf(&d, "\nCancel: %s/widget/cancel.html#company=%s&booking=%s&token=%s", a.publicURL, c.ID, b.ID, token)
	}
	return EventDraft{
		Key: b.ID, Title: svc.Name + " – " + b.Customer.Name, Description: d.String(),
		Start: b.Start, End: b.End, TimeZone: zone.String(),
	}
}

// release undoes a claim whose calendar step failed and returns the
// Unavailable error to answer with.
func (a *App) release(ctx context.Context, c Company, emp Employee, b Booking, ref EventRef, key string, cause error) error {
	if ref != (EventRef{}) {
		if err := a.calendars.DeleteBookingEvent(ctx, c, emp, ref); err != nil {
			cause = err // the event stays; the booking stays pending, blocking, until it is abandoned
			return &Error{Code: Unavailable, Message: "The calendar could not be updated; nothing was booked. Try again.", Err: cause}
		}
	}
	if err := a.store.ReleaseBooking(ctx, c.ID, b.ID, key); err != nil {
		cause = err
	}
	return &Error{Code: Unavailable, Message: "The calendar could not be updated; nothing was booked. Try again.", Err: cause}
}

// resume answers a request whose Idempotency-Key has a record.
func (a *App) resume(ctx context.Context, r BookingRequest, rec Idempotency) (BookingResult, error) {
	if rec.Fingerprint != r.fingerprint() {
		return BookingResult{}, Errorf(Unprocessable, "This Idempotency-Key was used for another request.")
	}
	b, err := a.store.Booking(ctx, r.CompanyID, rec.BookingID)
	if err != nil {
		return BookingResult{}, err
	}
	tok, err := a.secrets.Open(ctx, rec.SealedCancelToken, cancelTokenContext(r.CompanyID, b))
	if err != nil {
		return BookingResult{}, &Error{Code: Internal, Message: "opening failed", Err: err}
	}
	token := string(tok)
	switch {
	case b.Status == Pending && b.Blocks(a.now()):
		c, svc, emp, err := a.bookingParts(ctx, r.CompanyID, b.ServiceID, b.EmployeeID)
		if err != nil {
			return BookingResult{}, err
		}
		res, err := a.complete(ctx, c, svc, emp, b, token, r.IdempotencyKey)
		res.Replayed = err == nil
		return res, err
	case b.Status == Pending:
		// The first request died and its claim was abandoned: start again.
		if err := a.store.ReleaseBooking(ctx, r.CompanyID, b.ID, r.IdempotencyKey); err != nil {
			return BookingResult{}, err
		}
		return a.Book(ctx, r)
	}
	// Confirmed (or cancelled since): the first answer again.
	c, err := a.store.Company(ctx, r.CompanyID)
	if err != nil {
		return BookingResult{}, err
	}
	b.Status = Confirmed
	return BookingResult{Booking: inCompanyZone(c, b), CancelToken: token, Replayed: true}, nil
}

// bookingParts loads what a booking needs and checks that the employee
// offers the service.
func (a *App) bookingParts(ctx context.Context, companyID, serviceID, employeeID string) (Company, Service, Employee, error) {
	c, err := a.store.Company(ctx, companyID)
	if err != nil {
		return Company{}, Service{}, Employee{}, notFoundAs(err, "There is no such company.")
	}
	svc, err := a.store.Service(ctx, companyID, serviceID)
	if err != nil {
		return Company{}, Service{}, Employee{}, notFoundAs(err, "There is no such service.")
	}
	if !svc.Offers(employeeID) {
		return Company{}, Service{}, Employee{}, Errorf(NotFound, "There is no such employee offering this service.")
	}
	emp, err := a.store.Employee(ctx, companyID, employeeID)
	if err != nil {
		return Company{}, Service{}, Employee{}, notFoundAs(err, "There is no such employee.")
	}
	return c, svc, emp, nil
}

// checkFree checks start against the slot rules through the same code as
// /slots: it computes the employee's slots on the date of start and looks
// for start among them.
func (a *App) checkFree(ctx context.Context, c Company, svc Service, emp Employee, start time.Time) error {
	zone, err := zoneOf(c, emp)
	if err != nil {
		return err
	}
	day := schedule.DateOf(start.In(zone))
	span, err := schedule.Span(day, day, zone)
	if err != nil {
		return err
	}
	// The employee's calendars, live, just before the claim.
	ext, err := a.readExternalBusy(ctx, c, []Employee{emp}, span.Start.Add(-busyMargin), span.End.Add(busyMargin))
	if err != nil {
		return err
	}
	if reason, ok := ext.unavailable[emp.ID]; ok {
		return &Error{Code: Unavailable, Message: "The employee's calendar could not be checked; nothing was booked. Try again.", Err: errors.New(reason)}
	}
	q := SlotQuery{CompanyID: c.ID, ServiceID: svc.ID, EmployeeID: emp.ID, From: day, To: day, Timezone: zone.String()}
	slots, err := a.employeeSlots(ctx, c, svc, emp, q, span, zone, ext.busy[emp.ID])
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(slots, func(s Slot) bool { return s.Start.Equal(start) }) {
		return Errorf(SlotTaken, "This time is not free (any more). Choose another slot.")
	}
	return nil
}

// CancelBooking cancels a booking with its cancel token, or, without one,
// as the signed-in caller (an admin, or staff for their own bookings). The
// calendar event is removed first, so that a retry after a failure still
// finds a booking to cancel.
func (a *App) CancelBooking(ctx context.Context, companyID, bookingID, token string) error {
	var c Company
	var err error
	if token == "" {
		if _, ok := PrincipalFrom(ctx); !ok {
			return Errorf(Unauthorized, "Send the booking's cancel token, or sign in.")
		}
		if c, err = a.authorize(ctx, companyID, Read, ""); err != nil {
			return err
		}
	} else if c, err = a.store.Company(ctx, companyID); err != nil {
		return notFoundAs(err, "There is no such booking.")
	}
	b, err := a.store.Booking(ctx, companyID, bookingID)
	if err != nil {
		return notFoundAs(err, "There is no such booking.")
	}
	if token != "" {
		h := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(h[:], b.CancelTokenHash) != 1 {
			return Errorf(Forbidden, "The cancel token does not fit this booking.")
		}
	} else if err := Authorize(ctx, c, EditEmployee, b.EmployeeID); err != nil {
		return err
	}
	if b.Status == Cancelled {
		return nil
	}
	if b.Event != (EventRef{}) {
		emp, err := a.store.Employee(ctx, companyID, b.EmployeeID)
		if err != nil && ErrorCode(err) != NotFound {
			return err
		}
		if err := a.calendars.DeleteBookingEvent(ctx, c, emp, b.Event); err != nil {
			return &Error{Code: Unavailable, Message: "The calendar event could not be removed; the booking stands. Try again.", Err: err}
		}
	}
	return a.store.CancelBooking(ctx, companyID, bookingID)
}

// Bookings lists the bookings of a company (or one employee) that overlap
// the dates of rng, read in the company's zone, sorted by start, then
// employee. Staff see only their own.
func (a *App) Bookings(ctx context.Context, companyID, employeeID string, from, to schedule.Date) ([]Booking, error) {
	c, err := a.authorize(ctx, companyID, Read, "")
	if err != nil {
		return nil, err
	}
	if p, _ := PrincipalFrom(ctx); p.Role == RoleStaff {
		if employeeID != "" && employeeID != p.Subject {
			return nil, Errorf(Forbidden, "Staff see only their own bookings.")
		}
		employeeID = p.Subject
	}
	zone, err := LoadZone(c.Timezone)
	if err != nil {
		return nil, err
	}
	if to.Before(from) || from.DaysUntil(to) >= MaxBookingRangeDays {
		return nil, FieldErrorf("to", "must not be before from, and at most %d days after it", MaxBookingRangeDays-1)
	}
	start, end := schedule.At(from, 0, zone), schedule.At(to, schedule.EndOfDay, zone)
	ids := []string{employeeID}
	if employeeID == "" {
		emps, err := a.store.Employees(ctx, companyID)
		if err != nil {
			return nil, err
		}
		ids = ids[:0]
		for _, e := range emps {
			ids = append(ids, e.ID)
		}
	} else if _, err := a.store.Employee(ctx, companyID, employeeID); err != nil {
		return nil, err
	}
	lists := make([][]Booking, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallel)
	for i, id := range ids {
		g.Go(func() (err error) {
			lists[i], err = a.store.Bookings(gctx, companyID, id, start, end)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := []Booking{}
	for _, l := range lists {
		for _, b := range l {
			if b.Status == Pending && !b.Blocks(a.now()) {
				continue // abandoned claims were never bookings
			}
			b.Start, b.End, b.CreatedAt = b.Start.In(zone), b.End.In(zone), b.CreatedAt.In(zone)
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(x, y Booking) int {
		return cmp.Or(x.Start.Compare(y.Start), cmp.Compare(x.EmployeeID, y.EmployeeID), cmp.Compare(x.ID, y.ID))
	})
	return out, nil
}

// newCancelToken returns 32 random bytes, base64url: 43 characters.
func newCancelToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// cancelTokenContext binds a sealed cancel token to its booking.
func cancelTokenContext(companyID string, b Booking) seal.Context {
	return seal.Context{Company: companyID, Employee: b.EmployeeID, Connection: "cancel-token:" + b.ID}
}
