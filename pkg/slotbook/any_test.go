package slotbook_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// anyWorld is a world whose consult is offered by ana, ben and cy, all
// working Monday to Friday 08:00–18:00.
func anyWorld(t *testing.T) *world {
	w := newWorld(t)
	must(t, "create cy", w.store.CreateEmployee(t.Context(), "acme", slotbook.Employee{ID: "cy", Name: "Cy"}))
	week := []slotbook.WeeklyHours{}
	for d := time.Monday; d <= time.Friday; d++ {
		week = append(week, slotbook.WeeklyHours{Weekday: d, Start: 8 * 60, End: 18 * 60})
	}
	for _, e := range []string{"ana", "ben", "cy"} {
		must(t, "hours of "+e, w.store.PutAvailability(t.Context(), "acme", e, slotbook.Availability{Weekly: week}))
	}
	must(t, "consult for three", w.store.UpdateService(t.Context(), "acme", slotbook.Service{
		ID: "consult", Name: "Consultation", DurationMinutes: 60, Employees: []string{"ana", "ben", "cy"}}))
	return w
}

func anyRequest(start time.Time) slotbook.BookingRequest {
	r := request(start)
	r.EmployeeID = slotbook.AnyEmployee
	return r
}

// 30 "any" bookings at different times of one week spread evenly.
func TestAnyEmployeeIsChosenFairly(t *testing.T) {
	w := anyWorld(t)
	count := map[string]int{}
	n := 0
	for day := 0; day < 5 && n < 30; day++ {
		for hour := 8; hour < 17 && n < 30; hour++ {
			start := time.Date(2027, 3, 22+day, hour, 0, 0, 0, zurich)
			if hour%2 == 1 {
				start = start.Add(30 * time.Minute) // not only on the hour
			}
			res, err := w.app.Book(w.anonymous(), anyRequest(start))
			must(t, fmt.Sprintf("book %v", start), err)
			count[res.Booking.EmployeeID]++
			n++
		}
	}
	for _, e := range []string{"ana", "ben", "cy"} {
		if c := count[e]; c < 9 || c > 11 {
			t.Errorf("30 bookings: %v, want 10 ± 1 each", count)
			break
		}
	}
}

// An employee busy in an external calendar at the time is never chosen.
func TestAnyEmployeeSkipsTheExternallyBusy(t *testing.T) {
	w := anyWorld(t)
	_, acct := w.connect("ana", "pw-ana")
	w.busy(acct, slotbook.ExternalEvent{Start: at(8, 0), End: at(18, 0), Busy: true})
	for h := 9; h < 15; h++ {
		res, err := w.app.Book(w.anonymous(), anyRequest(at(h, 0)))
		must(t, "book", err)
		if res.Booking.EmployeeID == "ana" {
			t.Fatalf("ana, busy all day in her calendar, was chosen for %d:00", h)
		}
	}
}

// 20 racing "any" bookings of one start, three employees free: exactly
// three succeed, one per employee; the rest are SlotTaken.
func TestRacingAnyBookingsTakeEachEmployeeOnce(t *testing.T) {
	w := anyWorld(t)
	var mu sync.Mutex
	won, taken := map[string]int{}, 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			res, err := w.app.Book(w.anonymous(), anyRequest(at(10, 0)))
			mu.Lock()
			defer mu.Unlock()
			switch slotbook.ErrorCode(err) {
			case "":
				won[res.Booking.EmployeeID]++
			case slotbook.SlotTaken:
				taken++
			default:
				t.Errorf("book: %v", err)
			}
		})
	}
	wg.Wait()
	if len(won) != 3 || won["ana"] != 1 || won["ben"] != 1 || won["cy"] != 1 || taken != 17 {
		t.Errorf("winners %v, %d slot_taken; want one each of ana, ben, cy and 17", won, taken)
	}
	_, err := w.app.Book(w.anonymous(), anyRequest(at(10, 0)))
	wantCode(t, "a 21st", err, slotbook.SlotTaken)
}

// A replay of an "any" booking with its Idempotency-Key answers the same
// booking, with the employee the server chose.
func TestAnyBookingReplaysWithItsEmployee(t *testing.T) {
	w := anyWorld(t)
	r := anyRequest(at(11, 0))
	r.IdempotencyKey = "any-1"
	first, err := w.app.Book(w.anonymous(), r)
	must(t, "book", err)
	again, err := w.app.Book(w.anonymous(), r)
	must(t, "replay", err)
	if !again.Replayed || again.Booking.ID != first.Booking.ID || again.Booking.EmployeeID != first.Booking.EmployeeID || again.CancelToken != first.CancelToken {
		t.Errorf("replay %+v, first %+v", again.Booking, first.Booking)
	}
}

