package slotbook_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
)

// TestAccessRules: who may read and change what, through the use cases
// themselves — admin and staff act only in their own company, staff change
// only their own employee, support only reads and only while the company
// lets them in, and nobody signed out gets in. A refused change leaves no
// trace.
func TestAccessRules(t *testing.T) {
	const (
		ok   = slotbook.Code("")
		no   = slotbook.Forbidden
		anon = slotbook.Unauthorized
	)
	hours := slotbook.Availability{Weekly: []slotbook.WeeklyHours{{Weekday: time.Tuesday, Start: 8 * 60, End: 10 * 60}}}
	hasTuesday := func(w *world, employee string) bool {
		av, err := w.store.Availability(w.t.Context(), "acme", employee)
		must(w.t, "read availability", err)
		return len(av.Weekly) > 0 && av.Weekly[len(av.Weekly)-1].Weekday == time.Tuesday
	}
	ops := []struct {
		name string
		do   func(w *world, ctx context.Context) error
		// done reports whether the change took effect; nil for reads.
		done func(w *world) bool
	}{
		{"read settings", func(w *world, ctx context.Context) error { _, err := w.app.Settings(ctx, "acme"); return err }, nil},
		{"list bookings", func(w *world, ctx context.Context) error {
			_, err := w.app.Bookings(ctx, "acme", "", monday, monday)
			return err
		}, nil},
		{"change ana's hours", func(w *world, ctx context.Context) error {
			_, err := w.app.PutAvailability(ctx, "acme", "ana", hours)
			return err
		}, func(w *world) bool { return hasTuesday(w, "ana") }},
		{"change ben's hours", func(w *world, ctx context.Context) error {
			_, err := w.app.PutAvailability(ctx, "acme", "ben", hours)
			return err
		}, func(w *world) bool { return hasTuesday(w, "ben") }},
		{"add a service", func(w *world, ctx context.Context) error {
			_, err := w.app.CreateService(ctx, "acme", slotbook.Service{ID: "cut", Name: "Cut", DurationMinutes: 30})
			return err
		}, func(w *world) bool { _, err := w.store.Service(w.t.Context(), "acme", "cut"); return err == nil }},
	}
	callers := []struct {
		name    string
		who     func(w *world) context.Context
		support bool // acme's SupportAccess
		want    [5]slotbook.Code
	}{
		{"signed out", (*world).anonymous, false, [5]slotbook.Code{anon, anon, anon, anon, anon}},
		{"admin", (*world).admin, false, [5]slotbook.Code{ok, ok, ok, ok, ok}},
		{"staff ana", func(w *world) context.Context { return w.staff("ana") }, false, [5]slotbook.Code{ok, ok, ok, no, no}},
		{"admin of another company", func(w *world) context.Context { return as(w.t, slotbook.RoleAdmin, "boss", "globex") }, false,
			[5]slotbook.Code{no, no, no, no, no}},
		{"staff named ana of another company", func(w *world) context.Context { return as(w.t, slotbook.RoleStaff, "ana", "globex") }, false,
			[5]slotbook.Code{no, no, no, no, no}},
		{"support, locked out", func(w *world) context.Context { return as(w.t, slotbook.RoleSupport, "helper", "") }, false,
			[5]slotbook.Code{no, no, no, no, no}},
		{"support, let in", func(w *world) context.Context { return as(w.t, slotbook.RoleSupport, "helper", "") }, true,
			[5]slotbook.Code{ok, ok, no, no, no}},
	}
	for _, c := range callers {
		for i, op := range ops {
			t.Run(c.name+"/"+op.name, func(t *testing.T) {
				w := newWorld(t)
				w.setCompany(func(co *slotbook.Company) { co.SupportAccess = c.support })
				err := op.do(w, c.who(w))
				wantCode(t, op.name, err, c.want[i])
				if op.done != nil {
					if got, want := op.done(w), c.want[i] == ok; got != want {
						t.Errorf("%s took effect: %v, want %v", op.name, got, want)
					}
				}
			})
		}
	}
}

// TestOtherTenantsRevealNothing: a caller who may not see a company gets
// Forbidden whether or not it exists, so ids cannot be probed.
func TestOtherTenantsRevealNothing(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{
		{"admin of another company", as(t, slotbook.RoleAdmin, "eve", "globex")},
		{"support", as(t, slotbook.RoleSupport, "helper", "")},
	} {
		for _, company := range []string{"acme", "nosuch"} {
			_, err := w.app.Settings(c.ctx, company)
			wantCode(t, c.name+" reads "+company, err, slotbook.Forbidden)
		}
	}
	// Within one's own company, a missing item is simply not found.
	_, err := w.app.Employee(w.admin(), "acme", "nobody")
	wantCode(t, "admin reads a missing employee", err, slotbook.NotFound)
}

// TestCompanyCreation: only an admin of a company can create it by
// putting its settings; the answer tells created from replaced.
func TestCompanyCreation(t *testing.T) {
	w := newWorld(t)
	settings := slotbook.Company{ID: "newco", Name: "New Co", Timezone: "Europe/Berlin", BookingIntervalMinutes: 15, HorizonDays: 30}
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{
		{"admin of acme", w.admin()},
		{"staff of newco", as(t, slotbook.RoleStaff, "sam", "newco")},
		{"support", as(t, slotbook.RoleSupport, "helper", "")},
	} {
		_, err := w.app.PutSettings(c.ctx, settings)
		wantCode(t, c.name+" creates newco", err, slotbook.Forbidden)
	}
	if _, err := w.store.Company(t.Context(), "newco"); slotbook.ErrorCode(err) != slotbook.NotFound {
		t.Fatalf("after refused creations the store has newco: %v", err)
	}
	owner := as(t, slotbook.RoleAdmin, "nina", "newco")
	created, err := w.app.PutSettings(owner, settings)
	if err != nil || !created {
		t.Fatalf("newco's admin creates it: created %v, %v; want true, nil", created, err)
	}
	settings.Name = "Newer Co"
	created, err = w.app.PutSettings(owner, settings)
	if err != nil || created {
		t.Fatalf("newco's admin replaces its settings: created %v, %v; want false, nil", created, err)
	}
	got, err := w.app.Settings(owner, "newco")
	if err != nil || got.Name != "Newer Co" {
		t.Errorf("Settings = %+v, %v; want the replaced name", got, err)
	}
}

