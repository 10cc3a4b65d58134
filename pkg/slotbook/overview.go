package slotbook

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// MaxOverviewDays is the longest range the overview shows.
const MaxOverviewDays = 31

// OverviewQuery asks for the dashboard of a day or a week.
type OverviewQuery struct {
	CompanyID  string
	EmployeeID string // empty: every employee (staff see only themselves)
	From, To   schedule.Date
	Timezone   string // the viewer's; empty means the company's
}

// Overview is the dashboard's picture of a range.
type Overview struct {
	Timezone  string
	From, To  schedule.Date
	Employees []EmployeeOverview
	// Closures are the company's closures whose dates (in the company's
	// zone) overlap the range; no employee is available on them.
	Closures []Closure
}

// EmployeeOverview is one employee's range: slotbook's own data, and the
// external calendars' events, read live for this answer and kept nowhere.
type EmployeeOverview struct {
	Employee     Employee
	Availability []schedule.Interval
	Absences     []Absence
	Bookings     []Booking
	External     []ExternalEntry
	Errors       []CalendarError
}

// ExternalEntry is an external event: a busy block, with its title only
// for calendars whose ShowInOverview is on.
type ExternalEntry struct {
	Connection string
	Start, End time.Time
	Title      string
}

// CalendarError names a calendar that could not be read, and why.
type CalendarError struct {
	Connection string
	Reason     string
}

