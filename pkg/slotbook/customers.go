package slotbook

import (
	"context"
	"fmt"
	"strings"
	"time"
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

// MaxRetentionDays bounds the company's retentionDays (ten years).
const MaxRetentionDays = 3650

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

// Retention is a company's record for the sweeper: how long it keeps
// customer data, and up to when it has erased it.
type Retention struct {
	CompanyID string
	Days      int
	// DoneUntil: every booking that ended before it has been erased.
	DoneUntil time.Time
}

// retentionOverlap is how far back each pass looks again before
// DoneUntil: a booking that ended after it may have started before it.
const retentionOverlap = 2 * 24 * time.Hour

// eraseExpired erases the customer data of every booking that ended more
// than its company's retentionDays ago, as an erasure does for a past
// booking (the data goes, the booking stays), and returns how many it
// anonymized. Each company's pass reads its employees' bookings from
// where the last one stopped, so a pass costs what expired since. Bookings
// of employees deleted since are not reached.
func (a *App) eraseExpired(ctx context.Context, now time.Time) (int, error) {
	list, err := a.store.Retentions(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, r := range list {
		c, err := a.store.Company(ctx, r.CompanyID)
		if err != nil || c.RetentionDays <= 0 {
			continue // gone, or keeping its data now: its record goes with its next save
		}
		cutoff := now.Add(-time.Duration(c.RetentionDays) * 24 * time.Hour)
		from := r.DoneUntil.Add(-retentionOverlap)
		if r.DoneUntil.IsZero() {
			from = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		if !from.Before(cutoff) {
			continue
		}
		emps, err := a.store.Employees(ctx, c.ID)
		if err != nil {
			return total, err
		}
		n := 0
		for _, e := range emps {
			live, err := a.store.Bookings(ctx, c.ID, e.ID, from, cutoff)
			if err != nil {
				return total, err
			}
			gone, err := a.store.CancelledBookings(ctx, c.ID, e.ID, from, cutoff)
			if err != nil {
				return total, err
			}
			for _, b := range append(live, gone...) {
				if b.Anonymized || b.Status == Pending || b.End.After(cutoff) || b.Customer == (Customer{}) && b.Notes == "" {
					continue
				}
				if err := a.store.AnonymizeBooking(ctx, c.ID, b.ID); err != nil && ErrorCode(err) != NotFound {
					return total, err
				}
				n++
			}
		}
		if err := a.store.RetentionDone(ctx, c.ID, cutoff); err != nil {
			return total, err
		}
		if n > 0 {
			a.recordSystemAudit(ctx, c.ID, "erase expired customer data", fmt.Sprintf("bookings=%d", n))
			a.log.InfoContext(ctx, "expired customer data erased", "company", c.ID, "bookings", n)
		}
		total += n
	}
	return total, nil
}
