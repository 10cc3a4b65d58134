package slotbook

import (
	"context"
	"strings"
)

// ExportCustomer returns every booking of the customer with e-mail email
// (any case), with all the data slotbook holds about them: the bookings
// themselves, in the company's zone. An admin's.
func (a *App) ExportCustomer(ctx context.Context, companyID, email string) ([]Booking, error) {
	c, err := a.authorize(ctx, companyID, Manage, "")
	if err != nil {
		return nil, err
	}
	if err := checkCustomerEmail(email); err != nil {
		return nil, err
	}
	list, err := a.store.CustomerBookings(ctx, companyID, email)
	if err != nil {
		return nil, err
	}
	for i, b := range list {
		list[i] = inCompanyZone(c, b)
		list[i].CreatedAt = b.CreatedAt.In(list[i].Start.Location())
	}
	return list, nil
}

// EraseResult is what an erasure did.
type EraseResult struct {
	// BookingsAnonymized counts the bookings that lost their customer data
	// and kept their time, service and employee (past, or cancelled).
	BookingsAnonymized int
	// FutureBookingsCancelled counts the future bookings cancelled (and
	// anonymized too).
	FutureBookingsCancelled int
}

// EraseCustomer erases a customer's data (an admin's, on the customer's
// request): their future bookings are cancelled as a cancel by staff does
// (the event removed, the employee and webhooks told; the customer's own
// mail finds no address any more and is skipped), and every booking of
// theirs loses name, e-mail, phone and notes. Pending claims of theirs that
// were abandoned are released; one still being made is Conflict (try again
// in a minute). A second erasure finds nothing and changes nothing.
func (a *App) EraseCustomer(ctx context.Context, companyID, email string) (EraseResult, error) {
	c, err := a.authorize(ctx, companyID, Manage, "")
	if err != nil {
		return EraseResult{}, err
	}
	if err := checkCustomerEmail(email); err != nil {
		return EraseResult{}, err
	}
	list, err := a.store.CustomerBookings(ctx, companyID, email)
	if err != nil {
		return EraseResult{}, err
	}
	now := a.now()
	for _, b := range list {
		if b.Status == Pending && b.Blocks(now) {
			return EraseResult{}, Errorf(Conflict, "A booking of this customer is being made right now; try again in a minute.")
		}
	}
	var res EraseResult
	for _, b := range list {
		switch {
		case b.Status == Pending:
			// An abandoned claim: it goes, its event's removal kept due.
			rel := Release{AbandonedAt: now, Now: now}
			if b.Event.Key != "" {
				rel.RemovalVersion = NewID()
			}
			if err := a.store.ReleaseBooking(ctx, companyID, b.ID, rel); err != nil && ErrorCode(err) != Conflict {
				return res, err
			}
			continue
		case b.Status == Confirmed && b.Start.After(now):
			if err := a.cancel(ctx, c, b, CancelledByStaff); err != nil && ErrorCode(err) != BookingCancelled {
				return res, err
			}
			res.FutureBookingsCancelled++
		default:
			res.BookingsAnonymized++
		}
		if err := a.store.AnonymizeBooking(ctx, companyID, b.ID); err != nil && ErrorCode(err) != NotFound {
			return res, err
		}
	}
	a.log.InfoContext(ctx, "customer erased", "company", companyID, "anonymized", res.BookingsAnonymized, "cancelled", res.FutureBookingsCancelled)
	return res, nil
}

// checkCustomerEmail checks the e-mail an export or erasure names.
func checkCustomerEmail(email string) error {
	if strings.TrimSpace(email) == "" {
		return FieldErrorf("email", "is required")
	}
	if !PlainAddress(email) {
		return FieldErrorf("email", "must be a plain e-mail address such as chris@example.com")
	}
	return nil
}