// Overview returns the dashboard of a range. External calendars are read
// live, in parallel, under the calendar deadline: titles only from
// calendars whose ShowInOverview is on (and never for support), busy
// blocks from the other conflict-checking ones; a calendar that cannot be
// read is listed under Errors and does not fail the answer.
func (a *App) Overview(ctx context.Context, q OverviewQuery) (Overview, error) {
	c, err := a.authorize(ctx, q.CompanyID, Read, "")
	if err != nil {
		return Overview{}, err
	}
	p, _ := PrincipalFrom(ctx)
	if p.Role == RoleStaff {
		if q.EmployeeID != "" && q.EmployeeID != p.Subject {
			return Overview{}, Errorf(Forbidden, "Staff see only their own overview.")
		}
		q.EmployeeID = p.Subject
	}
	if q.Timezone == "" {
		q.Timezone = c.Timezone
	}
	viewer, err := LoadZone(q.Timezone)
	if err != nil {
		return Overview{}, FieldErrorf("timezone", "must be an IANA time zone such as Europe/Zurich")
	}
	if q.To.Before(q.From) || q.From.DaysUntil(q.To) >= MaxOverviewDays {
		return Overview{}, FieldErrorf("to", "must not be before from, and at most %d days after it", MaxOverviewDays-1)
	}
	span, err := schedule.Span(q.From, q.To, viewer)
	if err != nil {
		return Overview{}, FieldErrorf("to", "must not be before from")
	}
	var emps []Employee
	if q.EmployeeID != "" {
		e, err := a.store.Employee(ctx, c.ID, q.EmployeeID)
		if err != nil {
			return Overview{}, err
		}
		emps = []Employee{e}
	} else if emps, err = a.store.Employees(ctx, c.ID); err != nil {
		return Overview{}, err
	}

	companyZone, err := LoadZone(c.Timezone)
	if err != nil {
		return Overview{}, err
	}
	around, err := a.closuresAround(ctx, c.ID, companyZone, span)
	if err != nil {
		return Overview{}, err
	}
	out := Overview{Timezone: q.Timezone, From: q.From, To: q.To, Employees: make([]EmployeeOverview, len(emps)), Closures: []Closure{}}
	closed := make([]schedule.Interval, 0, len(around))
	for _, cl := range around {
		iv := closureSpan(cl, companyZone)
		closed = append(closed, iv)
		if iv.Start.Before(span.End) && span.Start.Before(iv.End) {
			out.Closures = append(out.Closures, cl)
		}
	}
	titles := p.Role != RoleSupport // employees' private titles stay hidden from the vendor
	deadline, cancel := context.WithTimeout(ctx, cmp.Or(a.calendarDeadline, DefaultCalendarDeadline))
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallel)
	for i, e := range emps {
		g.Go(func() error {
			eo, err := a.employeeOverview(gctx, deadline, c, e, span, viewer, titles, closed)
			out.Employees[i] = eo
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return Overview{}, err
	}
	return out, nil
}

func (a *App) employeeOverview(ctx, calCtx context.Context, c Company, e Employee, span schedule.Interval, viewer *time.Location, titles bool, closed []schedule.Interval) (EmployeeOverview, error) {
	eo := EmployeeOverview{Employee: e, Availability: []schedule.Interval{}, Absences: []Absence{}, Bookings: []Booking{},
		External: []ExternalEntry{}, Errors: []CalendarError{}}
	zone, err := zoneOf(c, e)
	if err != nil {
		return eo, err
	}
	av, err := a.store.Availability(ctx, c.ID, e.ID)
	if err != nil {
		return eo, err
	}
	for _, w := range schedule.Windows(av.Schedule(), zone, span, closed...) {
		eo.Availability = append(eo.Availability, schedule.Interval{Start: w.Start.In(viewer), End: w.End.In(viewer)})
	}
	abs, err := a.store.Absences(ctx, c.ID, e.ID, span.Start, span.End)
	if err != nil {
		return eo, err
	}
	for _, ab := range abs {
		ab.Start, ab.End = ab.Start.In(viewer), ab.End.In(viewer)
		eo.Absences = append(eo.Absences, ab)
	}
	bks, err := a.store.Bookings(ctx, c.ID, e.ID, span.Start, span.End)
	if err != nil {
		return eo, err
	}
	now := a.now()
	for _, b := range bks {
		if b.Blocks(now) {
			b.Start, b.End = b.Start.In(viewer), b.End.In(viewer)
			eo.Bookings = append(eo.Bookings, b)
		}
	}
	conns, err := a.store.Connections(ctx, c.ID, e.ID)
	if err != nil {
		return eo, err
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, k := range conns {
		if !k.CheckConflicts && !(k.ShowInOverview && titles) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Providers read all-day events in the zone of the window: the employee's.
			local := schedule.Interval{Start: span.Start.In(zone), End: span.End.In(zone)}
			entries, reason := a.externalEntries(calCtx, c.ID, k, local, viewer, titles)
			mu.Lock()
			defer mu.Unlock()
			if reason != "" {
				eo.Errors = append(eo.Errors, CalendarError{Connection: k.ID, Reason: reason})
				return
			}
			eo.External = append(eo.External, entries...)
		}()
	}
	wg.Wait()
	slices.SortFunc(eo.External, func(x, y ExternalEntry) int {
		return cmp.Or(x.Start.Compare(y.Start), cmp.Compare(x.Connection, y.Connection))
	})
	slices.SortFunc(eo.Errors, func(x, y CalendarError) int { return cmp.Compare(x.Connection, y.Connection) })
	return eo, nil
}

// externalEntries reads one calendar for the overview: titled events where
// allowed, else free/busy only. It returns a reason instead when the
// calendar cannot be read.
func (a *App) externalEntries(ctx context.Context, companyID string, k Connection, span schedule.Interval, viewer *time.Location, titles bool) ([]ExternalEntry, string) {
	if k.Status == NeedsReauth {
		return nil, ReasonNeedsReauth
	}
	p, ok := a.providers[k.Provider]
	if !ok {
		return nil, ReasonUnreachable
	}
	acct, err := a.account(ctx, companyID, k, []Connection{k})
	if err != nil {
		return nil, ReasonUnreachable
	}
	var out []ExternalEntry
	if k.ShowInOverview && titles {
		evs, err := p.Events(ctx, acct, calendarRef(k, acct), span.Start, span.End)
		if err != nil {
			return nil, a.readFailure(ctx, companyID, k, err)
		}
		for _, ev := range evs {
			if ev.Busy {
				out = append(out, ExternalEntry{Connection: k.ID, Start: ev.Start.In(viewer), End: ev.End.In(viewer), Title: ev.Title})
			}
		}
		return out, ""
	}
	res, err := p.Busy(ctx, acct, []string{calendarRef(k, acct)}, span.Start, span.End)
	if err == nil && (len(res) != 1 || res[0].Err != nil) {
		err = errors.New("calendar unreadable")
		if len(res) == 1 {
			err = res[0].Err
		}
	}
	if err != nil {
		return nil, a.readFailure(ctx, companyID, k, err)
	}
	for _, b := range res[0].Busy {
		out = append(out, ExternalEntry{Connection: k.ID, Start: b.Start.In(viewer), End: b.End.In(viewer)})
	}
	return out, ""
}

// readFailure turns a provider error into the reason shown, marking the
// connection needs_reauth when its credentials were refused.
func (a *App) readFailure(ctx context.Context, companyID string, k Connection, err error) string {
	a.log.WarnContext(ctx, "calendar unreadable", "company", companyID, "employee", k.EmployeeID,
		"provider", string(k.Provider), "connection", k.ID, "err", err.Error())
	if errors.Is(err, ErrCalendarAuth) {
		a.markNeedsReauth(ctx, companyID, []Connection{k})
		return ReasonNeedsReauth
	}
	return ReasonUnreachable
}
