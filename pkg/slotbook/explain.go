package slotbook

import (
	"context"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// ExplainQuery asks why the times of one date are or are not offered for
// a service with an employee.
type ExplainQuery struct {
	CompanyID, ServiceID, EmployeeID string
	Date                             schedule.Date
}

// ExplainedTime is one candidate start: free, or every reason it is not.
// A reason's ID names the absence, booking or calendar connection that
// caused it; nothing else of them is said.
type ExplainedTime struct {
	Start   time.Time
	Free    bool
	Reasons []schedule.Reason
}

// Explanation answers an ExplainQuery, in the company's zone.
type Explanation struct {
	Date     schedule.Date
	Timezone string
	Times    []ExplainedTime
}

// Explain tells, for every candidate start of a date (the grid of each
// availability window, as Slots steps through it, in the company's zone),
// whether it is free and every reason it is not. The free starts are
// exactly those Slots offers for the employee and date. External calendars
// are read live, as for Slots, and only their connection ids are named: a
// calendar that cannot be read blocks every start with
// CALENDAR_UNREADABLE. Admins may ask, staff for themselves, support while
// the company allows it.
func (a *App) Explain(ctx context.Context, q ExplainQuery) (Explanation, error) {
	c, err := a.authorize(ctx, q.CompanyID, Read, "")
	if err != nil {
		return Explanation{}, err
	}
	if p, _ := PrincipalFrom(ctx); p.Role == RoleStaff && p.Subject != q.EmployeeID {
		return Explanation{}, Errorf(Forbidden, "Staff may see why times are not offered only for themselves.")
	}
	zone, err := LoadZone(c.Timezone)
	if err != nil {
		return Explanation{}, err
	}
	span, err := schedule.Span(q.Date, q.Date, zone)
	if err != nil {
		return Explanation{}, FieldErrorf("date", "is not a valid date")
	}
	svc, err := a.store.Service(ctx, c.ID, q.ServiceID)
	if err != nil {
		return Explanation{}, notFoundAs(err, "There is no such service.")
	}
	if !svc.Offers(q.EmployeeID) {
		return Explanation{}, Errorf(NotFound, "There is no such employee offering this service.")
	}
	emp, err := a.store.Employee(ctx, c.ID, q.EmployeeID)
	if err != nil {
		return Explanation{}, notFoundAs(err, "There is no such employee.")
	}
	ext, err := a.readExternalBusy(ctx, c, []Employee{emp}, span.Start.Add(-busyMargin), span.End.Add(busyMargin), nil)
	if err != nil {
		return Explanation{}, err
	}
	closed, err := a.companyClosed(ctx, c, span)
	if err != nil {
		return Explanation{}, err
	}
	sq, err := a.employeeQuery(ctx, c, svc, emp, q.Date, q.Date, span, zone, closed, "", true, nil)
	if err != nil {
		return Explanation{}, err
	}
	for i, iv := range ext.busy[emp.ID] {
		sq.Busy = append(sq.Busy, iv)
		sq.BusySources = append(sq.BusySources, schedule.Source{Kind: schedule.FromCalendar, ID: ext.from[emp.ID][i]})
	}
	if _, ok := ext.unavailable[emp.ID]; ok {
		// Fail closed, as Slots does: the whole range is busy, named by
		// each calendar that could not be read.
		for _, id := range ext.unreadable[emp.ID] {
			sq.Busy = append(sq.Busy, schedule.Interval{Start: span.Start.Add(-busyMargin), End: span.End.Add(busyMargin)})
			sq.BusySources = append(sq.BusySources, schedule.Source{Kind: schedule.FromUnreadable, ID: id})
		}
	}
	cands, err := schedule.Explain(sq)
	if err != nil {
		return Explanation{}, err
	}
	out := Explanation{Date: q.Date, Timezone: c.Timezone, Times: make([]ExplainedTime, len(cands))}
	for i, x := range cands {
		out.Times[i] = ExplainedTime{Start: x.Start, Free: x.Free, Reasons: x.Reasons}
		if out.Times[i].Reasons == nil {
			out.Times[i].Reasons = []schedule.Reason{}
		}
	}
	return out, nil
}
