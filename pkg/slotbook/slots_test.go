package slotbook_test

import (
	"slices"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
)

// booked stores a booking of ana's from start to end with a buffer
// after, in the given status, pending ones held until pendingUntil.
func (w *world) booked(start, end time.Time, after time.Duration, status slotbook.BookingStatus, pendingUntil time.Time) {
	w.t.Helper()
	b := slotbook.Booking{
		ID: slotbook.NewID(), EmployeeID: "ana", ServiceID: "consult", Start: start, End: end, BufferAfter: after,
		Customer: slotbook.Customer{Name: "Earlier", Email: "earlier@client.example"}, CreatedAt: w.clock.now(),
		Status: status, PendingUntil: pendingUntil, CancelTokenHash: []byte{1},
	}
	must(w.t, "store a booking", w.store.CreateBooking(w.t.Context(), "acme", b, nil))
}

// TestSlotsSubtractEverythingThatBlocks: free slots are the working hours
// minus absences, minus bookings that block (with their buffers), minus
// the busy times of the calendars that check conflicts — each source on
// its own, then all at once. Ana works 09:00–12:00; consult takes an hour
// on a 30-minute grid.
func TestSlotsSubtractEverythingThatBlocks(t *testing.T) {
	all := []string{"09:00 ana", "09:30 ana", "10:00 ana", "10:30 ana", "11:00 ana"}
	absence := func(start, end time.Time) func(w *world) {
		return func(w *world) {
			must(w.t, "absence", w.store.CreateAbsence(w.t.Context(), "acme", "ana", slotbook.Absence{ID: slotbook.NewID(), Start: start, End: end}))
		}
	}
	external := func(evs ...slotbook.ExternalEvent) func(w *world) {
		return func(w *world) {
			_, acct := w.connect("ana", "ana-pass")
			w.busy(acct, evs...)
		}
	}
	tests := []struct {
		name  string
		setup []func(w *world)
		want  []string
	}{
		{"working hours only", nil, all},
		{"an absence", []func(w *world){absence(at(10, 0), at(10, 30))}, []string{"09:00 ana", "10:30 ana", "11:00 ana"}},
		{"a confirmed booking", []func(w *world){func(w *world) { w.booked(at(10, 0), at(11, 0), 0, slotbook.Confirmed, time.Time{}) }},
			[]string{"09:00 ana", "11:00 ana"}},
		{"a booking's buffer", []func(w *world){func(w *world) { w.booked(at(10, 0), at(10, 30), 30*time.Minute, slotbook.Confirmed, time.Time{}) }},
			[]string{"09:00 ana", "11:00 ana"}},
		{"a claim being made", []func(w *world){func(w *world) { w.booked(at(10, 0), at(11, 0), 0, slotbook.Pending, t0.Add(time.Minute)) }},
			[]string{"09:00 ana", "11:00 ana"}},
		{"an abandoned claim", []func(w *world){func(w *world) { w.booked(at(10, 0), at(11, 0), 0, slotbook.Pending, t0.Add(-time.Second)) }},
			all},
		{"a busy external event", []func(w *world){external(slotbook.ExternalEvent{Start: at(11, 15), End: at(11, 45), Busy: true})},
			[]string{"09:00 ana", "09:30 ana", "10:00 ana"}},
		{"a free external event", []func(w *world){external(slotbook.ExternalEvent{Start: at(9, 0), End: at(12, 0), Busy: false})}, all},
		{"a calendar that does not check conflicts", []func(w *world){func(w *world) {
			k, acct := w.connect("ana", "ana-pass")
			off := false
			if _, err := w.app.UpdateConnection(w.admin(), "acme", "ana", k.ID, slotbook.ConnectionSwitches{CheckConflicts: &off}); err != nil {
				w.t.Fatal(err)
			}
			w.busy(acct, slotbook.ExternalEvent{Start: at(9, 0), End: at(12, 0), Busy: true})
		}}, all},
		{"a day off", []func(w *world){func(w *world) {
			must(w.t, "override", w.store.PutAvailability(w.t.Context(), "acme", "ana", slotbook.Availability{
				Weekly:    []slotbook.WeeklyHours{{Weekday: time.Monday, Start: 9 * 60, End: 12 * 60}},
				Overrides: []slotbook.DateOverride{{Date: monday}},
			}))
		}}, []string{}},
		{"all at once", []func(w *world){
			absence(at(9, 0), at(9, 15)),
			func(w *world) { w.booked(at(10, 30), at(11, 0), 0, slotbook.Confirmed, time.Time{}) },
			external(slotbook.ExternalEvent{Start: at(11, 45), End: at(13, 0), Busy: true}),
		}, []string{"09:30 ana"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			for _, f := range tt.setup {
				f(w)
			}
			got, ans := w.slots("ana")
			if !slices.Equal(got, tt.want) {
				t.Errorf("slots = %q, want %q", got, tt.want)
			}
			if len(ans.Unavailable) != 0 {
				t.Errorf("unavailable = %+v, want none", ans.Unavailable)
			}
			for _, s := range ans.Slots {
				if s.End.Sub(s.Start) != time.Hour {
					t.Errorf("slot %v–%v is not the service's hour", s.Start, s.End)
				}
			}
		})
	}
}

