package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// moveTo is a move of a booking to employee at start, an hour long.
func moveTo(employee string, start time.Time, seq int) slotbook.Move {
	return slotbook.Move{EmployeeID: employee, Start: start, End: start.Add(time.Hour), Sequence: seq, Now: at(20, 12, 0)}
}

// testReschedule: a move frees the old time and claims the new one at
// once; the booking's own time does not block it; a taken time, a stale
// sequence and a cancelled booking are refused and change nothing.
func testReschedule(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	ok(t, "b1", s.CreateBooking(ctx, "acme", booking("b1", "ana", at(22, 9, 0), at(22, 10, 0), 0, 0), nil))
	ok(t, "b2", s.CreateBooking(ctx, "acme", booking("b2", "ana", at(22, 11, 0), at(22, 12, 0), 0, 0), nil))

	// Half an hour later: overlaps its own old time.
	m := moveTo("ana", at(22, 9, 30), 0)
	reminder := notice("acme", "b1", slotbook.ReminderID, at(21, 9, 30))
	m.Outbox = []slotbook.Notification{notice("acme", "b1", "1-rescheduled-customer", m.Now), reminder}
	ok(t, "move by half an hour", s.RescheduleBooking(ctx, "acme", "b1", m))
	b, err := s.Booking(ctx, "acme", "b1")
	ok(t, "read", err)
	if !b.Start.Equal(at(22, 9, 30)) || b.Sequence != 1 || b.Reschedules != 1 || b.Status != slotbook.Confirmed {
		t.Errorf("moved booking %+v", b)
	}
	live, _ := s.Bookings(ctx, "acme", "ana", at(22, 0, 0), at(23, 0, 0))
	if got := ids(live); fmt.Sprint(got) != "[b1 b2]" {
		t.Errorf("ana's bookings %v, want b1 once and b2", got)
	}
	// 09:00–09:30 of the old time is free again for others; the new time is not.
	wantCode(t, "claim over the new time", s.CreateBooking(ctx, "acme", booking("x1", "ana", at(22, 10, 0), at(22, 10, 30), 0, 0), nil), slotbook.SlotTaken)
	ok(t, "claim the freed 09:00–09:30", s.CreateBooking(ctx, "acme", booking("x2", "ana", at(22, 9, 0), at(22, 9, 30), 0, 0), nil))

	wantCode(t, "a stale sequence", s.RescheduleBooking(ctx, "acme", "b1", moveTo("ana", at(22, 13, 0), 0)), slotbook.Conflict)
	wantCode(t, "into b2's time", s.RescheduleBooking(ctx, "acme", "b1", moveTo("ana", at(22, 11, 30), 1)), slotbook.SlotTaken)
	if b, _ := s.Booking(ctx, "acme", "b1"); !b.Start.Equal(at(22, 9, 30)) || b.Sequence != 1 {
		t.Errorf("a refused move changed the booking: %+v", b)
	}
	// To another employee, at b2's time: bob is free then.
	ok(t, "move to bob", s.RescheduleBooking(ctx, "acme", "b1", moveTo("bob", at(22, 11, 0), 1)))
	if b, _ := s.Booking(ctx, "acme", "b1"); b.EmployeeID != "bob" || !b.Start.Equal(at(22, 11, 0)) || b.Sequence != 2 {
		t.Errorf("after the move to bob: %+v", b)
	}
	if live, _ := s.Bookings(ctx, "acme", "ana", at(22, 0, 0), at(23, 0, 0)); fmt.Sprint(ids(live)) != "[x2 b2]" {
		t.Errorf("ana's bookings %v, want x2, b2", ids(live))
	}
	ns, _ := s.Notifications(ctx, "acme", "b1")
	if len(ns) != 2 || ns[1].ID != slotbook.ReminderID || !ns[1].Due.Equal(at(21, 9, 30)) {
		t.Errorf("notifications %v", notificationIDs(ns))
	}
	ok(t, "cancel b1", s.CancelBooking(ctx, "acme", "b1", nil, nil))
	wantCode(t, "move a cancelled booking", s.RescheduleBooking(ctx, "acme", "b1", moveTo("bob", at(22, 14, 0), 3)), slotbook.BookingCancelled)
	wantCode(t, "move an unknown booking", s.RescheduleBooking(ctx, "acme", "nope", moveTo("bob", at(22, 14, 0), 0)), slotbook.NotFound)
}

// testReschedulesRace: 20 bookings moved at once into one free hour: one
// move wins; the others keep their old times; nothing is lost.
func testReschedulesRace(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	for i := range 20 {
		start := at(23, 0, 0).Add(time.Duration(i) * time.Hour)
		ok(t, "book", s.CreateBooking(ctx, "acme", booking(fmt.Sprintf("r%02d", i), "ana", start, start.Add(time.Hour), 0, 0), nil))
	}
	target := at(24, 12, 0)
	var mu sync.Mutex
	wins := 0
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			err := s.RescheduleBooking(ctx, "acme", fmt.Sprintf("r%02d", i), moveTo("ana", target, 0))
			mu.Lock()
			defer mu.Unlock()
			switch slotbook.ErrorCode(err) {
			case "":
				wins++
			case slotbook.SlotTaken, slotbook.Unavailable:
			default:
				t.Errorf("move r%02d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d moves into one hour won, want 1", wins)
	}
	all, err := s.Bookings(ctx, "acme", "ana", at(22, 0, 0), at(26, 0, 0))
	ok(t, "list", err)
	at12 := 0
	for _, b := range all {
		if b.Start.Equal(target) {
			at12++
		}
	}
	if len(all) != 20 || at12 != 1 {
		t.Errorf("%d bookings, %d at the target; want 20 and 1", len(all), at12)
	}
}

