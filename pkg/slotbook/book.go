package slotbook

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/slotbook/slotbook/pkg/schedule"
)

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
	// Lang is the language of the customer's mails; empty: the company's.
	Lang Language

	// fp, once set, is the fingerprint of the request as the client sent
	// it, kept when the server names the employee of an "any" booking.
	fp string
}

// Validate checks the request's own fields.
func (r BookingRequest) Validate() error {
	var p Problems
	if !ValidID(r.ServiceID) {
		p.Add("service", "must be a service id")
	}
	if r.EmployeeID != "" && !ValidID(r.EmployeeID) {
		p.Add("employee", "must be an employee id, or any")
	}
	if !TimeInRange(r.Start) {
		p.Add("start", "%s", DateRangeMessage)
	}
	checkName(&p, "customer.name", r.Customer.Name, true)
	switch {
	case r.Customer.Email == "":
		p.Add("customer.email", "is required")
	case !PlainAddress(r.Customer.Email) || !strings.Contains(r.Customer.Email, "."):
		p.Add("customer.email", "must be a plain e-mail address such as chris@example.com")
	}
	if len(r.Customer.Phone) > MaxPhoneLength || strings.IndexFunc(r.Customer.Phone, notPhone) >= 0 {
		p.Add("customer.phone", "must be at most %d digits, spaces and + ( ) - . /", MaxPhoneLength)
	}
	if !utf8.ValidString(r.Notes) || utf8.RuneCountInString(r.Notes) > MaxNotesLength {
		p.Add("notes", "must be text of at most %d characters", MaxNotesLength)
	}
	if r.Lang != "" && !ValidLanguage(r.Lang) {
		p.Add("lang", "must be de or en")
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
	if r.fp != "" {
		return r.fp
	}
	h := sha256.New()
	for _, s := range []string{r.CompanyID, r.ServiceID, r.EmployeeID, r.Customer.Name, r.Customer.Email, r.Customer.Phone, r.Notes, string(r.Lang)} {
		binary.Write(h, binary.BigEndian, uint32(len(s)))
		h.Write([]byte(s))
	}
	binary.Write(h, binary.BigEndian, r.Start.UnixNano())
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// BookingResult is a booking with its cancel token, which is shown only
// here.
type BookingResult struct {
	Booking     Booking
	CancelToken string
	// Replayed is true when the result repeats an earlier request with
	// the same Idempotency-Key.
	Replayed bool
}

// Deadlines of the steps that write a booking's event.
const (
	// CalendarWriteDeadline bounds one write of a booking's event: well
	// inside the 15 s a function may run, so that a request whose calendar
	// hangs still has the time to clean up and answer.
	CalendarWriteDeadline = 5 * time.Second
	// CleanupDeadline bounds the clean-up after a failed step. It runs
	// under its own deadline even when the request's context has ended:
	// a client that gives up must not leave an event behind.
	CleanupDeadline = 4 * time.Second
)

// Book books a slot. The steps are ordered so that a crash between any two
// leaves a state that a retry with the same Idempotency-Key, or the
// sweeper (Sweep), completes or undoes — never a booking that its calendar
// lacks, never an event without a booking:
//
//  1. check the start against the slot rules, live (the /slots code path),
//     and find the employee's default calendar;
//  2. claim the time: a pending booking, the idempotency record and, if
//     there is a default calendar, the event's removal-if-unconfirmed
//     (naming the event key chosen now), in one atomic write that fails if
//     the time is taken;
//  3. write the event under that key, under its own deadline; writing the
//     same key again does not make a second event;
//  4. confirm the booking, which drops the removal-if-unconfirmed.
//
// If step 3 or 4 fails, the booking is released and its event (found by
// key, even if the write's answer was lost) removed, or its removal kept
// due for the sweeper; the answer is Unavailable (SlotTaken if the time
// was taken meanwhile). A retry with the key finds the pending booking and
// does steps 3 and 4 again; after the booking was abandoned or released,
// it books again under the same booking id and cancel token, with a new
// event key, once the old key's event is gone.
func (a *App) Book(ctx context.Context, r BookingRequest) (BookingResult, error) {
	if err := r.Validate(); err != nil {
		return BookingResult{}, err
	}
	if rs, ok := a.store.(ReadScoper); ok {
		ctx = rs.WithReadScope(ctx)
	}
	var ahead *bookingReads
	if r.EmployeeID != "" && r.EmployeeID != AnyEmployee {
		// The Idempotency-Key's record is read with all the rest.
		var err error
		if ahead, err = a.readForBooking(ctx, r, true); err != nil {
			return BookingResult{}, err
		}
		defer ahead.close()
		if rec := ahead.looked.Idempotency; rec != nil {
			return a.resume(ctx, r, *rec, 0)
		}
	} else if r.IdempotencyKey != "" {
		rec, err := a.store.Idempotency(ctx, r.CompanyID, r.IdempotencyKey, a.now())
		switch {
		case err == nil:
			return a.resume(ctx, r, rec, 0)
		case ErrorCode(err) != NotFound:
			return BookingResult{}, err
		}
	}
	if ahead == nil {
		return a.bookAny(ctx, r)
	}
	id := NewID()
	auditCreated(ctx, id)
	res, err := a.claim(ctx, r, id, newCancelToken(), id, ahead)
	if err == nil || r.IdempotencyKey == "" || (ErrorCode(err) != SlotTaken && ErrorCode(err) != Conflict) {
		return res, err
	}
	// Lost a race for the time or the key: if another request with the
	// same Idempotency-Key holds them, answer as that one does.
	rec, rerr := a.store.Idempotency(ctx, r.CompanyID, r.IdempotencyKey, a.now())
	switch {
	case rerr == nil && rec.BookingID != id:
		return a.resume(ctx, r, rec, 0)
	case rerr != nil && ErrorCode(rerr) != NotFound:
		return BookingResult{}, rerr
	}
	return BookingResult{}, err
}

// bookingReads is what a booking reads ahead (see reads.go), all at once:
// the company, the service, the employee with their availability and the
// request's Idempotency-Key record in one Look; around the start, the
// company's closures and the employee's absences, bookings and calendar
// connections. The employee's calendars are read as soon as the Look and
// the connections are in, alongside the rest.
type bookingReads struct {
	looked   Looked
	data     *employeeData
	closures []Closure
	// calendars is closed once the calendar read has ended; nil if none
	// was started (no providers). ext holds what it read if extOK.
	calendars chan struct{}
	ext       externalBusy
	extOK     bool
	stop      context.CancelFunc
}

// close stops the calendar read, if it still runs: the request needs it
// no more.
func (rd *bookingReads) close() {
	if rd != nil && rd.stop != nil {
		rd.stop()
	}
}

// readForBooking reads what booking r needs, the Idempotency-Key's record
// too if withKey. The caller closes the answer.
func (a *App) readForBooking(ctx context.Context, r BookingRequest, withKey bool) (*bookingReads, error) {
	day := schedule.DateOf(r.Start.UTC())
	lo, hi := wideRange(day, day)
	out := &bookingReads{data: &employeeData{}}
	l := Lookup{Company: true, Service: r.ServiceID, Employees: []string{r.EmployeeID}, Now: a.now()}
	if withKey {
		l.IdempotencyKey = r.IdempotencyKey
	}
	companyID, employeeID := r.CompanyID, r.EmployeeID
	g, gctx := errgroup.WithContext(ctx)
	var first sync.WaitGroup // the Look and the connections
	first.Add(1)
	g.Go(func() (err error) {
		defer first.Done()
		out.looked, err = a.store.Look(gctx, companyID, l)
		return err
	})
	g.Go(func() (err error) {
		out.closures, err = a.store.Closures(gctx, companyID, day.AddDays(-closureSlack), day.AddDays(closureSlack))
		return err
	})
	g.Go(func() (err error) {
		out.data.absences, err = a.store.Absences(gctx, companyID, employeeID, lo, hi)
		return err
	})
	g.Go(func() (err error) {
		out.data.bookings, err = a.store.Bookings(gctx, companyID, employeeID, lo, hi)
		return err
	})
	if len(a.providers) > 0 {
		first.Add(1)
		var connsErr error
		g.Go(func() error {
			defer first.Done()
			out.data.connections, connsErr = a.store.Connections(gctx, companyID, employeeID)
			return connsErr
		})
		cctx, stop := context.WithCancel(ctx)
		out.calendars, out.stop = make(chan struct{}), stop
		go func() {
			defer close(out.calendars)
			first.Wait()
			lk := out.looked
			if connsErr != nil || lk.Company == nil {
				return
			}
			emp, ok := lk.Employees[employeeID]
			if !ok {
				return
			}
			zone, err := zoneOf(*lk.Company, emp)
			if err != nil {
				return
			}
			d := schedule.DateOf(r.Start.In(zone))
			span, err := schedule.Span(d, d, zone)
			if err != nil {
				return
			}
			out.ext = a.externalBusyOf(cctx, *lk.Company, []Employee{emp}, []*time.Location{zone}, [][]Connection{out.data.connections},
				span.Start.Add(-busyMargin), span.End.Add(busyMargin), nil)
			out.extOK = true
		}()
	}
	if err := g.Wait(); err != nil {
		out.close()
		return nil, err
	}
	return out, nil
}

// parts returns the company, service and employee read, with the errors
// of bookingParts.
func (rd *bookingReads) parts(serviceID, employeeID string) (Company, Service, Employee, error) {
	l := rd.looked
	switch {
	case l.Company == nil:
		return Company{}, Service{}, Employee{}, Errorf(NotFound, "There is no such company.")
	case l.Service == nil:
		return Company{}, Service{}, Employee{}, Errorf(NotFound, "There is no such service.")
	case !l.Service.Offers(employeeID):
		return Company{}, Service{}, Employee{}, Errorf(NotFound, "There is no such employee offering this service.")
	}
	emp, ok := l.Employees[employeeID]
	if !ok {
		return Company{}, Service{}, Employee{}, Errorf(NotFound, "There is no such employee.")
	}
	rd.data.availability = l.Availability[employeeID]
	return *l.Company, *l.Service, emp, nil
}

// claim books r under booking id with the cancel token, writing its event
// under eventKey (steps 1 to 4 of Book). ahead, if not nil, is what
// readForBooking read for r.
func (a *App) claim(ctx context.Context, r BookingRequest, id, token, eventKey string, ahead *bookingReads) (BookingResult, error) {
	if ahead == nil {
		var err error
		if ahead, err = a.readForBooking(ctx, r, false); err != nil {
			return BookingResult{}, err
		}
		defer ahead.close()
	}
	c, svc, emp, err := ahead.parts(r.ServiceID, r.EmployeeID)
	if err != nil {
		return BookingResult{}, err
	}
	target, err := a.checkFree(ctx, c, svc, emp, r.Start, nil, ahead)
	if err != nil {
		return BookingResult{}, err
	}
	now := a.now()
	hash := sha256.Sum256([]byte(token))
	b := Booking{
		ID: id, EmployeeID: emp.ID, ServiceID: svc.ID,
		Start: r.Start, End: r.Start.Add(minutes(svc.DurationMinutes)),
		BufferBefore: minutes(svc.BufferBeforeMinutes), BufferAfter: minutes(svc.BufferAfterMinutes),
		Customer: r.Customer, Notes: r.Notes, CreatedAt: now,
		Status: Pending, PendingUntil: now.Add(PendingTimeout), CancelTokenHash: hash[:], Lang: r.Lang,
	}
	if target != nil {
		b.Event = EventRef{Connection: target.ID, Key: eventKey}
	}
	var idem *Idempotency
	var sealed []byte
	if r.IdempotencyKey != "" {
		sealed, err = a.sealCancelToken(ctx, c.ID, id, token)
		if err != nil {
			return BookingResult{}, &Error{Code: Internal, Message: "sealing failed", Err: err}
		}
		idem = &Idempotency{Key: r.IdempotencyKey, Fingerprint: r.fingerprint(), BookingID: id, EmployeeID: emp.ID,
			CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL), SealedCancelToken: sealed}
	}
	// Beside the claim, what the confirmation needs: the calendar's
	// connection as it is now (reading the busy times may have renewed its
	// token) and the company's webhooks. Either, if it cannot be read
	// here, is read again when needed.
	var (
		conn     *Connection
		hooks    []Webhook
		hooksErr error
		wg       sync.WaitGroup
	)
	if target != nil {
		wg.Go(func() {
			if k, err := a.store.Connection(ctx, c.ID, emp.ID, target.ID); err == nil {
				conn = &k
			}
		})
	}
	wg.Go(func() { hooks, hooksErr = a.store.Webhooks(ctx, c.ID) })
	err = a.store.CreateBooking(ctx, c.ID, b, idem)
	wg.Wait()
	if err != nil {
		return BookingResult{}, err
	}
	if hooksErr == nil {
		ctx = withWebhooks(ctx, c.ID, hooks)
	}
	return a.complete(ctx, c, svc, emp, b, token, sealed, conn)
}

// inCompanyZone returns b with its times in the company's zone, as answers give them.
func inCompanyZone(c Company, b Booking) Booking {
	if zone, err := LoadZone(c.Timezone); err == nil {
		b.Start, b.End = b.Start.In(zone), b.End.In(zone)
	}
	return b
}

// errNotBooked is the answer when a booking's calendar step failed.
func errNotBooked(cause error) error {
	if ErrorCode(cause) == SlotTaken {
		return &Error{Code: SlotTaken, Message: "This time was taken meanwhile; nothing was booked. Choose another slot.", Err: cause}
	}
	return &Error{Code: Unavailable, Message: "The calendar could not be updated; nothing was booked. Try again.", Err: cause}
}

// complete writes the event of a claimed booking and confirms it (steps 3
// and 4 of Book); if either fails, it lets go of the booking.
//
// sealed is the token as the Idempotency-Key record keeps it, if the
// request has one, so that the mail's copy costs no second sealing.
//
// conn, if not nil, is the event's connection, read just now.
func (a *App) complete(ctx context.Context, c Company, svc Service, emp Employee, b Booking, token string, sealed []byte, conn *Connection) (BookingResult, error) {
	eventID := ""
	if b.Event.Key != "" {
		var k Connection
		var err error
		if conn != nil && conn.ID == b.Event.Connection {
			k = *conn
		} else {
			k, err = a.store.Connection(ctx, c.ID, emp.ID, b.Event.Connection)
		}
		if err == nil {
			wctx, cancel := context.WithTimeout(ctx, CalendarWriteDeadline)
			eventID, err = a.putEvent(wctx, c, k, a.eventDraft(c, svc, emp, b))
			cancel()
		}
		if err != nil {
			return BookingResult{}, a.letGo(ctx, c, b, err)
		}
	}
	// The mails are recorded in the confirmation itself: confirmed once,
	// mailed once, however often the request is retried.
	now := a.now()
	outbox := a.bookedNotifications(ctx, c, emp, b, token, sealed, now)
	err := a.store.ConfirmBooking(ctx, c.ID, b.ID, eventID, now, outbox)
	if err != nil {
		// Confirmed meanwhile by a concurrent retry, or confirmed though
		// the answer was lost: then it stands.
		cctx, cancel := cleanupContext(ctx)
		cur, gerr := a.store.Booking(cctx, c.ID, b.ID)
		cancel()
		if gerr == nil && cur.Status == Confirmed {
			return BookingResult{Booking: inCompanyZone(c, cur), CancelToken: token}, nil
		}
		return BookingResult{}, a.letGo(ctx, c, b, err)
	}
	b.Status, b.Event.EventID, b.PendingUntil = Confirmed, eventID, time.Time{}
	return BookingResult{Booking: inCompanyZone(c, b), CancelToken: token}, nil
}

// cleanupContext returns the context of a clean-up: ctx's values without
// its cancellation, under CleanupDeadline.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), CleanupDeadline)
}

