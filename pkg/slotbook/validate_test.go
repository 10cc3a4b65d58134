package slotbook_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// TestSettingsValidation: every change of a company's data is checked
// before it is stored; the error names each field at fault (so a form can
// mark them), and nothing of a refused change is stored — including dates
// outside 2000-01-01 … 2199-12-31, which no stored key may hold.
func TestSettingsValidation(t *testing.T) {
	day := func(y int, m time.Month, d int) schedule.Date { return schedule.Date{Year: y, Month: m, Day: d} }
	utc := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	weekly := func(hs ...[2]schedule.Clock) slotbook.Availability {
		var av slotbook.Availability
		for _, h := range hs {
			av.Weekly = append(av.Weekly, slotbook.WeeklyHours{Weekday: time.Tuesday, Start: h[0], End: h[1]})
		}
		return av
	}
	overrides := func(ds ...schedule.Date) slotbook.Availability {
		var av slotbook.Availability
		for _, d := range ds {
			av.Overrides = append(av.Overrides, slotbook.DateOverride{Date: d})
		}
		return av
	}
	absence := func(start, end time.Time, reason string) func(a *slotbook.App, ctx context.Context) error {
		return func(a *slotbook.App, ctx context.Context) error {
			_, err := a.CreateAbsence(ctx, "acme", "ana", slotbook.Absence{Start: start, End: end, Reason: reason})
			return err
		}
	}
	availability := func(av slotbook.Availability) func(a *slotbook.App, ctx context.Context) error {
		return func(a *slotbook.App, ctx context.Context) error {
			_, err := a.PutAvailability(ctx, "acme", "ana", av)
			return err
		}
	}
	tests := []struct {
		name   string
		do     func(a *slotbook.App, ctx context.Context) error
		want   slotbook.Code
		fields []string
	}{
		{"company settings out of bounds", func(a *slotbook.App, ctx context.Context) error {
			_, err := a.PutSettings(ctx, slotbook.Company{ID: "acme", Timezone: "Mars/Olympus", BookingIntervalMinutes: 3, MinNoticeMinutes: -1})
			return err
		}, slotbook.Invalid, []string{"name", "timezone", "bookingIntervalMinutes", "minNoticeMinutes", "horizonDays"}},
		{"the zone Local", func(a *slotbook.App, ctx context.Context) error {
			_, err := a.CreateEmployee(ctx, "acme", slotbook.Employee{ID: "cy", Name: "Cy", Timezone: "Local"})
			return err
		}, slotbook.Invalid, []string{"timezone"}},
		{"an employee id with a slash and an odd e-mail", func(a *slotbook.App, ctx context.Context) error {
			_, err := a.CreateEmployee(ctx, "acme", slotbook.Employee{ID: "cy/1", Name: "Cy", Email: "Cy <cy@acme.example>"})
			return err
		}, slotbook.Invalid, []string{"id", "email"}},
		{"a service without time that lists ana twice", func(a *slotbook.App, ctx context.Context) error {
			_, err := a.CreateService(ctx, "acme", slotbook.Service{ID: "cut", Name: "Cut", BufferAfterMinutes: -5, Employees: []string{"ana", "ana"}})
			return err
		}, slotbook.Invalid, []string{"durationMinutes", "bufferAfterMinutes", "employees[1]"}},
		{"a service of an unknown employee", func(a *slotbook.App, ctx context.Context) error {
			_, err := a.CreateService(ctx, "acme", slotbook.Service{ID: "cut", Name: "Cut", DurationMinutes: 30, Employees: []string{"ghost"}})
			return err
		}, slotbook.Unprocessable, nil},
		{"hours that end before they start", availability(weekly([2]schedule.Clock{10 * 60, 9 * 60})), slotbook.Invalid, []string{"weekly[0].end"}},
		{"overlapping hours", availability(weekly([2]schedule.Clock{9 * 60, 12 * 60}, [2]schedule.Clock{11 * 60, 13 * 60})), slotbook.Invalid, []string{"weekly[1]"}},
		{"two overrides of one date", availability(overrides(monday, monday)), slotbook.Invalid, []string{"overrides[1].date"}},
		{"an override in 2200", availability(overrides(day(2200, 1, 1))), slotbook.Invalid, []string{"overrides[0].date"}},
		{"an override in 1999", availability(overrides(day(1999, 12, 31))), slotbook.Invalid, []string{"overrides[0].date"}},
		{"an absence that ends before it starts", absence(at(10, 0), at(9, 0), ""), slotbook.Invalid, []string{"end"}},
		{"an absence from 1999", absence(utc(1999, 12, 31, 9), at(9, 0), ""), slotbook.Invalid, []string{"start"}},
		{"an absence until 2200", absence(at(9, 0), utc(2200, 1, 1, 9), ""), slotbook.Invalid, []string{"end"}},
		{"an absence of more than a year", absence(at(9, 0), at(9, 0).AddDate(1, 1, 0), ""), slotbook.Invalid, []string{"end"}},
		{"an absence with a long reason", absence(at(9, 0), at(10, 0), strings.Repeat("r", slotbook.MaxReasonLength+1)), slotbook.Invalid, []string{"reason"}},
		{"absences listed backwards", func(a *slotbook.App, ctx context.Context) error {
			_, err := a.Absences(ctx, "acme", "ana", slotbook.DateRange{From: monday, To: monday.AddDays(-1), HasFrom: true, HasTo: true})
			return err
		}, slotbook.Invalid, []string{"to"}},
		{"bookings of 62 days", func(a *slotbook.App, ctx context.Context) error {
			_, err := a.Bookings(ctx, "acme", "", monday, monday.AddDays(slotbook.MaxBookingRangeDays))
			return err
		}, slotbook.Invalid, []string{"to"}},
		{"an overview of 31 days", func(a *slotbook.App, ctx context.Context) error {
			_, err := a.Overview(ctx, slotbook.OverviewQuery{CompanyID: "acme", From: monday, To: monday.AddDays(slotbook.MaxOverviewDays)})
			return err
		}, slotbook.Invalid, []string{"to"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			err := tt.do(w.app, w.admin())
			wantFields(t, tt.name, err, tt.want, tt.fields...)
			w.wantUntouched()
		})
	}
}