// TestSlotsOfEveryEmployee: without an employee the answer merges every
// employee offering the service, sorted by start, then employee.
func TestSlotsOfEveryEmployee(t *testing.T) {
	w := newWorld(t)
	must(t, "ben's hours", w.store.PutAvailability(t.Context(), "acme", "ben", slotbook.Availability{
		Weekly: []slotbook.WeeklyHours{{Weekday: time.Monday, Start: 10 * 60, End: 11 * 60}},
	}))
	got, _ := w.slots("")
	want := []string{"09:00 ana", "09:30 ana", "10:00 ana", "10:00 ben", "10:30 ana", "11:00 ana"}
	if !slices.Equal(got, want) {
		t.Errorf("slots = %q, want %q", got, want)
	}
}

// TestSlotsFailClosed: an employee with a calendar that cannot be read is
// offered nothing, with the reason, while the others are offered as
// usual; a refused credential marks the connection needs_reauth.
func TestSlotsFailClosed(t *testing.T) {
	tests := []struct {
		name       string
		break_     func(p *calendartest.Provider, acct *calendartest.Account)
		wantReason string
		wantStatus slotbook.ConnectionStatus
	}{
		{"unreachable", func(_ *calendartest.Provider, a *calendartest.Account) { a.Fail = errUnreachable },
			slotbook.ReasonUnreachable, slotbook.Connected},
		{"slower than the deadline", func(p *calendartest.Provider, _ *calendartest.Account) { p.Delay = time.Second },
			slotbook.ReasonUnreachable, slotbook.Connected},
		{"credentials refused", func(p *calendartest.Provider, _ *calendartest.Account) { delete(p.Accounts, "ana-pass") },
			slotbook.ReasonNeedsReauth, slotbook.NeedsReauth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			must(t, "ben's hours", w.store.PutAvailability(t.Context(), "acme", "ben", slotbook.Availability{
				Weekly: []slotbook.WeeklyHours{{Weekday: time.Monday, Start: 10 * 60, End: 11 * 60}},
			}))
			k, acct := w.connect("ana", "ana-pass")
			w.cal.Set(func(p *calendartest.Provider) { tt.break_(p, acct) })

			got, ans := w.slots("")
			if want := []string{"10:00 ben"}; !slices.Equal(got, want) {
				t.Errorf("slots = %q, want %q: none of ana's", got, want)
			}
			want := []slotbook.UnavailableEmployee{{EmployeeID: "ana", Reason: tt.wantReason}}
			if !slices.Equal(ans.Unavailable, want) {
				t.Errorf("unavailable = %+v, want %+v", ans.Unavailable, want)
			}
			stored, err := w.store.Connection(t.Context(), "acme", "ana", k.ID)
			if err != nil || stored.Status != tt.wantStatus {
				t.Errorf("connection status = %q (%v), want %q", stored.Status, err, tt.wantStatus)
			}
		})
	}
}

