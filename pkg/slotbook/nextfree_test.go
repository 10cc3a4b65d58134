package slotbook_test

import (
	"cmp"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
)

// dateOf is t's date in Zurich.
func dateOf(t time.Time) schedule.Date { return schedule.DateOf(t.In(zurich)) }

// TestNextFreeFindsTheFirstFreeStart: the search returns the first free
// start from now, however many weeks lie before it, and none when it is
// past the horizon or cannot be known. Ana works Mondays 09:00–12:00; ben
// has no hours; now is Monday 22 March 2027, 08:00 in Zurich. Each case
// runs in the company's zone and in the zones furthest ahead of and behind
// UTC, whose dates the search steps through.
func TestNextFreeFindsTheFirstFreeStart(t *testing.T) {
	mondays := func(n int) time.Time { return at(9, 0).AddDate(0, 0, 7*n) }
	closed := func(first, last time.Time) func(w *world) {
		return func(w *world) {
			must(w.t, "closure", w.store.CreateClosure(w.t.Context(), "acme", slotbook.Closure{
				ID: slotbook.NewID(), Name: "Closed", Start: dateOf(first), End: dateOf(last),
			}))
		}
	}
	tests := []struct {
		name     string
		employee string
		setup    []func(w *world)
		want     time.Time // zero: none
		wantOff  []string  // employees named unavailable
	}{
		{"free this morning", "ana", nil, at(9, 0), nil},
		{"later this morning, notice", "ana", []func(w *world){func(w *world) {
			w.setCompany(func(c *slotbook.Company) { c.MinNoticeMinutes = 120 })
		}}, at(10, 0), nil},
		{"booked full today, next Monday", "ana", []func(w *world){func(w *world) {
			w.booked(at(9, 0), at(12, 0), 0, slotbook.Confirmed, time.Time{})
		}}, mondays(1), nil},
		{"closed two weeks: past the first range searched", "ana", []func(w *world){closed(at(9, 0), mondays(1))}, mondays(2), nil},
		{"closed four months: several ranges on", "", []func(w *world){
			closed(at(9, 0), mondays(17)),
			func(w *world) { w.setCompany(func(c *slotbook.Company) { c.HorizonDays = 365 }) },
		}, mondays(18), nil},
		{"anyone", slotbook.AnyEmployee, []func(w *world){closed(at(9, 0), at(9, 0))}, mondays(1), nil},
		{"past the horizon", "ana", []func(w *world){
			closed(at(9, 0), mondays(1)),
			func(w *world) { w.setCompany(func(c *slotbook.Company) { c.HorizonDays = 14 }) },
		}, time.Time{}, nil},
		{"just inside the horizon", "ana", []func(w *world){
			closed(at(9, 0), mondays(1)),
			func(w *world) { w.setCompany(func(c *slotbook.Company) { c.HorizonDays = 15 }) },
		}, mondays(2), nil},
		{"nobody works", "ben", nil, time.Time{}, nil},
		{"a calendar that cannot be read", "ana", []func(w *world){func(w *world) {
			_, acct := w.connect("ana", "ana-pass")
			w.cal.Set(func(*calendartest.Provider) { acct.Fail = errUnreachable })
		}}, time.Time{}, []string{"ana"}},
	}
	for _, tc := range tests {
		for _, tz := range []string{"", "Pacific/Kiritimati", "Pacific/Pago_Pago"} {
			t.Run(tc.name+" "+tz, func(t *testing.T) {
				w := newWorld(t)
				for _, f := range tc.setup {
					f(w)
				}
				ans, err := w.app.NextFree(w.anonymous(), slotbook.NextFreeQuery{CompanyID: "acme", ServiceID: "consult", EmployeeID: tc.employee, Timezone: tz})
				must(t, "next free", err)
				if !ans.Start.Equal(tc.want) {
					t.Errorf("start %v, want %v", ans.Start.In(zurich), tc.want)
				}
				if want := cmp.Or(tz, "Europe/Zurich"); ans.Timezone != want {
					t.Errorf("timezone %q, want %q", ans.Timezone, want)
				}
				var off []string
				for _, u := range ans.Unavailable {
					off = append(off, u.EmployeeID)
				}
				if len(off) != len(tc.wantOff) || len(off) > 0 && off[0] != tc.wantOff[0] {
					t.Errorf("unavailable %v, want %v", off, tc.wantOff)
				}
				if tc.want.IsZero() && tc.wantOff == nil && ans.Until.Before(dateOf(t0).AddDays(14)) {
					t.Errorf("nothing found, but searched only until %v", ans.Until)
				}
				if !tc.want.IsZero() {
					// The start found is the first the slots of its week offer.
					week, err := w.app.Slots(w.anonymous(), slotbook.SlotQuery{CompanyID: "acme", ServiceID: "consult",
						EmployeeID: tc.employee, From: dateOf(tc.want).AddDays(-6), To: dateOf(tc.want).AddDays(1), Timezone: tz})
					must(t, "slots", err)
					if len(week.Slots) == 0 || !week.Slots[0].Start.Equal(tc.want) {
						t.Errorf("slots of the week before %v start with %v", tc.want, startsOf(week.Slots))
					}
				}
			})
		}
	}
}

