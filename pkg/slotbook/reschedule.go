package slotbook

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"time"
)

// RescheduleRequest asks to move a booking to another time, and maybe to
// another employee who offers its service.
type RescheduleRequest struct {
	CompanyID string
	BookingID string
	// Token is the booking's cancel token: its customer moves it, bound
	// by the company's deadlines. Empty: the signed-in caller moves it (an
	// admin, or staff their own bookings), bound by neither.
	Token string
	// EmployeeID is the booking's employee from now on; empty keeps it.
	EmployeeID string
	Start      time.Time
}

// Validate checks the request's own fields.
func (r RescheduleRequest) Validate() error {
	var p Problems
	if r.EmployeeID != "" && (!ValidID(r.EmployeeID) || r.EmployeeID == AnyEmployee) {
		p.Add("employee", "must be an employee id")
	}
	if !TimeInRange(r.Start) {
		p.Add("start", "%s", DateRangeMessage)
	}
	return p.Err()
}

// Reschedule moves a booking. The new time is checked as a booking's is
// (the slot rules, live, external calendars included), except that the
// booking's own time and its own event do not block it. The steps keep
// the booking's calendar right through a crash between any two — at most
// a moment of two events, never a booking without its event:
//
//  1. if the employee has a default calendar, record a
//     removal-if-unconfirmed (the claim) of a new event key, then write
//     the event at the new time under that key;
//  2. move the booking in one atomic step: the old time freed, the new one
//     claimed, the claim dropped (the move fails if the sweeper has taken
//     it over), the old event's removal and the mails recorded;
//  3. remove the old event (or leave its removal to the sweeper).
//
// If step 2 fails, the new event is removed again (or its claim falls due
// for the sweeper) and the booking keeps its time and event. Writing the
// new event in place of updating the old one is what makes a crash
// harmless: an update in place that the move never followed would leave
// the event at a time the booking does not have, with nothing left to
// tell so.
//
// The customer (with the token) may move a booking until the company's
// cancelNoticeMinutes before its start (TooLate) and at most
// MaxCustomerReschedules times (RescheduleLimit). A move to the booking's
// own time and employee changes nothing and answers the booking.
func (a *App) Reschedule(ctx context.Context, r RescheduleRequest) (Booking, error) {
	if err := r.Validate(); err != nil {
		return Booking{}, err
	}
	c, b, err := a.changeableBooking(ctx, r.CompanyID, r.BookingID, r.Token)
	if err != nil {
		return Booking{}, err
	}
	employeeID := cmp.Or(r.EmployeeID, b.EmployeeID)
	now := a.now()
	if r.Token != "" {
		if err := customerDeadline(c, b, now); err != nil {
			return Booking{}, err
		}
		if b.CustomerReschedules >= c.MaxCustomerReschedules {
			return Booking{}, Errorf(RescheduleLimit, "This appointment has been moved as often as can be done online (%d). Please contact the company.", c.MaxCustomerReschedules)
		}
	} else if employeeID != b.EmployeeID {
		if err := Authorize(ctx, c, EditEmployee, employeeID); err != nil {
			return Booking{}, err
		}
	}
	if b.Status == Pending {
		return Booking{}, Errorf(Conflict, "The booking is still being made; try again in a moment.")
	}
	if employeeID == b.EmployeeID && r.Start.Equal(b.Start) {
		return inCompanyZone(c, b), nil
	}
	svc, err := a.store.Service(ctx, c.ID, b.ServiceID)
	if err != nil {
		return Booking{}, notFoundAs(err, "The booking's service no longer exists; it cannot be moved.")
	}
	if !svc.Offers(employeeID) {
		return Booking{}, FieldErrorf("employee", "does not offer this booking's service")
	}
	emp, err := a.store.Employee(ctx, c.ID, employeeID)
	if ErrorCode(err) == NotFound {
		return Booking{}, FieldErrorf("employee", "does not exist")
	} else if err != nil {
		return Booking{}, err
	}
	target, err := a.checkFree(ctx, c, svc, emp, r.Start, &b, nil)
	if err != nil {
		return Booking{}, err
	}

	m := Move{
		EmployeeID: emp.ID, Start: r.Start, End: r.Start.Add(minutes(svc.DurationMinutes)),
		BufferBefore: minutes(svc.BufferBeforeMinutes), BufferAfter: minutes(svc.BufferAfterMinutes),
		Sequence: b.Sequence, ByCustomer: r.Token != "", Now: now,
	}
	if b.Event.Key != "" || b.Event.EventID != "" {
		old := removalOf(c.ID, b, RemovalMoved, now)
		m.Removal = &old
	}
	var claim *EventRemoval
	if target != nil {
		key := b.ID + "." + NewID()[:10]
		m.Event = EventRef{Connection: target.ID, Key: key}
		at, _ := b.Moved(m)
		claim = &EventRemoval{
			CompanyID: c.ID, EmployeeID: emp.ID, BookingID: b.ID, Event: m.Event,
			Start: m.Start, End: m.End, Reason: RemovalIfUnconfirmed,
			Due: now.Add(PendingTimeout + RemovalGrace), Version: NewID(),
		}
		if err := a.store.PutRemoval(ctx, *claim, ""); err != nil {
			return Booking{}, err
		}
		wctx, cancel := context.WithTimeout(ctx, CalendarWriteDeadline)
		eventID, err := a.putEvent(wctx, c, *target, a.eventDraft(c, svc, emp, at))
		cancel()
		if err != nil {
			a.dropClaim(ctx, *claim)
			return Booking{}, &Error{Code: Unavailable, Message: "The calendar could not be updated; the booking keeps its time. Try again.", Err: err}
		}
		m.Event.EventID, m.Claim = eventID, claim.Version
	}
	moved, err := b.Moved(m)
	if err != nil {
		return Booking{}, err
	}
	sealed := []byte(nil)
	if r.Token == "" {
		sealed = a.sealedToken(ctx, c.ID, b.ID)
	}
	m.Outbox = a.changeNotifications(ctx, c, emp, moved, NoticeRescheduled, r.Token, sealed, now,
		change{previousStart: b.Start, previousEmployee: b.EmployeeID})
	if err := a.store.RescheduleBooking(ctx, c.ID, b.ID, m); err != nil {
		// The answer may have been lost after the move committed: the
		// booking then has the new event's key (or, without an event, the
		// next sequence at the new time) and the move stands.
		cctx, cancel := cleanupContext(ctx)
		cur, gerr := a.store.Booking(cctx, c.ID, b.ID)
		cancel()
		if gerr != nil || cur.Sequence != moved.Sequence || cur.Event.Key != moved.Event.Key ||
			!cur.Start.Equal(moved.Start) || cur.EmployeeID != moved.EmployeeID {
			if claim != nil {
				a.dropClaim(ctx, *claim)
			}
			if ErrorCode(err) == SlotTaken {
				return Booking{}, &Error{Code: SlotTaken, Message: "This time was taken meanwhile; the booking keeps its time. Choose another slot.", Err: err}
			}
			return Booking{}, err
		}
		moved = cur
	}
	if !hasReminder(m.Outbox) {
		a.skipReminder(context.WithoutCancel(ctx), c.ID, b.ID, SkipMoved)
	}
	if m.Removal != nil {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CalendarWriteDeadline)
		defer cancel()
		if err := a.removeEvent(wctx, *m.Removal); err != nil {
			a.log.WarnContext(ctx, "event removal left to the sweeper", "company", c.ID, "booking", b.ID, "err", err.Error())
		}
	}
	return inCompanyZone(c, moved), nil
}