// letGo releases a claimed booking whose calendar step failed, removes its
// event (it may exist even if the write failed: the answer may have been
// lost) and returns the error to answer with. The release comes first and
// keeps the removal due: from then on the event's key is never written
// again, so the removal cannot race a write. If the release fails, the
// booking stays pending with its removal-if-unconfirmed, for a retry to
// complete or the sweeper to undo.
func (a *App) letGo(ctx context.Context, c Company, b Booking, cause error) error {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	rel := Release{Now: a.now()}
	if b.Event.Key != "" {
		rel.RemovalVersion = NewID()
	}
	if err := a.store.ReleaseBooking(cctx, c.ID, b.ID, rel); err != nil {
		a.log.WarnContext(ctx, "booking not released", "company", c.ID, "booking", b.ID, "err", err.Error())
		return errNotBooked(cause)
	}
	if b.Event.Key != "" {
		r := removalOf(c.ID, b, RemovalAbandoned, rel.Now)
		r.Version = rel.RemovalVersion
		if err := a.removeEvent(cctx, r); err != nil {
			a.log.WarnContext(ctx, "event removal left to the sweeper", "company", c.ID, "booking", b.ID, "err", err.Error())
		}
	}
	return errNotBooked(cause)
}

// removalOf returns the removal of b's event.
func removalOf(companyID string, b Booking, reason RemovalReason, due time.Time) EventRemoval {
	ev := b.Event
	if ev.Key == "" && ev.EventID != "" {
		ev.Key = b.ID // bookings made before event keys were kept wrote under their id
	}
	return EventRemoval{
		CompanyID: companyID, EmployeeID: b.EmployeeID, BookingID: b.ID, Event: ev,
		Start: b.Start, End: b.End, Reason: reason, Due: due, Version: NewID(),
	}
}

