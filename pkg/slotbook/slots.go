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
	// BookingID, with Token (its cancel token) or a signed-in caller who
	// may move the booking, asks for the times the booking could move to:
	// its own time does not block them.
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
	// Horizon is the instant no start reaches: now plus the company's
	// horizonDays.
	Horizon time.Time
	// Searched is how many employees the answer searched, those in
	// Unavailable included.
	Searched int
}

// maxParallel caps the store reads of the requests that do not read ahead
// (see readParallel).
const maxParallel = 8

// busyMargin is how far from a range busy time can still block a slot in
// it: a service of the longest duration plus both buffers.
const busyMargin = time.Duration(MaxServiceDuration+2*MaxBuffer) * time.Minute

// closureSlack is how many days either side of the dates asked for the
// closures are read before the company's zone is known: a viewer's date
// and the company's can lie two days apart (UTC−12 and UTC+14), and
// closuresAround adds one.
const closureSlack = 3

// Slots returns the free slots of a service, sorted by start, then employee.
//
// It reads ahead (see reads.go): the company, the service and the
// employee asked for by name in one Look, together with the closures
// around the dates and that employee's absences, bookings and calendar
// connections in ranges wide enough for any zone. For every employee of
// the service, their data is read in a second step, once the service
// names them. The calendars are read as soon as the connections are
// known.
func (a *App) Slots(ctx context.Context, q SlotQuery) (SlotAnswer, error) {
	anyone := q.EmployeeID == AnyEmployee
	if anyone {
		q.EmployeeID = ""
	}
	// A range schedule.Span will refuse is not read ahead.
	rangeOK := !q.To.Before(q.From) && q.From.DaysUntil(q.To) < schedule.MaxRangeDays
	lo, hi := wideRange(q.From, q.To)
	var (
		looked   Looked
		closures []Closure
		data     map[string]*employeeData
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readParallel)
	l := Lookup{Company: true, Service: q.ServiceID}
	if q.EmployeeID != "" {
		l.Employees = []string{q.EmployeeID}
	}
	g.Go(func() (err error) {
		looked, err = a.store.Look(gctx, q.CompanyID, l)
		return err
	})
	if rangeOK {
		g.Go(func() (err error) {
			closures, err = a.store.Closures(gctx, q.CompanyID, q.From.AddDays(-closureSlack), q.To.AddDays(closureSlack))
			return err
		})
		if q.EmployeeID != "" {
			data = a.readEmployees(gctx, g, q.CompanyID, l.Employees, lo, hi)
		}
	}
	if err := g.Wait(); err != nil {
		return SlotAnswer{}, err
	}
	if looked.Company == nil {
		return SlotAnswer{}, Errorf(NotFound, "There is no such company.")
	}
	c := *looked.Company
	if q.Timezone == "" {
		q.Timezone = c.Timezone
	}
	viewer, err := LoadZone(q.Timezone)
	if err != nil {
		return SlotAnswer{}, FieldErrorf("timezone", "must be an IANA time zone such as Europe/Zurich")
	}
	span, err := schedule.Span(q.From, q.To, viewer)
	if err != nil || !rangeOK {
		return SlotAnswer{}, FieldErrorf("to", "must not be before from, and at most %d days after it", schedule.MaxRangeDays-1)
	}
	if looked.Service == nil {
		return SlotAnswer{}, Errorf(NotFound, "There is no such service.")
	}
	svc := *looked.Service
	ids := svc.Employees
	if q.EmployeeID != "" {
		if !svc.Offers(q.EmployeeID) {
			return SlotAnswer{}, Errorf(NotFound, "There is no such employee offering this service.")
		}
		if _, ok := looked.Employees[q.EmployeeID]; !ok {
			return SlotAnswer{}, Errorf(NotFound, "There is no such employee.")
		}
		ids = []string{q.EmployeeID}
	} else if len(ids) > 0 {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(readParallel)
		g.Go(func() (err error) {
			looked, err = a.store.Look(gctx, c.ID, Lookup{Employees: ids})
			return err
		})
		data = a.readEmployees(gctx, g, c.ID, ids, lo, hi)
		if err := g.Wait(); err != nil {
			return SlotAnswer{}, err
		}
	}
	// An employee taken off the service while we read is left out.
	employees := make([]Employee, 0, len(ids))
	conns := make([][]Connection, 0, len(ids))
	zones := make([]*time.Location, 0, len(ids))
	for _, id := range ids {
		e, ok := looked.Employees[id]
		if !ok {
			continue
		}
		zone, err := zoneOf(c, e)
		if err != nil {
			return SlotAnswer{}, err
		}
		data[id].availability = looked.Availability[id]
		employees, zones, conns = append(employees, e), append(zones, zone), append(conns, data[id].connections)
	}

	var moving *Booking
	if q.BookingID != "" {
		if _, signedIn := PrincipalFrom(ctx); q.Token == "" && !signedIn {
			return SlotAnswer{}, FieldErrorf("X-Cancel-Token", "is required with booking, unless signed in")
		}
		// A signed-in caller must be one who may move it.
		_, b, err := a.bookingWithToken(ctx, c.ID, q.BookingID, q.Token, EditEmployee)
		if err != nil {
			return SlotAnswer{}, err
		}
		moving = &b
	}
	ext := externalBusy{}
	if len(a.providers) > 0 {
		ext = a.externalBusyOf(ctx, c, employees, zones, conns, span.Start.Add(-busyMargin), span.End.Add(busyMargin), moving)
	}
	closed, err := closedFrom(c, closures)
	if err != nil {
		return SlotAnswer{}, err
	}
	unavailable := []UnavailableEmployee{}
	var all []Slot
	for _, e := range employees {
		if reason, ok := ext.unavailable[e.ID]; ok {
			// Fail closed: never offer a time that might collide.
			unavailable = append(unavailable, UnavailableEmployee{EmployeeID: e.ID, Reason: reason})
			continue
		}
		s, err := a.employeeSlots(ctx, c, svc, e, q, span, viewer, ext.busy[e.ID], closed, q.BookingID, data[e.ID])
		if err != nil {
			return SlotAnswer{}, err
		}
		all = append(all, s...)
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
	horizon := a.now().Add(time.Duration(c.HorizonDays) * 24 * time.Hour)
	return SlotAnswer{Timezone: q.Timezone, From: q.From, To: q.To, Slots: all, Unavailable: unavailable, Horizon: horizon, Searched: len(employees)}, nil
}

// employeeSlots computes one employee's slots for the span, with the
// company's closed times. The booking of id moving, if any, is being
// moved: its own time does not block.
func (a *App) employeeSlots(ctx context.Context, c Company, svc Service, emp Employee, q SlotQuery, span schedule.Interval, viewer *time.Location, external, closed []schedule.Interval, moving string, d *employeeData) ([]Slot, error) {
	sq, err := a.employeeQuery(ctx, c, svc, emp, q.From, q.To, span, viewer, closed, moving, false, d)
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
// Explain. d, if not nil, is the employee's data read ahead, for a range
// that holds span and busyMargin either side; else it is read here.
func (a *App) employeeQuery(ctx context.Context, c Company, svc Service, emp Employee, from, to schedule.Date, span schedule.Interval, viewer *time.Location, closed []schedule.Interval, moving string, named bool, d *employeeData) (schedule.Query, error) {
	zone, err := zoneOf(c, emp)
	if err != nil {
		return schedule.Query{}, err
	}
	if d == nil {
		d = &employeeData{}
		lo, hi := span.Start.Add(-busyMargin), span.End.Add(busyMargin)
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) {
			d.availability, err = a.store.Availability(gctx, c.ID, emp.ID)
			return err
		})
		g.Go(func() (err error) {
			d.absences, err = a.store.Absences(gctx, c.ID, emp.ID, lo, hi)
			return err
		})
		g.Go(func() (err error) {
			d.bookings, err = a.store.Bookings(gctx, c.ID, emp.ID, lo, hi)
			return err
		})
		if err := g.Wait(); err != nil {
			return schedule.Query{}, err
		}
	}
	av, absences, bookings := d.availability, d.absences, d.bookings
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