// TestNextFreeStopsWhenItsTimeIsUp: with no time left after the first
// range, a start past it is not found, and Until says how far it got.
func TestNextFreeStopsWhenItsTimeIsUp(t *testing.T) {
	w := newWorld(t, slotbook.WithNextFreeBudget(time.Nanosecond))
	must(t, "closure", w.store.CreateClosure(t.Context(), "acme", slotbook.Closure{
		ID: slotbook.NewID(), Name: "Closed", Start: dateOf(at(9, 0)), End: dateOf(at(9, 0)).AddDays(7),
	}))
	ans, err := w.app.NextFree(w.anonymous(), slotbook.NextFreeQuery{CompanyID: "acme", ServiceID: "consult", EmployeeID: "ana"})
	must(t, "next free", err)
	if !ans.Start.IsZero() || ans.Until != dateOf(at(9, 0)).AddDays(6) {
		t.Errorf("start %v until %v, want none until Sunday 28 March, the first range's end", ans.Start, ans.Until)
	}
	// With time, the same search finds Monday 5 April.
	w2 := newWorld(t)
	must(t, "closure", w2.store.CreateClosure(t.Context(), "acme", slotbook.Closure{
		ID: slotbook.NewID(), Name: "Closed", Start: dateOf(at(9, 0)), End: dateOf(at(9, 0)).AddDays(7),
	}))
	ans, err = w2.app.NextFree(w2.anonymous(), slotbook.NextFreeQuery{CompanyID: "acme", ServiceID: "consult", EmployeeID: "ana"})
	must(t, "next free", err)
	if !ans.Start.Equal(at(9, 0).AddDate(0, 0, 14)) {
		t.Errorf("start %v, want 5 April 09:00", ans.Start)
	}
}

// TestNextFreeRefusesWhatSlotsRefuses: the search asks what Slots asks and
// answers its errors.
func TestNextFreeRefusesWhatSlotsRefuses(t *testing.T) {
	w := newWorld(t)
	q := func(company, service, employee, tz string) error {
		_, err := w.app.NextFree(w.anonymous(), slotbook.NextFreeQuery{CompanyID: company, ServiceID: service, EmployeeID: employee, Timezone: tz})
		return err
	}
	wantCode(t, "unknown company", q("nope", "consult", "", ""), slotbook.NotFound)
	wantCode(t, "unknown service", q("acme", "nope", "", ""), slotbook.NotFound)
	wantCode(t, "employee not offering", q("acme", "consult", "carla", ""), slotbook.NotFound)
	wantFields(t, "bad zone", q("acme", "consult", "", "Mars/Olympus"), slotbook.Invalid, "timezone")
}