// eventDraft is the calendar event of a booking: service and customer in
// the title; the booking's details and a link to it in the dashboard in
// the description. Never the cancel token: whoever can read the
// employee's calendar must not be able to cancel the booking.
func (a *App) eventDraft(c Company, svc Service, emp Employee, b Booking) EventDraft {
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
	if a.dashboardURL != "" {
		q := url.Values{"employee": {emp.ID}, "date": {schedule.DateOf(b.Start.In(zone)).String()}, "booking": {b.ID}}
		fmt.Fprintf(&d, "\nIn slotbook: %s#/week?%s", a.dashboardURL, q.Encode())
	}
	return EventDraft{
		Key: b.Event.Key, Title: svc.Name + " – " + b.Customer.Name, Description: d.String(),
		Start: b.Start, End: b.End, TimeZone: zone.String(),
	}
}

// maxResumes bounds how often one request follows an Idempotency-Key to
// the booking it names.
const maxResumes = 3

// resume answers a request whose Idempotency-Key has a record.
func (a *App) resume(ctx context.Context, r BookingRequest, rec Idempotency, depth int) (BookingResult, error) {
	if rec.Fingerprint != r.fingerprint() {
		return BookingResult{}, Errorf(Unprocessable, "This Idempotency-Key was used for another request.")
	}
	if depth >= maxResumes {
		return BookingResult{}, Errorf(Unavailable, "The booking is being changed by another request; try again.")
	}
	token, err := a.openCancelToken(ctx, rec.SealedCancelToken, r.CompanyID, rec.EmployeeID, rec.BookingID)
	if err != nil {
		return BookingResult{}, &Error{Code: Internal, Message: "opening failed", Err: err}
	}
	b, err := a.store.Booking(ctx, r.CompanyID, rec.BookingID)
	now := a.now()
	switch {
	case ErrorCode(err) == NotFound:
		return a.rebook(ctx, r, rec, token, depth)
	case err != nil:
		return BookingResult{}, err
	case b.Status == Pending && b.Blocks(now):
		c, svc, emp, err := a.bookingParts(ctx, r.CompanyID, b.ServiceID, b.EmployeeID)
		if err != nil {
			return BookingResult{}, err
		}
		res, err := a.complete(ctx, c, svc, emp, b, token, rec.SealedCancelToken, nil)
		res.Replayed = err == nil
		return res, err
	case b.Status == Pending:
		// The first request died and its claim was abandoned. Release it,
		// keeping the record of the key, and book again.
		rel := Release{AbandonedAt: now, Now: now}
		if b.Event.Key != "" {
			rel.RemovalVersion = NewID()
		}
		if err := a.store.ReleaseBooking(ctx, r.CompanyID, b.ID, rel); err != nil && ErrorCode(err) != Conflict {
			return BookingResult{}, err
		}
		return a.resume(ctx, r, rec, depth+1)
	}
	// Confirmed, or cancelled since: the first answer's status code, with
	// the booking as it is now.
	c, err := a.store.Company(ctx, r.CompanyID)
	if err != nil {
		return BookingResult{}, err
	}
	return BookingResult{Booking: inCompanyZone(c, b), CancelToken: token, Replayed: true}, nil
}