// testRescheduleClaim: a move that wrote a new event drops that event's
// claim (its removal-if-unconfirmed) in the same step and records the old
// event's removal; a claim that is gone, or at another version (the
// sweeper took it over), fails the move, which then changes nothing. Of a
// take-over and a move racing for one claim, exactly one wins.
func testRescheduleClaim(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	b := booking("b1", "ana", at(22, 9, 0), at(22, 10, 0), 0, 0)
	b.Event = slotbook.EventRef{Connection: "k1", Key: "b1", EventID: "ev-b1"}
	ok(t, "b1", s.CreateBooking(ctx, "acme", b, nil))
	if rs, _ := s.Removals(ctx, "acme", "ana"); len(rs) == 1 { // the claim of b1's own event, as if confirmed
		ok(t, "drop b1's claim", s.DeleteRemoval(ctx, "acme", "ana", "b1", rs[0].Version))
	}
	claim := func(key, version string) slotbook.EventRemoval {
		return slotbook.EventRemoval{CompanyID: "acme", EmployeeID: "ana", BookingID: "b1",
			Event: slotbook.EventRef{Connection: "k1", Key: key}, Start: at(22, 11, 0), End: at(22, 12, 0),
			Reason: slotbook.RemovalIfUnconfirmed, Due: at(20, 13, 0), Version: version}
	}
	move := func(key, version string, seq int) slotbook.Move {
		m := moveTo("ana", at(22, 11, 0), seq)
		m.Event = slotbook.EventRef{Connection: "k1", Key: key, EventID: "ev-" + key}
		m.Claim, m.ByCustomer = version, true
		old := slotbook.EventRemoval{CompanyID: "acme", EmployeeID: "ana", BookingID: "b1", Event: b.Event,
			Start: b.Start, End: b.End, Reason: slotbook.RemovalMoved, Due: m.Now, Version: "old-" + key}
		m.Removal = &old
		return m
	}
	ok(t, "claim b1.x", s.PutRemoval(ctx, claim("b1.x", "c1"), ""))
	wantCode(t, "a move with a claim at another version", s.RescheduleBooking(ctx, "acme", "b1", move("b1.x", "c0", 0)), slotbook.Conflict)
	wantCode(t, "a move with a claim that is gone", s.RescheduleBooking(ctx, "acme", "b1", move("b1.y", "c9", 0)), slotbook.Conflict)
	got, _ := s.Booking(ctx, "acme", "b1")
	rs, _ := s.Removals(ctx, "acme", "ana")
	if !got.Start.Equal(b.Start) || got.Event != b.Event || len(rs) != 1 || rs[0].Event.Key != "b1.x" {
		t.Fatalf("after the refused moves: booking %+v, removals %+v", got, rs)
	}

	ok(t, "the move", s.RescheduleBooking(ctx, "acme", "b1", move("b1.x", "c1", 0)))
	got, _ = s.Booking(ctx, "acme", "b1")
	rs, _ = s.Removals(ctx, "acme", "ana")
	if !got.Start.Equal(at(22, 11, 0)) || got.Event.Key != "b1.x" || got.Event.EventID != "ev-b1.x" || got.CustomerReschedules != 1 || got.Reschedules != 1 {
		t.Errorf("moved: %+v", got)
	}
	if len(rs) != 1 || rs[0].Event.Key != "b1" || rs[0].Reason != slotbook.RemovalMoved {
		t.Errorf("removals after the move: %+v, want the old event's only", rs)
	}

	// The race of a sweeper's take-over and a move, for one claim.
	for round := range 5 {
		key := fmt.Sprintf("b1.r%d", round)
		ok(t, "claim", s.PutRemoval(ctx, claim(key, "c"), ""))
		cur, _ := s.Booking(ctx, "acme", "b1")
		m := move(key, "c", cur.Sequence)
		m.Start, m.End = at(22, 9+round%2*2, 0), at(22, 10+round%2*2, 0)
		m.Removal = nil
		var moveErr, takeErr error
		var wg sync.WaitGroup
		wg.Go(func() { moveErr = s.RescheduleBooking(ctx, "acme", "b1", m) })
		wg.Go(func() {
			next := claim(key, "taken")
			next.Reason = slotbook.RemovalAbandoned
			takeErr = s.PutRemoval(ctx, next, "c")
		})
		wg.Wait()
		after, _ := s.Booking(ctx, "acme", "b1")
		switch {
		case moveErr == nil && takeErr == nil, moveErr != nil && takeErr != nil:
			t.Fatalf("round %d: move %v, take-over %v; want exactly one to win", round, moveErr, takeErr)
		case moveErr == nil && after.Event.Key != key:
			t.Fatalf("round %d: the move won, but the booking's event is %+v", round, after.Event)
		case takeErr == nil && after.Event.Key == key:
			t.Fatalf("round %d: the take-over won, but the booking points at its event", round)
		case takeErr == nil:
			ok(t, "drop the taken claim", s.DeleteRemoval(ctx, "acme", "ana", key, "taken"))
		}
	}
}
