package storetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// testLook checks that Look answers as the single reads do, leaves out
// what does not exist, and reaches nothing with ids that are not ids.
func testLook(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	setup(t, s, "other")
	cut := slotbook.Service{ID: "cut", Name: "Cut", DurationMinutes: 30, Employees: []string{"ana", "bob"}}
	ok(t, "create service", s.CreateService(ctx, "acme", cut))
	av := slotbook.Availability{Weekly: []slotbook.WeeklyHours{{Weekday: time.Monday, Start: 480, End: 720}}, Overrides: []slotbook.DateOverride{}}
	ok(t, "availability of ana", s.PutAvailability(ctx, "acme", "ana", av))
	t0 := at(20, 12, 0)
	rec := &slotbook.Idempotency{Key: "key-1", Fingerprint: "fp", BookingID: "b1", EmployeeID: "ana", CreatedAt: t0, ExpiresAt: t0.Add(slotbook.IdempotencyTTL)}
	ok(t, "book with key", s.CreateBooking(ctx, "acme", booking("b1", "ana", at(22, 9, 0), at(22, 9, 30), 0, 0), rec))

	got, err := s.Look(ctx, "acme", slotbook.Lookup{Company: true, Service: "cut", Employees: []string{"ana", "bob", "zed"}, IdempotencyKey: "key-1", Now: t0})
	ok(t, "look", err)
	wantC, _ := s.Company(ctx, "acme")
	if got.Company == nil || *got.Company != wantC {
		t.Errorf("Look company = %+v, want %+v", got.Company, wantC)
	}
	if got.Service == nil || !reflect.DeepEqual(*got.Service, cut) {
		t.Errorf("Look service = %+v, want %+v", got.Service, cut)
	}
	for _, id := range []string{"ana", "bob"} {
		e, _ := s.Employee(ctx, "acme", id)
		if !reflect.DeepEqual(got.Employees[id], e) {
			t.Errorf("Look employee %s = %+v, want %+v", id, got.Employees[id], e)
		}
		a, _ := s.Availability(ctx, "acme", id)
		if !reflect.DeepEqual(got.Availability[id], a) {
			t.Errorf("Look availability %s = %+v, want %+v", id, got.Availability[id], a)
		}
	}
	if len(got.Availability["bob"].Weekly) != 0 {
		t.Errorf("bob's availability was never set, Look = %+v", got.Availability["bob"])
	}
	if _, found := got.Employees["zed"]; found || len(got.Employees) != 2 {
		t.Errorf("Look employees = %+v, want ana and bob only", got.Employees)
	}
	if got.Idempotency == nil || got.Idempotency.BookingID != "b1" || got.Idempotency.Fingerprint != "fp" {
		t.Errorf("Look idempotency = %+v, want the record of b1", got.Idempotency)
	}

	// Only what is asked for; an expired key is none.
	got, err = s.Look(ctx, "acme", slotbook.Lookup{Employees: []string{"bob"}, IdempotencyKey: "key-1", Now: t0.Add(slotbook.IdempotencyTTL + time.Second)})
	ok(t, "look at bob", err)
	if got.Company != nil || got.Service != nil || got.Idempotency != nil || len(got.Employees) != 1 {
		t.Errorf("Look of bob and an expired key = %+v", got)
	}
	// Another company's records, and ids that are not ids, are not found.
	got, err = s.Look(ctx, "other", slotbook.Lookup{Company: true, Service: "cut", Employees: []string{"ana"}, IdempotencyKey: "key-1", Now: t0})
	ok(t, "look at other", err)
	if got.Company == nil || got.Company.ID != "other" || got.Service != nil || got.Idempotency != nil {
		t.Errorf("Look in other = %+v, want its company only, and ana", got)
	}
	for _, bad := range []string{"", "ana#x", "C#acme", strings.Repeat("a", 5000), "acme|x"} {
		got, err = s.Look(ctx, bad, slotbook.Lookup{Company: true, Service: bad, Employees: []string{bad, "ana"}, IdempotencyKey: "key-1", Now: t0})
		if err != nil || got.Company != nil || got.Service != nil || len(got.Employees) != 0 || got.Idempotency != nil {
			t.Errorf("Look(%.20q) = %+v, %v; want nothing", bad, got, err)
		}
	}
	// More than one request's worth of keys.
	var many []string
	for i := range 130 {
		many = append(many, fmt.Sprintf("e%d", i))
	}
	many = append(many, "ana", "ana")
	got, err = s.Look(ctx, "acme", slotbook.Lookup{Employees: many})
	ok(t, "look at 132 employees", err)
	if len(got.Employees) != 1 || got.Employees["ana"].ID != "ana" {
		t.Errorf("Look of 130 unknown employees and ana twice = %+v", got.Employees)
	}
}

// scoped returns a context with a new read scope, if s has them.
func scoped(ctx context.Context, s slotbook.Store) context.Context {
	if rs, ok := s.(slotbook.ReadScoper); ok {
		return rs.WithReadScope(ctx)
	}
	return ctx
}