// dropClaim removes the event of a move that did not happen, and its
// claim; what fails stays due for the sweeper.
func (a *App) dropClaim(ctx context.Context, claim EventRemoval) {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if err := a.removeEvent(cctx, claim); err != nil {
		a.log.WarnContext(ctx, "event removal left to the sweeper", "company", claim.CompanyID, "booking", claim.BookingID, "err", err.Error())
	}
}

// hasReminder reports whether outbox sets the booking's reminder.
func hasReminder(outbox []Notification) bool {
	for _, n := range outbox {
		if n.ID == ReminderID {
			return true
		}
	}
	return false
}

// sealedToken returns the booking's cancel token as its customer's mails
// keep it sealed, for the links of a mail the company's change causes; nil
// if none has it.
func (a *App) sealedToken(ctx context.Context, companyID, bookingID string) []byte {
	ns, err := a.store.Notifications(ctx, companyID, bookingID)
	if err != nil {
		return nil
	}
	for _, n := range ns {
		if n.To == ToCustomer && len(n.SealedToken) > 0 {
			return n.SealedToken
		}
	}
	return nil
}

// changeableBooking loads a booking that its customer (with its cancel
// token) or the signed-in caller (an admin, or staff for their own
// bookings) is about to change, with its company. A cancelled booking is
// BookingCancelled; a claim that was abandoned was never a booking
// (NotFound).
func (a *App) changeableBooking(ctx context.Context, companyID, bookingID, token string) (Company, Booking, error) {
	c, b, err := a.bookingWithToken(ctx, companyID, bookingID, token, EditEmployee)
	if err != nil {
		return Company{}, Booking{}, err
	}
	if b.Status == Cancelled {
		return Company{}, Booking{}, Errorf(BookingCancelled, "This booking is cancelled already.")
	}
	return c, b, nil
}