// TestSlotsNoticeAndHorizon: nothing is offered sooner than the minimum
// notice or beyond the horizon; dates across the change to summer time
// keep their wall-clock hours.
func TestSlotsNoticeAndHorizon(t *testing.T) {
	w := newWorld(t)
	w.setCompany(func(c *slotbook.Company) { c.MinNoticeMinutes = 90 }) // now is 08:00
	got, _ := w.slots("ana")
	if want := []string{"09:30 ana", "10:00 ana", "10:30 ana", "11:00 ana"}; !slices.Equal(got, want) {
		t.Errorf("with 90 minutes' notice: %q, want %q", got, want)
	}

	nextMonday := monday.AddDays(7) // in summer time
	query := slotbook.SlotQuery{CompanyID: "acme", ServiceID: "consult", EmployeeID: "ana", From: nextMonday, To: nextMonday}
	ans, err := w.app.Slots(w.anonymous(), query)
	if err != nil || len(ans.Slots) != 5 {
		t.Fatalf("next Monday: %d slots, %v; want 5", len(ans.Slots), err)
	}
	if got, want := ans.Slots[0].Start.UTC(), time.Date(2027, 3, 29, 7, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("first slot of next Monday at %v, want 09:00 summer time (%v)", got, want)
	}

	w.setCompany(func(c *slotbook.Company) { c.HorizonDays = 3 })
	if ans, err := w.app.Slots(w.anonymous(), query); err != nil || len(ans.Slots) != 0 {
		t.Errorf("beyond a 3-day horizon: %d slots, %v; want none", len(ans.Slots), err)
	}
}

// TestSlotQueryErrors: a query that cannot be answered says why, naming
// the field at fault, and an unknown company, service or employee is not
// found.
func TestSlotQueryErrors(t *testing.T) {
	w := newWorld(t)
	must(t, "solo service", w.store.CreateService(t.Context(), "acme", slotbook.Service{
		ID: "solo", Name: "Solo", DurationMinutes: 30, Employees: []string{"ana"},
	}))
	q := func(change func(q *slotbook.SlotQuery)) slotbook.SlotQuery {
		q := slotbook.SlotQuery{CompanyID: "acme", ServiceID: "consult", From: monday, To: monday}
		change(&q)
		return q
	}
	tests := []struct {
		name      string
		query     slotbook.SlotQuery
		wantCode  slotbook.Code
		wantField string
	}{
		{"to before from", q(func(q *slotbook.SlotQuery) { q.To = monday.AddDays(-1) }), slotbook.Invalid, "to"},
		{"more than 62 days", q(func(q *slotbook.SlotQuery) { q.To = monday.AddDays(schedule.MaxRangeDays) }), slotbook.Invalid, "to"},
		{"62 days", q(func(q *slotbook.SlotQuery) { q.To = monday.AddDays(schedule.MaxRangeDays - 1) }), "", ""},
		{"a made-up zone", q(func(q *slotbook.SlotQuery) { q.Timezone = "Mars/Olympus" }), slotbook.Invalid, "timezone"},
		{"an unknown company", q(func(q *slotbook.SlotQuery) { q.CompanyID = "nosuch" }), slotbook.NotFound, ""},
		{"an unknown service", q(func(q *slotbook.SlotQuery) { q.ServiceID = "nosuch" }), slotbook.NotFound, ""},
		{"an employee who does not offer it", q(func(q *slotbook.SlotQuery) { q.ServiceID, q.EmployeeID = "solo", "ben" }), slotbook.NotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.app.Slots(w.anonymous(), tt.query)
			var fields []string
			if tt.wantField != "" {
				fields = []string{tt.wantField}
			}
			wantFields(t, "Slots", err, tt.wantCode, fields...)
		})
	}
}
