package slotbook

import (
	"context"
	"errors"
	"sync"
	"time"
)

// SweepBatch is the most EventRemovals one Sweep works through.
const SweepBatch = 100

// Backoff of a removal whose calendar could not be written: the first
// retry after a minute, each further one twice as late, at most
// maxRemovalBackoff. A calendar that must be connected again is tried
// when it is (ReconnectCalendar), and meanwhile only every
// maxRemovalBackoff.
const (
	firstRemovalBackoff = time.Minute
	maxRemovalBackoff   = 6 * time.Hour
)

// SweepReport says what one Sweep did.
type SweepReport struct {
	// Removed counts the events removed, or found gone.
	Removed int
	// Released counts the pending bookings whose request had died.
	Released int
	// Postponed counts the removals whose calendar could not be written;
	// they are tried again later.
	Postponed int
	// Kept counts removals-if-unconfirmed whose booking was confirmed or
	// is still being made: nothing was removed.
	Kept int
	// Anonymized counts the bookings whose customer data expired (the
	// companies' retentionDays) and was erased.
	Anonymized int
}

// Sweep works through the EventRemovals of every company that are due: it
// releases each pending booking whose request died before confirming it
// (its removal-if-unconfirmed fell due), and removes the events of
// abandoned and cancelled bookings from their calendars. A calendar that
// cannot be written keeps its removal, due again after a backoff. It runs
// every few minutes: on AWS on a schedule, in local mode in the server.
func (a *App) Sweep(ctx context.Context) (SweepReport, error) {
	now := a.now()
	due, err := a.store.DueRemovals(ctx, now, SweepBatch)
	if err != nil {
		return SweepReport{}, err
	}
	var (
		mu  sync.Mutex
		rep SweepReport
		wg  sync.WaitGroup
	)
	limit := make(chan struct{}, maxParallel)
	for _, r := range due {
		wg.Add(1)
		limit <- struct{}{}
		go func() {
			defer func() { <-limit; wg.Done() }()
			wctx, cancel := context.WithTimeout(ctx, CalendarWriteDeadline)
			defer cancel()
			outcome := a.sweepOne(wctx, r, now)
			mu.Lock()
			defer mu.Unlock()
			switch outcome {
			case swept:
				rep.Removed++
			case releasedAndSwept:
				rep.Released++
				rep.Removed++
			case releasedNotSwept:
				rep.Released++
				rep.Postponed++
			case postponed:
				rep.Postponed++
			case kept:
				rep.Kept++
			}
		}()
	}
	wg.Wait()
	n, err := a.eraseExpired(ctx, now)
	rep.Anonymized = n
	if err != nil {
		a.log.WarnContext(ctx, "expired customer data not erased", "err", err.Error())
	}
	return rep, nil
}

type sweepOutcome int

const (
	kept sweepOutcome = iota
	swept
	releasedAndSwept
	releasedNotSwept
	postponed
)

// sweepOne handles one due removal.
func (a *App) sweepOne(ctx context.Context, r EventRemoval, now time.Time) sweepOutcome {
	released := false
	if r.Reason == RemovalIfUnconfirmed {
		b, err := a.store.Booking(ctx, r.CompanyID, r.BookingID)
		switch {
		case ErrorCode(err) == NotFound:
			// Swept away by the store already: the event may exist.
		case err != nil:
			return a.postpone(ctx, r, now, err)
		case b.Event.Key != r.Event.Key:
			// A dead key: the booking was made again, or moved, under another
			// key, or a move that wrote this key never committed. Take the
			// record over before removing the event, so that such a move,
			// committing late, fails (it drops the record at its version)
			// rather than point at an event that is going away.
			next := r
			next.Reason, next.Version = RemovalAbandoned, NewID()
			if err := a.store.PutRemoval(ctx, next, r.Version); err != nil {
				if c := ErrorCode(err); c == Conflict || c == NotFound {
					return kept // the move committed meanwhile
				}
				return a.postpone(ctx, r, now, err)
			}
			r = next
		case b.Status != Pending:
			// Confirmed: the event is the booking's. (A confirmation drops
			// this record; it stayed only if that was interrupted.)
			a.store.DeleteRemoval(ctx, r.CompanyID, r.EmployeeID, r.Event.Key, r.Version)
			return kept
		case b.PendingUntil.After(now):
			return kept // still being made, by a clock ahead of ours
		default:
			// Its request died: let go of the booking, keeping the removal.
			version := NewID()
			err := a.store.ReleaseBooking(ctx, r.CompanyID, b.ID, Release{AbandonedAt: now, RemovalVersion: version, Now: now})
			if err != nil {
				if ErrorCode(err) == Conflict {
					return kept // confirmed or re-made meanwhile
				}
				return a.postpone(ctx, r, now, err)
			}
			r.Reason, r.Version, released = RemovalAbandoned, version, true
		}
	}
	if err := a.removeEvent(ctx, r); err != nil {
		a.postpone(ctx, r, now, err)
		if released {
			return releasedNotSwept
		}
		return postponed
	}
	if released {
		return releasedAndSwept
	}
	return swept
}

// postpone makes r due again after its backoff.
func (a *App) postpone(ctx context.Context, r EventRemoval, now time.Time, cause error) sweepOutcome {
	wait := maxRemovalBackoff
	if !errors.Is(cause, errNeedsReauth) {
		wait = firstRemovalBackoff << min(r.Attempts, 16)
		wait = min(wait, maxRemovalBackoff)
	}
	next := r
	next.Attempts++
	next.Due = now.Add(wait)
	next.Version = NewID()
	if err := a.store.PutRemoval(ctx, next, r.Version); err != nil && ErrorCode(err) != Conflict {
		a.log.WarnContext(ctx, "removal not postponed", "company", r.CompanyID, "employee", r.EmployeeID, "err", err.Error())
	}
	a.log.InfoContext(ctx, "event removal postponed", "company", r.CompanyID, "employee", r.EmployeeID,
		"connection", r.Event.Connection, "attempts", next.Attempts, "err", cause.Error())
	return postponed
}

// retryRemovals tries at once the removals of a calendar that works again
// (it was just re-authorised), whatever their due time; what fails stays.
func (a *App) retryRemovals(ctx context.Context, companyID, employeeID, connectionID string) {
	list, err := a.store.Removals(ctx, companyID, employeeID)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CalendarWriteDeadline)
	defer cancel()
	for _, r := range list {
		if r.Event.Connection != connectionID || r.Reason == RemovalIfUnconfirmed {
			continue
		}
		if err := a.removeEvent(ctx, r); err != nil {
			return
		}
	}
}

// waitingRemovals counts, per connection, the events that wait to be
// removed from it: those of cancelled and abandoned bookings, and those of
// claims whose removal-if-unconfirmed is due.
func waitingRemovals(list []EventRemoval, now time.Time) map[string]int {
	out := map[string]int{}
	for _, r := range list {
		if r.Reason != RemovalIfUnconfirmed || !r.Due.After(now) {
			out[r.Event.Connection]++
		}
	}
	return out
}