// testScopedClaims checks that claims and confirmations that trust what
// their request read (slotbook.ReadScoper) stay exact when that read is
// old: racing claims still have one winner, a claim that read before
// another booking was made still sees it, and one that read a booking
// since cancelled still gets the time.
func testScopedClaims(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	day := func(d int) (time.Time, time.Time) {
		return at(d, 0, 0).Add(-36 * time.Hour), at(d, 0, 0).Add(60 * time.Hour)
	}

	// 50 requests each read, then claim overlapping times: one wins.
	const n = 50
	wins, codes := raceAfter(n, func(i int) func() error {
		rctx := scoped(ctx, s)
		lo, hi := day(22)
		_, err := s.Bookings(rctx, "acme", "ana", lo, hi)
		return func() error {
			if err != nil {
				return err
			}
			b := pending(fmt.Sprintf("race-%d", i), "ana",
				at(22, 10, 0).Add(-time.Duration(i%5)*time.Minute), at(22, 10, 5).Add(time.Duration(i%7)*time.Minute), at(20, 12, 0))
			if err := s.CreateBooking(rctx, "acme", b, nil); err != nil {
				return err
			}
			return s.ConfirmBooking(rctx, "acme", b.ID, "ev", at(20, 12, 1), nil)
		}
	})
	if wins != 1 || codes[slotbook.SlotTaken] != n-1 {
		t.Fatalf("wins = %d, failures by code = %v; want 1 win and %d slot_taken", wins, codes, n-1)
	}

	// A read made before another booking took the time: the claim sees it.
	rctx := scoped(ctx, s)
	lo, hi := day(23)
	_, err := s.Bookings(rctx, "acme", "ana", lo, hi)
	ok(t, "read day 23", err)
	ok(t, "another request books 9:00", s.CreateBooking(ctx, "acme", booking("first", "ana", at(23, 9, 0), at(23, 10, 0), 0, 0), nil))
	wantCode(t, "claim after an old read", s.CreateBooking(rctx, "acme", booking("second", "ana", at(23, 9, 30), at(23, 10, 30), 0, 0), nil), slotbook.SlotTaken)

	// A read that saw a booking since cancelled: the time is free.
	rctx = scoped(ctx, s)
	_, err = s.Bookings(rctx, "acme", "ana", lo, hi)
	ok(t, "read day 23 again", err)
	ok(t, "cancel first", s.CancelBooking(ctx, "acme", "first", nil, nil))
	ok(t, "claim the cancelled time", s.CreateBooking(rctx, "acme", booking("third", "ana", at(23, 9, 0), at(23, 10, 0), 0, 0), nil))

	// A claim, then its request stalls; the claim is abandoned, released
	// and the time booked by another. The late confirmation must fail.
	now := at(24, 8, 0)
	abandoned := now.Add(slotbook.PendingTimeout + time.Second)
	rctx = scoped(ctx, s)
	lo, hi = day(25)
	_, err = s.Bookings(rctx, "acme", "ana", lo, hi)
	ok(t, "read day 25", err)
	ok(t, "claim late", s.CreateBooking(rctx, "acme", pending("late", "ana", at(25, 9, 0), at(25, 10, 0), now), nil))
	ok(t, "release the abandoned claim", s.ReleaseBooking(ctx, "acme", "late", slotbook.Release{AbandonedAt: abandoned, Now: abandoned}))
	ok(t, "another takes the time", s.CreateBooking(ctx, "acme", pending("taker", "ana", at(25, 9, 30), at(25, 10, 30), abandoned), nil))
	if err := s.ConfirmBooking(rctx, "acme", "late", "ev", abandoned, nil); err == nil {
		t.Fatal("a released claim was confirmed")
	}
	ok(t, "confirm the taker", s.ConfirmBooking(ctx, "acme", "taker", "ev", abandoned, nil))
	live, err := s.Bookings(ctx, "acme", "ana", at(25, 0, 0), at(26, 0, 0))
	ok(t, "list day 25", err)
	if got := ids(live); !reflect.DeepEqual(got, []string{"taker"}) {
		t.Errorf("day 25 holds %v, want taker only", got)
	}

	// Claim and confirm under one scope, with a second claim of another
	// day between: both stand.
	rctx = scoped(ctx, s)
	lo, hi = day(26)
	_, err = s.Bookings(rctx, "acme", "ana", lo, hi)
	ok(t, "read day 26", err)
	ok(t, "claim 26", s.CreateBooking(rctx, "acme", pending("p26", "ana", at(26, 9, 0), at(26, 10, 0), now), nil))
	ok(t, "claim 27", s.CreateBooking(rctx, "acme", pending("p27", "ana", at(27, 9, 0), at(27, 10, 0), now), nil))
	ok(t, "confirm 26", s.ConfirmBooking(rctx, "acme", "p26", "ev", now, nil))
	ok(t, "confirm 27", s.ConfirmBooking(rctx, "acme", "p27", "ev", now, nil))
	wantCode(t, "claim over 26 in the same scope", s.CreateBooking(rctx, "acme", booking("over", "ana", at(26, 9, 30), at(26, 10, 30), 0, 0), nil), slotbook.SlotTaken)
}
