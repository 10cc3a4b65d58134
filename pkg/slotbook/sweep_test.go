package slotbook_test

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
)

// sweep runs one Sweep and fails the test unless it reports want.
func (w *world) sweep(what string, want slotbook.SweepReport) {
	w.t.Helper()
	got, err := w.app.Sweep(w.t.Context())
	if err != nil || got != want {
		w.t.Errorf("%s: sweep = %+v, %v; want %+v", what, got, err, want)
	}
}

// TestSweepRemovesEventsOfDeadClaims: a request that dies after writing
// the event and before confirming leaves a pending booking and an event
// that blocks the time. Once the claim is abandoned and its grace is
// over, Sweep releases the booking and removes the event, and the time is
// offered again; before that it leaves both alone.
func TestSweepRemovesEventsOfDeadClaims(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	w.cal.Set(func(p *calendartest.Provider) { p.AfterPut = func() error { runtime.Goexit(); return nil } })
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.app.Book(w.anonymous(), request(at(10, 0)))
	}()
	<-done
	w.cal.Set(func(p *calendartest.Provider) { p.AfterPut = nil })

	if n := len(w.cal.WrittenTo("ana-pass")); n != 1 {
		t.Fatalf("events after the request died = %d, want 1", n)
	}
	offered := func() bool { got, _ := w.slots("ana"); return slices.Contains(got, "10:00 ana") }
	if offered() {
		t.Error("10:00 is offered while its claim is being made")
	}
	w.sweep("while the claim may still be completed", slotbook.SweepReport{})

	w.clock.advance(slotbook.PendingTimeout + time.Second)
	if offered() {
		t.Error("10:00 is offered while the dead claim's event still blocks it")
	}
	w.sweep("within the grace", slotbook.SweepReport{})
	if n := len(w.cal.WrittenTo("ana-pass")); n != 1 {
		t.Fatalf("events before the removal fell due = %d, want 1", n)
	}

	w.clock.advance(slotbook.RemovalGrace)
	w.sweep("once due", slotbook.SweepReport{Released: 1, Removed: 1})
	if n := len(w.cal.WrittenTo("ana-pass")); n != 0 {
		t.Errorf("events after the sweep = %d, want 0", n)
	}
	if live := w.liveBookings(); len(live) != 0 {
		t.Errorf("bookings after the sweep = %v, want none", live)
	}
	if !offered() {
		t.Error("10:00 is not offered again after the sweep")
	}
	w.sweep("again", slotbook.SweepReport{})
}

// TestSweepLeavesConfirmedBookings: a completed booking leaves nothing for
// Sweep; its event stays.
func TestSweepLeavesConfirmedBookings(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	w.book(request(at(10, 0)))
	w.clock.advance(time.Hour)
	w.sweep("an hour after a booking", slotbook.SweepReport{})
	if n := len(w.cal.WrittenTo("ana-pass")); n != 1 {
		t.Errorf("events = %d, want the booking's", n)
	}
}

// TestSweepRetriesRemovalsOfCancelledBookings: cancelling never fails
// because of the calendar; the event that could not be removed waits,
// counted on its connection, and Sweep removes it once the calendar works
// again, backing off in between.
func TestSweepRetriesRemovalsOfCancelledBookings(t *testing.T) {
	w := newWorld(t)
	k, acct := w.connect("ana", "ana-pass")
	res := w.book(request(at(10, 0)))
	w.cal.Set(func(*calendartest.Provider) { acct.Fail = errUnreachable })

	must(t, "cancel while the calendar is down", w.app.CancelBooking(w.anonymous(), "acme", res.Booking.ID, res.CancelToken))
	pending := func() int {
		t.Helper()
		ks, err := w.app.Connections(w.admin(), "acme", "ana")
		must(t, "connections", err)
		for _, c := range ks {
			if c.ID == k.ID {
				return c.PendingRemovals
			}
		}
		t.Fatalf("connection %s is gone", k.ID)
		return 0
	}
	if got := pending(); got != 1 {
		t.Errorf("pending removals = %d, want 1", got)
	}
	if got, ans := w.slots("ana"); len(got) != 0 || len(ans.Unavailable) != 1 {
		t.Errorf("slots with the calendar down = %q, unavailable %+v; want none, ana unavailable", got, ans.Unavailable)
	}

	w.sweep("calendar still down", slotbook.SweepReport{Postponed: 1})
	w.sweep("right after, backing off", slotbook.SweepReport{})

	w.cal.Set(func(*calendartest.Provider) { acct.Fail = nil })
	w.clock.advance(time.Minute)
	w.sweep("calendar back, removal due", slotbook.SweepReport{Removed: 1})
	if n := len(w.cal.WrittenTo("ana-pass")); n != 0 {
		t.Errorf("events = %d, want the cancelled booking's removed", n)
	}
	if got := pending(); got != 0 {
		t.Errorf("pending removals = %d, want 0", got)
	}
	if got, _ := w.slots("ana"); !slices.Contains(got, "10:00 ana") {
		t.Errorf("slots = %q, want 10:00 offered again", got)
	}
}