// rebook books again under the booking id and cancel token of an earlier
// attempt with the same Idempotency-Key whose booking is gone (released
// after a failure, or abandoned). The earlier attempt's event, if any, is
// removed first: it would block the very time asked for, and its key is
// never written again. The new attempt writes under a new key, so that a
// late removal of the old one cannot touch it.
func (a *App) rebook(ctx context.Context, r BookingRequest, rec Idempotency, token string, depth int) (BookingResult, error) {
	removals, err := a.store.Removals(ctx, r.CompanyID, rec.EmployeeID)
	if err != nil {
		return BookingResult{}, err
	}
	for _, rm := range removals {
		if rm.BookingID != rec.BookingID {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, CalendarWriteDeadline)
		err := a.removeEvent(wctx, rm)
		cancel()
		if err != nil {
			return BookingResult{}, &Error{Code: Unavailable, Message: "The calendar could not be updated; nothing was booked. Try again.", Err: err}
		}
	}
	// The employee the first attempt had: for an "any" request, the one
	// the server chose.
	r.fp, r.EmployeeID = r.fingerprint(), rec.EmployeeID
	res, err := a.claim(ctx, r, rec.BookingID, token, rec.BookingID+"."+NewID()[:10], nil)
	if ErrorCode(err) == Conflict {
		// Another retry with the key claimed the booking first: follow it.
		rec2, rerr := a.store.Idempotency(ctx, r.CompanyID, r.IdempotencyKey, a.now())
		if rerr != nil {
			return BookingResult{}, err
		}
		return a.resume(ctx, r, rec2, depth+1)
	}
	res.Replayed = err == nil
	return res, err
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
// for start among them. It returns the employee's default calendar, where
// the booking is to be written, or nil if there is none; Unavailable if
// that calendar cannot take the booking now. moving, if not nil, is a
// booking being moved: its own time, and its own event, do not block.
func (a *App) checkFree(ctx context.Context, c Company, svc Service, emp Employee, start time.Time, moving *Booking, ahead *bookingReads) (*Connection, error) {
	zone, err := zoneOf(c, emp)
	if err != nil {
		return nil, err
	}
	day := schedule.DateOf(start.In(zone))
	span, err := schedule.Span(day, day, zone)
	if err != nil {
		return nil, err
	}
	// The employee's calendars, live, just before the claim.
	var (
		ext    externalBusy
		closed []schedule.Interval
		d      *employeeData
	)
	lo, hi := span.Start.Add(-busyMargin), span.End.Add(busyMargin)
	if ahead != nil {
		d = ahead.data
		if ahead.calendars != nil {
			<-ahead.calendars
			if ahead.extOK {
				ext = ahead.ext
			} else {
				ext = a.externalBusyOf(ctx, c, []Employee{emp}, []*time.Location{zone}, [][]Connection{d.connections}, lo, hi, moving)
			}
		}
		closed, err = closedFrom(c, ahead.closures)
	} else {
		if ext, err = a.readExternalBusy(ctx, c, []Employee{emp}, lo, hi, moving); err != nil {
			return nil, err
		}
		closed, err = a.companyClosed(ctx, c, span)
	}
	if err != nil {
		return nil, err
	}
	if reason, ok := ext.unavailable[emp.ID]; ok {
		return nil, &Error{Code: Unavailable, Message: "The employee's calendar could not be checked; nothing was booked. Try again.", Err: errors.New(reason)}
	}
	var target *Connection
	for _, k := range ext.connections[emp.ID] {
		if !k.IsDefault {
			continue
		}
		if _, ok := a.providers[k.Provider]; !ok || k.Provider == ICS {
			return nil, Errorf(Unavailable, "The employee's default calendar cannot take bookings; nothing was booked.")
		}
		if k.Status == NeedsReauth {
			return nil, Errorf(Unavailable, "The employee's default calendar must be connected again; nothing was booked.")
		}
		target = &k
	}
	q := SlotQuery{CompanyID: c.ID, ServiceID: svc.ID, EmployeeID: emp.ID, From: day, To: day, Timezone: zone.String()}
	movingID := ""
	if moving != nil {
		movingID = moving.ID
	}
	slots, err := a.employeeSlots(ctx, c, svc, emp, q, span, zone, ext.busy[emp.ID], closed, movingID, d)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(slots, func(s Slot) bool { return s.Start.Equal(start) }) {
		return nil, Errorf(SlotTaken, "This time is not free (any more). Choose another slot.")
	}
	return target, nil
}

// CancelBooking cancels a booking with its cancel token, or, without one,
// as the signed-in caller (an admin, or staff for their own bookings). It
// never fails because of the calendar: the time is freed at once, the
// event's removal recorded in the same step and tried now; a calendar that
// cannot be written keeps the removal due, and it is retried (Sweep, and
// at once when the calendar is connected again). A cancelled booking
// answers BookingCancelled.
func (a *App) CancelBooking(ctx context.Context, companyID, bookingID, token string) error {
	c, b, err := a.changeableBooking(ctx, companyID, bookingID, token)
	if err != nil {
		return err
	}
	by := CancelledByStaff
	if token != "" {
		if err := customerDeadline(c, b, a.now()); err != nil {
			return err
		}
		by = CancelledByCustomer
	}
	return a.cancel(ctx, c, b, by)
}

// cancel cancels booking b of company c, which its caller may cancel: the
// time freed, the removal of its event and the mails and events of the
// cancel recorded in one step, then the event removed (or left to the
// sweeper).
func (a *App) cancel(ctx context.Context, c Company, b Booking, by string) error {
	companyID, bookingID := c.ID, b.ID
	if b.Status == Pending {
		return Errorf(Conflict, "The booking is still being made; try again in a moment.")
	}
	var removal *EventRemoval
	if b.Event.Key != "" || b.Event.EventID != "" {
		r := removalOf(companyID, b, RemovalCancelled, a.now())
		removal = &r
	}
	emp, err := a.store.Employee(ctx, companyID, b.EmployeeID)
	if err != nil && ErrorCode(err) != NotFound {
		return err
	}
	cancelled := b
	cancelled.Sequence++
	outbox := a.changeNotifications(ctx, c, emp, cancelled, NoticeCancelled, "", nil, a.now(), change{cancelledBy: by})
	if err := a.store.CancelBooking(ctx, companyID, bookingID, removal, outbox); err != nil {
		return err
	}
	a.skipReminder(context.WithoutCancel(ctx), companyID, bookingID, SkipCancelled)
	if removal != nil {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CalendarWriteDeadline)
		defer cancel()
		if err := a.removeEvent(wctx, *removal); err != nil {
			a.log.WarnContext(ctx, "event removal left to the sweeper", "company", companyID, "booking", bookingID, "err", err.Error())
		}
	}
	return nil
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
	lists := make([][]Booking, 2*len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallel)
	for i, id := range ids {
		g.Go(func() (err error) {
			lists[2*i], err = a.store.Bookings(gctx, companyID, id, start, end)
			return err
		})
		g.Go(func() (err error) {
			lists[2*i+1], err = a.store.CancelledBookings(gctx, companyID, id, start, end)
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

// cancelTokenContext binds a sealed cancel token to its booking, not to
// its employee: a booking may move to another employee, and its token with
// it.
func cancelTokenContext(companyID, bookingID string) SecretContext {
	return SecretContext{Company: companyID, Employee: tokenOwner, Purpose: "cancel-token:" + bookingID}
}

// tokenOwner stands for the employee in the context of a cancel token (KMS
// wants no empty values).
const tokenOwner = "booking"

// sealCancelToken seals a booking's cancel token for storage.
func (a *App) sealCancelToken(ctx context.Context, companyID, bookingID, token string) ([]byte, error) {
	return a.secrets.Seal(ctx, []byte(token), cancelTokenContext(companyID, bookingID))
}

// openCancelToken opens a sealed cancel token of a booking. Tokens sealed
// before bookings could move were bound to the booking's employee then,
// given as employeeID.
func (a *App) openCancelToken(ctx context.Context, sealed []byte, companyID, employeeID, bookingID string) (string, error) {
	tok, err := a.secrets.Open(ctx, sealed, cancelTokenContext(companyID, bookingID))
	if err != nil && employeeID != "" {
		var lerr error
		tok, lerr = a.secrets.Open(ctx, sealed, SecretContext{Company: companyID, Employee: employeeID, Purpose: "cancel-token:" + bookingID})
		if lerr == nil {
			err = nil
		}
	}
	return string(tok), err
}

// customerDeadline refuses a customer's change of b (cancel or move) later
// than the company's cancelNoticeMinutes before its start.
func customerDeadline(c Company, b Booking, now time.Time) error {
	if c.CancelNoticeMinutes > 0 && now.After(b.Start.Add(-minutes(c.CancelNoticeMinutes))) {
		return Errorf(TooLate, "This appointment can no longer be changed online: changes are possible until %d minutes before it starts. Please contact the company.", c.CancelNoticeMinutes)
	}
	return nil
}