// TestStaffSeeOnlyTheirOwnBookings: the bookings list and the overview
// narrow staff to their own employee; admins see everyone's.
func TestStaffSeeOnlyTheirOwnBookings(t *testing.T) {
	w := newWorld(t)
	must(t, "ben's hours", w.store.PutAvailability(t.Context(), "acme", "ben", slotbook.Availability{
		Weekly: []slotbook.WeeklyHours{{Weekday: time.Monday, Start: 9 * 60, End: 12 * 60}},
	}))
	for _, e := range []string{"ben", "ana"} {
		r := request(at(10, 0))
		r.EmployeeID = e
		if _, err := w.app.Book(w.anonymous(), r); err != nil {
			t.Fatalf("book %s: %v", e, err)
		}
	}
	employees := func(bs []slotbook.Booking) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.EmployeeID)
		}
		return out
	}

	all, err := w.app.Bookings(w.admin(), "acme", "", monday, monday)
	if err != nil || !slices.Equal(employees(all), []string{"ana", "ben"}) {
		t.Errorf("admin's list = %v, %v; want ana's and ben's, by employee at the same start", employees(all), err)
	}
	own, err := w.app.Bookings(w.staff("ana"), "acme", "", monday, monday)
	if err != nil || !slices.Equal(employees(own), []string{"ana"}) {
		t.Errorf("ana's list = %v, %v; want only hers", employees(own), err)
	}
	_, err = w.app.Bookings(w.staff("ana"), "acme", "ben", monday, monday)
	wantCode(t, "ana lists ben's bookings", err, slotbook.Forbidden)

	ov, err := w.app.Overview(w.staff("ana"), slotbook.OverviewQuery{CompanyID: "acme", From: monday, To: monday})
	if err != nil || len(ov.Employees) != 1 || ov.Employees[0].Employee.ID != "ana" {
		t.Errorf("ana's overview = %+v, %v; want only hers", ov.Employees, err)
	}
	_, err = w.app.Overview(w.staff("ana"), slotbook.OverviewQuery{CompanyID: "acme", EmployeeID: "ben", From: monday, To: monday})
	wantCode(t, "ana's overview of ben", err, slotbook.Forbidden)
}

// TestOverviewTitles: the overview shows an external event's title only
// from calendars whose ShowInOverview is on, never to support, and shows
// other conflict-checking calendars as untitled busy blocks. A calendar
// that cannot be read is named under Errors without failing the answer.
func TestOverviewTitles(t *testing.T) {
	w := newWorld(t)
	w.setCompany(func(c *slotbook.Company) { c.SupportAccess = true })
	shown, shownAcct := w.connect("ana", "pass-shown")
	_, hiddenAcct := w.connect("ana", "pass-hidden")
	yes := true
	if _, err := w.app.UpdateConnection(w.admin(), "acme", "ana", shown.ID, slotbook.ConnectionSwitches{ShowInOverview: &yes}); err != nil {
		t.Fatal(err)
	}
	w.busy(shownAcct, slotbook.ExternalEvent{Start: at(9, 0), End: at(9, 30), Title: "Dentist", Busy: true})
	w.busy(hiddenAcct, slotbook.ExternalEvent{Start: at(11, 0), End: at(11, 30), Title: "Therapy", Busy: true})

	titles := func(ctx context.Context) []string {
		t.Helper()
		ov, err := w.app.Overview(ctx, slotbook.OverviewQuery{CompanyID: "acme", EmployeeID: "ana", From: monday, To: monday})
		if err != nil {
			t.Fatalf("overview: %v", err)
		}
		var out []string
		for _, x := range ov.Employees[0].External {
			out = append(out, x.Start.In(zurich).Format("15:04")+" "+x.Title)
		}
		return out
	}
	if got, want := titles(w.admin()), []string{"09:00 Dentist", "11:00 "}; !slices.Equal(got, want) {
		t.Errorf("admin's overview: %q, want %q", got, want)
	}
	if got, want := titles(as(t, slotbook.RoleSupport, "helper", "")), []string{"09:00 ", "11:00 "}; !slices.Equal(got, want) {
		t.Errorf("support's overview: %q, want %q (busy blocks, no titles)", got, want)
	}

	w.cal.Set(func(p *calendartest.Provider) { hiddenAcct.Fail = errUnreachable })
	ov, err := w.app.Overview(w.admin(), slotbook.OverviewQuery{CompanyID: "acme", EmployeeID: "ana", From: monday, To: monday})
	if err != nil {
		t.Fatalf("overview with one calendar down: %v", err)
	}
	eo := ov.Employees[0]
	if len(eo.Errors) != 1 || eo.Errors[0].Reason != slotbook.ReasonUnreachable || len(eo.External) != 1 {
		t.Errorf("with the hidden calendar down: external %+v, errors %+v; want the shown event and one unreachable calendar", eo.External, eo.Errors)
	}
}
