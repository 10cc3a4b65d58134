package slotbook_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
)

// move reschedules res's booking to start with its cancel token.
func (w *world) move(res slotbook.BookingResult, start time.Time) (slotbook.Booking, error) {
	return w.app.Reschedule(w.anonymous(), slotbook.RescheduleRequest{
		CompanyID: "acme", BookingID: res.Booking.ID, Token: res.CancelToken, Start: start,
	})
}

// eventTimes returns the start of each event written into the account of
// secret, as "15:04" in Zurich.
func (w *world) eventTimes(secret string) []string {
	var out []string
	for _, ev := range w.cal.WrittenTo(secret) {
		out = append(out, ev.Start.In(zurich).Format("15:04"))
	}
	return out
}

// dies runs f, a request that dies (runtime.Goexit) on the way, to its end.
func dies(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func (w *world) stored(id string) slotbook.Booking {
	w.t.Helper()
	b, err := w.store.Booking(w.t.Context(), "acme", id)
	must(w.t, "read booking", err)
	return b
}

// TestRescheduleMovesTheEvent: a move by half an hour overlaps the
// booking's own time and its own event (which the calendar reports busy)
// and succeeds; the calendar then holds one event, at the new time.
func TestRescheduleMovesTheEvent(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	res := w.book(request(at(10, 0)))
	moved, err := w.move(res, at(10, 30))
	must(t, "move over its own time", err)
	if !moved.Start.Equal(at(10, 30)) || moved.Reschedules != 1 || moved.CustomerReschedules != 1 || moved.Sequence != 1 {
		t.Errorf("moved: %+v", moved)
	}
	if got := w.eventTimes("ana-pass"); len(got) != 1 || got[0] != "10:30" {
		t.Errorf("events after the move: %v, want one at 10:30", got)
	}
	if b := w.stored(res.Booking.ID); b.Event.Key == res.Booking.Event.Key || b.Event.EventID != "ev-"+b.Event.Key {
		t.Errorf("the booking's event %+v (was %+v)", b.Event, res.Booking.Event)
	}
	if rs, _ := w.store.Removals(t.Context(), "acme", "ana"); len(rs) != 0 {
		t.Errorf("removals left: %+v", rs)
	}
	w.clock.advance(time.Hour)
	w.sweep("after the move", slotbook.SweepReport{})
}

// TestRescheduleDiesAfterWritingTheNewEvent: a request that dies between
// writing the new event and moving the booking leaves two events for a
// moment; the sweeper removes the new one once its claim is due, and the
// booking keeps its time and event.
func TestRescheduleDiesAfterWritingTheNewEvent(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	res := w.book(request(at(10, 0)))
	w.cal.Set(func(p *calendartest.Provider) { p.AfterPut = func() error { runtime.Goexit(); return nil } })
	dies(func() { w.move(res, at(11, 0)) })
	w.cal.Set(func(p *calendartest.Provider) { p.AfterPut = nil })
	if got := w.eventTimes("ana-pass"); len(got) != 2 {
		t.Fatalf("events after the request died: %v, want two", got)
	}
	w.sweep("before the claim is due", slotbook.SweepReport{})
	w.clock.advance(slotbook.PendingTimeout + slotbook.RemovalGrace)
	w.sweep("once due", slotbook.SweepReport{Removed: 1})
	if got := w.eventTimes("ana-pass"); len(got) != 1 || got[0] != "10:00" {
		t.Errorf("events after the sweep: %v, want one at 10:00", got)
	}
	if b := w.stored(res.Booking.ID); !b.Start.Equal(at(10, 0)) || b.Event != res.Booking.Event || b.Reschedules != 0 {
		t.Errorf("the booking after the died move: %+v", b)
	}
	// The customer may still move it: the dead attempt counted for nothing.
	if _, err := w.move(res, at(11, 0)); err != nil {
		t.Errorf("the retried move: %v", err)
	}
	if got := w.eventTimes("ana-pass"); len(got) != 1 || got[0] != "11:00" {
		t.Errorf("events after the retried move: %v, want one at 11:00", got)
	}
}

// TestRescheduleLosesToTheSweeper: a move so slow that the sweeper has
// taken its claim over (and removed its new event) fails instead of
// pointing the booking at an event that is gone.
func TestRescheduleLosesToTheSweeper(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	res := w.book(request(at(10, 0)))
	w.cal.Set(func(p *calendartest.Provider) {
		p.AfterPut = func() error {
			w.clock.advance(slotbook.PendingTimeout + slotbook.RemovalGrace)
			w.sweep("while the move hangs", slotbook.SweepReport{Removed: 1})
			return nil
		}
	})
	_, err := w.move(res, at(11, 0))
	w.cal.Set(func(p *calendartest.Provider) { p.AfterPut = nil })
	wantCode(t, "the late move", err, slotbook.Conflict)
	if got := w.eventTimes("ana-pass"); len(got) != 1 || got[0] != "10:00" {
		t.Errorf("events: %v, want the booking's at 10:00", got)
	}
	if b := w.stored(res.Booking.ID); !b.Start.Equal(at(10, 0)) || b.Event != res.Booking.Event {
		t.Errorf("the booking: %+v", b)
	}
}

// TestRescheduleDiesBeforeRemovingTheOldEvent: the move stands; the old
// event's removal was recorded with it and the sweeper takes it away.
func TestRescheduleDiesBeforeRemovingTheOldEvent(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	res := w.book(request(at(10, 0)))
	w.cal.Set(func(p *calendartest.Provider) {
		p.BeforeWrite = func(method string) error {
			if method != "PutEvent" {
				runtime.Goexit()
			}
			return nil
		}
	})
	dies(func() { w.move(res, at(11, 0)) })
	w.cal.Set(func(p *calendartest.Provider) { p.BeforeWrite = nil })
	if b := w.stored(res.Booking.ID); !b.Start.Equal(at(11, 0)) {
		t.Fatalf("the booking did not move: %+v", b)
	}
	w.sweep("the old event's removal", slotbook.SweepReport{Removed: 1})
	if got := w.eventTimes("ana-pass"); len(got) != 1 || got[0] != "11:00" {
		t.Errorf("events after the sweep: %v, want one at 11:00", got)
	}
}

// TestRescheduleWithTheCalendarDown: the move fails (503) and changes
// nothing; nothing is left in the calendar.
func TestRescheduleWithTheCalendarDown(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	res := w.book(request(at(10, 0)))
	w.cal.Set(func(p *calendartest.Provider) {
		p.BeforeWrite = func(string) error { return errUnreachable }
	})
	_, err := w.move(res, at(11, 0))
	wantCode(t, "move with the calendar unwritable", err, slotbook.Unavailable)
	w.cal.Set(func(p *calendartest.Provider) { p.BeforeWrite = nil })
	if b := w.stored(res.Booking.ID); !b.Start.Equal(at(10, 0)) || b.Reschedules != 0 || b.CustomerReschedules != 0 {
		t.Errorf("the booking: %+v", b)
	}
	w.clock.advance(slotbook.PendingTimeout + slotbook.RemovalGrace)
	w.sweep("the failed move's claim", slotbook.SweepReport{Removed: 1})
	if got := w.eventTimes("ana-pass"); len(got) != 1 || got[0] != "10:00" {
		t.Errorf("events: %v", got)
	}
}