// wantUntouched fails the test if anything of newWorld's company changed.
func (w *world) wantUntouched() {
	w.t.Helper()
	ctx := w.t.Context()
	c, err := w.store.Company(ctx, "acme")
	if err != nil || c.Name != "Acme" || c.BookingIntervalMinutes != 30 {
		w.t.Errorf("company = %+v, %v; want it unchanged", c, err)
	}
	if es, err := w.store.Employees(ctx, "acme"); err != nil || len(es) != 2 {
		w.t.Errorf("employees = %+v, %v; want ana and ben only", es, err)
	}
	if ss, err := w.store.Services(ctx, "acme"); err != nil || len(ss) != 1 {
		w.t.Errorf("services = %+v, %v; want consult only", ss, err)
	}
	av, err := w.store.Availability(ctx, "acme", "ana")
	if err != nil || len(av.Weekly) != 1 || av.Weekly[0].Weekday != time.Monday || len(av.Overrides) != 0 {
		w.t.Errorf("ana's availability = %+v, %v; want Mondays only", av, err)
	}
	if as, err := w.store.Absences(ctx, "acme", "ana", time.Unix(0, 0), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || len(as) != 0 {
		w.t.Errorf("absences = %+v, %v; want none", as, err)
	}
}

// TestAbsencesInTheEmployeesZone: an absence given in any zone is kept as
// the same instants and answered in the employee's zone; listing by date
// reads the dates in that zone.
func TestAbsencesInTheEmployeesZone(t *testing.T) {
	w := newWorld(t)
	must(t, "ben in New York", w.store.UpdateEmployee(t.Context(), "acme", slotbook.Employee{ID: "ben", Name: "Ben", Timezone: "America/New_York"}))
	// 00:30–01:30 UTC on Tuesday: Monday evening in New York (UTC−4 by then).
	start := time.Date(2027, 3, 23, 0, 30, 0, 0, time.UTC)
	ab, err := w.app.CreateAbsence(w.admin(), "acme", "ben", slotbook.Absence{Start: start, End: start.Add(time.Hour), Reason: "flight"})
	must(t, "create absence", err)
	if ab.ID == "" || !ab.Start.Equal(start) || ab.Start.Location().String() != "America/New_York" {
		t.Errorf("absence = %+v, want an id and the same instant in New York time", ab)
	}
	onDate := func(d schedule.Date) int {
		list, err := w.app.Absences(w.admin(), "acme", "ben", slotbook.DateRange{From: d, To: d, HasFrom: true, HasTo: true})
		must(t, "list absences", err)
		return len(list)
	}
	if mon, tue := onDate(monday), onDate(monday.AddDays(1)); mon != 1 || tue != 0 {
		t.Errorf("absences on Monday %d, Tuesday %d; want it on Monday, ben's date", mon, tue)
	}
	must(t, "delete", w.app.DeleteAbsence(w.admin(), "acme", "ben", ab.ID))
	wantCode(t, "delete again", w.app.DeleteAbsence(w.admin(), "acme", "ben", ab.ID), slotbook.NotFound)
}

// TestProblems: the collector of field errors answers nil when nothing is
// wrong, and otherwise one Invalid error that lists every field in order
// and says in its message how many more there are.
func TestProblems(t *testing.T) {
	var none slotbook.Problems
	if err := none.Err(); err != nil {
		t.Errorf("no problems: Err() = %v, want nil", err)
	}
	tests := []struct {
		fields  []string
		message string
	}{
		{[]string{"name"}, "name: is wrong"},
		{[]string{"name", "email", "phone"}, "name: is wrong (and 2 more)"},
	}
	for _, tt := range tests {
		var p slotbook.Problems
		for _, f := range tt.fields {
			p.Add(f, "is %s", "wrong")
		}
		err := p.Err()
		wantFields(t, strings.Join(tt.fields, ","), err, slotbook.Invalid, tt.fields...)
		if got := slotbook.ErrorMessage(err); got != tt.message {
			t.Errorf("ErrorMessage = %q, want %q", got, tt.message)
		}
	}
}