// Slots for "any" list each start once, without a name.
func TestAnySlotsListEachStartOnce(t *testing.T) {
	w := anyWorld(t)
	ans, err := w.app.Slots(w.anonymous(), slotbook.SlotQuery{CompanyID: "acme", ServiceID: "consult", EmployeeID: slotbook.AnyEmployee, From: monday, To: monday})
	must(t, "slots", err)
	seen := map[time.Time]bool{}
	for _, s := range ans.Slots {
		if s.EmployeeID != "" || seen[s.Start] {
			t.Fatalf("slot %+v listed with a name or twice", s)
		}
		seen[s.Start] = true
	}
	if len(ans.Slots) == 0 {
		t.Fatal("no slots")
	}
	_, err = w.app.CreateEmployee(w.admin(), "acme", slotbook.Employee{ID: "any", Name: "Any"})
	wantFields(t, "an employee called any", err, slotbook.Invalid, "id")
}

// TestAnyEmployeeRule holds "any" to each step of api.md's choice rule:
// fewest confirmed bookings that week, then the one whose latest booking
// was made longest ago (never booked first), then the smallest id. Every
// candidate is free at 09:00 on Wednesday 24 March; bookings are placed so
// that only the step named decides.
func TestAnyEmployeeRule(t *testing.T) {
	wed := func(hour int) time.Time { return time.Date(2027, 3, 24, hour, 0, 0, 0, zurich) }
	nextWeek := func(hour int) time.Time { return time.Date(2027, 3, 31, hour, 0, 0, 0, zurich) }
	type made struct {
		employee string
		start    time.Time
		madeAgo  time.Duration // before now
		status   slotbook.BookingStatus
	}
	tests := []struct {
		name     string
		bookings []made
		want     string
	}{
		{"nobody booked: the smallest id", nil, "ana"},
		{"fewest that week", []made{
			// ben was booked last: only the count speaks for him.
			{"ana", wed(11), 5 * time.Hour, slotbook.Confirmed}, {"ana", wed(14), 5 * time.Hour, slotbook.Confirmed},
			{"ben", wed(12), time.Minute, slotbook.Confirmed},
			{"cy", wed(13), 5 * time.Hour, slotbook.Confirmed}, {"cy", wed(15), 5 * time.Hour, slotbook.Confirmed},
		}, "ben"},
		{"a cancelled booking does not count", []made{
			{"ana", wed(11), time.Hour, slotbook.Confirmed},
			{"ben", wed(12), time.Hour, slotbook.Cancelled}, {"ben", wed(13), time.Hour, slotbook.Cancelled},
			{"cy", wed(14), time.Hour, slotbook.Confirmed},
		}, "ben"},
		{"as many that week: booked longest ago", []made{
			{"ana", wed(11), time.Hour, slotbook.Confirmed},
			{"ben", wed(12), 3 * time.Hour, slotbook.Confirmed},
			{"cy", wed(13), 2 * time.Hour, slotbook.Confirmed},
		}, "ben"},
		{"as many that week: never booked first", []made{
			{"ana", nextWeek(11), 48 * time.Hour, slotbook.Confirmed},
			{"ben", nextWeek(12), 72 * time.Hour, slotbook.Confirmed},
		}, "cy"},
		{"bookings of other weeks count for the latest, not the week", []made{
			{"ana", nextWeek(11), 10 * time.Minute, slotbook.Confirmed}, {"ana", nextWeek(14), 10 * time.Minute, slotbook.Confirmed},
			{"ben", nextWeek(12), 5 * time.Minute, slotbook.Confirmed},
			{"cy", nextWeek(13), time.Minute, slotbook.Confirmed},
		}, "ana"},
		{"as many, made at the same time: the smallest id", []made{
			{"cy", wed(13), time.Hour, slotbook.Confirmed},
			{"ben", wed(12), time.Hour, slotbook.Confirmed},
			{"ana", wed(14), time.Hour, slotbook.Confirmed},
		}, "ana"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := anyWorld(t)
			for _, m := range tc.bookings {
				b := slotbook.Booking{
					ID: slotbook.NewID(), EmployeeID: m.employee, ServiceID: "consult", Start: m.start, End: m.start.Add(time.Hour),
					Customer: slotbook.Customer{Name: "Earlier", Email: "earlier@client.example"}, CreatedAt: w.clock.now().Add(-m.madeAgo),
					Status: m.status, CancelTokenHash: []byte{1},
				}
				must(t, "store a booking", w.store.CreateBooking(t.Context(), "acme", b, nil))
			}
			res, err := w.app.Book(w.anonymous(), anyRequest(wed(9)))
			must(t, "book", err)
			if res.Booking.EmployeeID != tc.want {
				t.Errorf("chose %s, want %s", res.Booking.EmployeeID, tc.want)
			}
		})
	}
}