// bookingWithToken loads a booking for its customer (token set: it must
// fit) or for the signed-in caller with the access need. A pending
// booking whose claim was abandoned is NotFound.
func (a *App) bookingWithToken(ctx context.Context, companyID, bookingID, token string, need Access) (Company, Booking, error) {
	var c Company
	var err error
	if token == "" {
		if _, ok := PrincipalFrom(ctx); !ok {
			return Company{}, Booking{}, Errorf(Unauthorized, "Send the booking's cancel token, or sign in.")
		}
		if c, err = a.authorize(ctx, companyID, Read, ""); err != nil {
			return Company{}, Booking{}, err
		}
	} else if c, err = a.store.Company(ctx, companyID); err != nil {
		return Company{}, Booking{}, notFoundAs(err, "There is no such booking.")
	}
	b, err := a.store.Booking(ctx, companyID, bookingID)
	if err != nil {
		return Company{}, Booking{}, notFoundAs(err, "There is no such booking.")
	}
	if token != "" {
		h := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(h[:], b.CancelTokenHash) != 1 {
			return Company{}, Booking{}, Errorf(Forbidden, "The cancel token does not fit this booking.")
		}
	} else if err := Authorize(ctx, c, need, b.EmployeeID); err != nil {
		return Company{}, Booking{}, err
	}
	if b.Status == Pending && !b.Blocks(a.now()) {
		return Company{}, Booking{}, Errorf(NotFound, "There is no such booking.")
	}
	return c, b, nil
}

// CustomerBooking returns a booking, in the company's zone, to its
// customer: the holder of its cancel token (the widget's cancel and
// reschedule pages show what they change).
func (a *App) CustomerBooking(ctx context.Context, companyID, bookingID, token string) (Booking, error) {
	if token == "" {
		return Booking{}, Errorf(Unauthorized, "Send the booking's cancel token.")
	}
	c, b, err := a.bookingWithToken(ctx, companyID, bookingID, token, Read)
	if err != nil {
		return Booking{}, err
	}
	b = inCompanyZone(c, b)
	b.CreatedAt = b.CreatedAt.In(b.Start.Location())
	return b, nil
}
