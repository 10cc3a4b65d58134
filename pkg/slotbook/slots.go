package slotbook

import (
	"cmp"
	"context"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// SlotQuery asks for the free slots of a service.
type SlotQuery struct {
	CompanyID string
	ServiceID string
	// EmployeeID narrows the answer to one employee; empty means every
	// employee who offers the service.
	EmployeeID string
	From, To   schedule.Date
	// Timezone is the viewer's zone, in which From, To and the answer are
	// read; empty means the company's.
	Timezone string
	// BookingID, with Token (its cancel token), asks for the times the
	// booking could move to: its own time does not block them.
	BookingID, Token string
}

// Slot is a free time at which an employee can be booked.
type Slot struct {
	Start, End time.Time
	EmployeeID string
}

// UnavailableEmployee names an employee whose calendars could not be checked, and why.
type UnavailableEmployee struct {
	EmployeeID string
	Reason     string
}

// SlotAnswer is the answer to a SlotQuery.
type SlotAnswer struct {
	Timezone    string
	From, To    schedule.Date
	Slots       []Slot
	Unavailable []UnavailableEmployee
}

// maxParallel caps the store reads one slots request runs at once.
const maxParallel = 8

// busyMargin is how far from a range busy time can still block a slot in
// it: a service of the longest duration plus both buffers.
const busyMargin = time.Duration(MaxServiceDuration+2*MaxBuffer) * time.Minute

// Slots returns the free slots of a service, sorted by start, then employee.
func (a *App) Slots(ctx context.Context, q SlotQuery) (SlotAnswer, error) {
	c, err := a.store.Company(ctx, q.CompanyID)
	if err != nil {
		return SlotAnswer{}, notFoundAs(err, "There is no such company.")
	}
	if q.Timezone == "" {
		q.Timezone = c.Timezone
	}
	viewer, err := LoadZone(q.Timezone)
	if err != nil {
		return SlotAnswer{}, FieldErrorf("timezone", "must be an IANA time zone such as Europe/Zurich")
	}
	span, err := schedule.Span(q.From, q.To, viewer)
	if err != nil {
		return SlotAnswer{}, FieldErrorf("to", "must not be before from, and at most %d days after it", schedule.MaxRangeDays-1)
	}
	svc, err := a.store.Service(ctx, q.CompanyID, q.ServiceID)
	if err != nil {
		return SlotAnswer{}, notFoundAs(err, "There is no such service.")
	}
	anyone := q.EmployeeID == AnyEmployee
	if anyone {
		q.EmployeeID = ""
	}
	ids := svc.Employees
	if q.EmployeeID != "" {
		if !svc.Offers(q.EmployeeID) {
			return SlotAnswer{}, Errorf(NotFound, "There is no such employee offering this service.")
		}
		ids = []string{q.EmployeeID}
	}
	employees, err := a.loadEmployees(ctx, c.ID, ids, q.EmployeeID != "")
	if err != nil {
		return SlotAnswer{}, err
	}

	var moving *Booking
	if q.BookingID != "" {
		if q.Token == "" {
			return SlotAnswer{}, FieldErrorf("X-Cancel-Token", "is required with booking")
		}
		_, b, err := a.bookingWithToken(ctx, c.ID, q.BookingID, q.Token, Read)
		if err != nil {
			return SlotAnswer{}, err
		}
		moving = &b
	}
	ext, err := a.readExternalBusy(ctx, c, employees, span.Start.Add(-busyMargin), span.End.Add(busyMargin), moving)
	if err != nil {
		return SlotAnswer{}, err
	}
	closed, err := a.companyClosed(ctx, c, span)
	if err != nil {
		return SlotAnswer{}, err
	}
	unavailable := []UnavailableEmployee{}
	results := make([][]Slot, len(employees))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallel)
	for i, e := range employees {
		if reason, ok := ext.unavailable[e.ID]; ok {
			// Fail closed: never offer a time that might collide.
			unavailable = append(unavailable, UnavailableEmployee{EmployeeID: e.ID, Reason: reason})
			continue
		}
		g.Go(func() error {
			s, err := a.employeeSlots(gctx, c, svc, e, q, span, viewer, ext.busy[e.ID], closed, q.BookingID)
			results[i] = s
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return SlotAnswer{}, err
	}
	var all []Slot
	for _, r := range results {
		all = append(all, r...)
	}
	slices.SortFunc(all, func(x, y Slot) int {
		if c := x.Start.Compare(y.Start); c != 0 {
			return c
		}
		return cmp.Compare(x.EmployeeID, y.EmployeeID)
	})
	if anyone {
		// Each start once, without a name: the server chooses at booking.
		all = slices.CompactFunc(all, func(x, y Slot) bool { return x.Start.Equal(y.Start) })
		for i := range all {
			all[i].EmployeeID = ""
		}
	}
	if all == nil {
		all = []Slot{}
	}
	return SlotAnswer{Timezone: q.Timezone, From: q.From, To: q.To, Slots: all, Unavailable: unavailable}, nil
}

// loadEmployees reads the employees of ids in parallel. One that is gone
// (taken off the service while we read it) is left out, unless it was
// asked for by name, which is NotFound.
func (a *App) loadEmployees(ctx context.Context, companyID string, ids []string, named bool) ([]Employee, error) {
	emps := make([]Employee, len(ids))
	found := make([]bool, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallel)
	for i, id := range ids {
		g.Go(func() error {
			e, err := a.store.Employee(gctx, companyID, id)
			switch {
			case err == nil:
				emps[i], found[i] = e, true
			case ErrorCode(err) == NotFound && !named:
			default:
				return notFoundAs(err, "There is no such employee.")
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := emps[:0]
	for i, e := range emps {
		if found[i] {
			out = append(out, e)
		}
	}
	return out, nil
}

// employeeSlots computes one employee's slots for the span, with the
// company's closed times. The booking of id moving, if any, is being
// moved: its own time does not block.
func (a *App) employeeSlots(ctx context.Context, c Company, svc Service, emp Employee, q SlotQuery, span schedule.Interval, viewer *time.Location, external, closed []schedule.Interval, moving string) ([]Slot, error) {
	sq, err := a.employeeQuery(ctx, c, svc, emp, q.From, q.To, span, viewer, closed, moving, false)
	if err != nil {
		return nil, err
	}
	sq.Busy = append(sq.Busy, external...)
	found, err := schedule.Slots(sq)
	if err != nil {
		return nil, err
	}
	out := make([]Slot, len(found))
	for i, s := range found {
		out[i] = Slot{Start: s.Start, End: s.End, EmployeeID: emp.ID}
	}
	return out, nil
}

// employeeQuery reads what the engine needs of one employee for the dates
// from–to (span, in viewer's zone) — availability, absences, blocking
// bookings but the one of id moving — into a query with the company's
// rules and closed times, without external busy times, which the caller
// adds. named also names the source of each busy time and booking, for
// Explain.
func (a *App) employeeQuery(ctx context.Context, c Company, svc Service, emp Employee, from, to schedule.Date, span schedule.Interval, viewer *time.Location, closed []schedule.Interval, moving string, named bool) (schedule.Query, error) {
	zone, err := zoneOf(c, emp)
	if err != nil {
		return schedule.Query{}, err
	}
	av, err := a.store.Availability(ctx, c.ID, emp.ID)
	if err != nil {
		return schedule.Query{}, err
	}
	lo, hi := span.Start.Add(-busyMargin), span.End.Add(busyMargin)
	absences, err := a.store.Absences(ctx, c.ID, emp.ID, lo, hi)
	if err != nil {
		return schedule.Query{}, err
	}
	bookings, err := a.store.Bookings(ctx, c.ID, emp.ID, lo, hi)
	if err != nil {
		return schedule.Query{}, err
	}
	q := schedule.Query{
		Zone:         zone,
		Availability: av.Schedule(),
		Busy:         make([]schedule.Interval, 0, len(absences)),
		Bookings:     make([]schedule.Booking, 0, len(bookings)),
		Closed:       closed,
		Duration:     minutes(svc.DurationMinutes),
		BufferBefore: minutes(svc.BufferBeforeMinutes),
		BufferAfter:  minutes(svc.BufferAfterMinutes),
		Step:         minutes(c.BookingIntervalMinutes),
		Now:          a.now(),
		MinNotice:    minutes(c.MinNoticeMinutes),
		HorizonDays:  c.HorizonDays,
		From:         from,
		To:           to,
		Viewer:       viewer,
	}
	for _, ab := range absences {
		q.Busy = append(q.Busy, schedule.Interval{Start: ab.Start, End: ab.End})
		if named {
			q.BusySources = append(q.BusySources, schedule.Source{Kind: schedule.FromAbsence, ID: ab.ID})
		}
	}
	for _, b := range bookings {
		if b.Blocks(q.Now) && b.ID != moving {
			q.Bookings = append(q.Bookings, schedule.Booking{Start: b.Start, End: b.End, BufferBefore: b.BufferBefore, BufferAfter: b.BufferAfter})
			if named {
				q.BookingIDs = append(q.BookingIDs, b.ID)
			}
		}
	}
	return q, nil
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }
