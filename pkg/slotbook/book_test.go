package slotbook_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
)

// book books r and fails the test if that fails.
func (w *world) book(r slotbook.BookingRequest) slotbook.BookingResult {
	w.t.Helper()
	res, err := w.app.Book(w.anonymous(), r)
	must(w.t, "book", err)
	return res
}

// liveBookings returns the ids of ana's bookings that block time on monday.
func (w *world) liveBookings() []string {
	w.t.Helper()
	bs, err := w.store.Bookings(w.t.Context(), "acme", "ana", at(0, 0), at(23, 59))
	must(w.t, "list bookings", err)
	var out []string
	for _, b := range bs {
		if b.Blocks(w.clock.now()) {
			out = append(out, b.ID)
		}
	}
	return out
}

// TestBookWritesTheEventAndTakesTheSlot: a booking is confirmed, written
// as one event into the employee's default calendar (without the cancel
// token), stored with only the token's hash, and its time is no longer
// offered.
func TestBookWritesTheEventAndTakesTheSlot(t *testing.T) {
	w := newWorld(t)
	k, _ := w.connect("ana", "ana-pass")
	res := w.book(request(at(10, 0)))
	b := res.Booking

	if b.Status != slotbook.Confirmed || !b.Start.Equal(at(10, 0)) || !b.End.Equal(at(11, 0)) || res.Replayed {
		t.Errorf("booking = %+v (replayed %v), want confirmed 10:00–11:00, not replayed", b, res.Replayed)
	}
	if b.Start.Location().String() != "Europe/Zurich" {
		t.Errorf("answer's times are in %s, want the company's zone", b.Start.Location())
	}
	if len(res.CancelToken) < 32 {
		t.Errorf("cancel token %q is too short to be unguessable", res.CancelToken)
	}

	written := w.cal.WrittenTo("ana-pass")
	if len(written) != 1 {
		t.Fatalf("events written = %d, want 1", len(written))
	}
	for id, ev := range written {
		if !ev.Start.Equal(b.Start) || !ev.End.Equal(b.End) || ev.TimeZone != "Europe/Zurich" {
			t.Errorf("event %s–%s in %s, want the booking's time in ana's zone", ev.Start, ev.End, ev.TimeZone)
		}
		if !strings.Contains(ev.Title, "Consultation") || !strings.Contains(ev.Title, "Chris Client") {
			t.Errorf("event title %q, want service and customer", ev.Title)
		}
		if strings.Contains(ev.Title+ev.Description, res.CancelToken) {
			t.Error("the event carries the cancel token: whoever reads the calendar could cancel")
		}
		stored, err := w.store.Booking(t.Context(), "acme", b.ID)
		if err != nil || stored.Event.Connection != k.ID || stored.Event.EventID != id {
			t.Errorf("stored event = %+v (%v), want connection %s and event %s", stored.Event, err, k.ID, id)
		}
		if h := sha256.Sum256([]byte(res.CancelToken)); !slices.Equal(stored.CancelTokenHash, h[:]) {
			t.Error("the stored booking does not hold the token's SHA-256")
		}
	}
	if rs, err := w.store.Removals(t.Context(), "acme", "ana"); err != nil || len(rs) != 0 {
		t.Errorf("removals after a confirmed booking = %+v, %v; want none", rs, err)
	}
	if got, want := func() []string { s, _ := w.slots("ana"); return s }(), []string{"09:00 ana", "11:00 ana"}; !slices.Equal(got, want) {
		t.Errorf("slots after booking 10:00 = %q, want %q", got, want)
	}
}

// TestBookRefusesTimesThatAreNotFree: a start is booked only if /slots
// would offer it right now.
func TestBookRefusesTimesThatAreNotFree(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	w.book(request(at(10, 0)))
	tests := []struct {
		name  string
		start time.Time
		want  slotbook.Code
	}{
		{"the same start", at(10, 0), slotbook.SlotTaken},
		{"an overlapping start", at(10, 30), slotbook.SlotTaken},
		{"off the grid", at(9, 15), slotbook.SlotTaken},
		{"outside the working hours", at(8, 0), slotbook.SlotTaken},
		{"running past the working hours", at(11, 30), slotbook.SlotTaken},
		{"right after it", at(11, 0), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.app.Book(w.anonymous(), request(tt.start))
			wantCode(t, "Book", err, tt.want)
		})
	}
	if n := len(w.cal.WrittenTo("ana-pass")); n != 2 {
		t.Errorf("events written = %d, want 2: one per booking made", n)
	}
}

// TestConcurrentBookingsOfOneSlot: of many requests for one time, exactly
// one books; every other is told the time was taken.
func TestConcurrentBookingsOfOneSlot(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := request(at(10, 0))
			r.Customer.Name = "Customer " + string(rune('A'+i))
			_, errs[i] = w.app.Book(w.anonymous(), r)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch slotbook.ErrorCode(err) {
		case "":
			won++
		case slotbook.SlotTaken:
		default:
			t.Errorf("a loser got %v, want slot_taken", err)
		}
	}
	if won != 1 || len(w.liveBookings()) != 1 || len(w.cal.WrittenTo("ana-pass")) != 1 {
		t.Errorf("%d won, %d bookings, %d events; want one of each", won, len(w.liveBookings()), len(w.cal.WrittenTo("ana-pass")))
	}
}

// TestIdempotentRetries: a retry with the same Idempotency-Key repeats the
// first answer — same booking, same cancel token — and books nothing
// more, also when the retries race; the key with another request is
// refused.
func TestIdempotentRetries(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	r := request(at(10, 0))
	r.IdempotencyKey = "order-1"
	first := w.book(r)
	again := w.book(r)
	if !again.Replayed || again.Booking.ID != first.Booking.ID || again.CancelToken != first.CancelToken || again.Booking.Status != slotbook.Confirmed {
		t.Errorf("retry = %+v, want a replay of %s with the same token", again, first.Booking.ID)
	}

	other := r
	other.Customer.Name = "Someone Else"
	_, err := w.app.Book(w.anonymous(), other)
	wantCode(t, "the key with another request", err, slotbook.Unprocessable)

	racing := request(at(9, 0))
	racing.IdempotencyKey = "order-2"
	const n = 8
	results := make([]slotbook.BookingResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = w.app.Book(w.anonymous(), racing) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || results[i].Booking.ID != results[0].Booking.ID || results[i].CancelToken != results[0].CancelToken {
			t.Errorf("racing retry %d = %s, %v; want booking %s", i, results[i].Booking.ID, errs[i], results[0].Booking.ID)
		}
	}
	if got := len(w.liveBookings()); got != 2 {
		t.Errorf("bookings = %d, want 2: one per key", got)
	}
	if got := len(w.cal.WrittenTo("ana-pass")); got != 2 {
		t.Errorf("events = %d, want 2: one per key", got)
	}
}

// TestCancelWithToken: the cancel token cancels its booking, frees the
// time and removes the event; a wrong token changes nothing; a cancelled
// booking cannot be cancelled again.
func TestCancelWithToken(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	res := w.book(request(at(10, 0)))
	other := w.book(request(at(9, 0)))
	id := res.Booking.ID

	for _, c := range []struct {
		name, token string
		want        slotbook.Code
	}{
		{"a made-up token", "not-the-token", slotbook.Forbidden},
		{"another booking's token", other.CancelToken, slotbook.Forbidden},
	} {
		wantCode(t, c.name, w.app.CancelBooking(w.anonymous(), "acme", id, c.token), c.want)
	}
	if got := len(w.liveBookings()); got != 2 {
		t.Fatalf("after refused cancels %d bookings live, want 2", got)
	}
	wantCode(t, "no token, signed out", w.app.CancelBooking(w.anonymous(), "acme", id, ""), slotbook.Unauthorized)
	wantCode(t, "a booking that does not exist", w.app.CancelBooking(w.anonymous(), "acme", "nosuch", res.CancelToken), slotbook.NotFound)

	must(t, "cancel with the token", w.app.CancelBooking(w.anonymous(), "acme", id, res.CancelToken))
	stored, err := w.store.Booking(t.Context(), "acme", id)
	if err != nil || stored.Status != slotbook.Cancelled {
		t.Errorf("stored = %s, %v; want cancelled", stored.Status, err)
	}
	if written := w.cal.WrittenTo("ana-pass"); len(written) != 1 {
		t.Errorf("events left = %d, want only the other booking's", len(written))
	}
	if got, _ := w.slots("ana"); !slices.Contains(got, "10:00 ana") {
		t.Errorf("slots after cancelling 10:00 = %q, want 10:00 offered again", got)
	}
	wantCode(t, "cancel again", w.app.CancelBooking(w.anonymous(), "acme", id, res.CancelToken), slotbook.BookingCancelled)
}

// TestCancelAsStaff: without a token, admins cancel any booking of their
// company and staff their own; nobody else.
func TestCancelAsStaff(t *testing.T) {
	tests := []struct {
		name string
		who  func(w *world) context.Context
		want slotbook.Code
	}{
		{"admin", (*world).admin, ""},
		{"ana, whose booking it is", func(w *world) context.Context { return w.staff("ana") }, ""},
		{"ben, a colleague", func(w *world) context.Context { return w.staff("ben") }, slotbook.Forbidden},
		{"support, let in", func(w *world) context.Context { return as(w.t, slotbook.RoleSupport, "helper", "") }, slotbook.Forbidden},
		{"admin of another company", func(w *world) context.Context { return as(w.t, slotbook.RoleAdmin, "boss", "globex") }, slotbook.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.setCompany(func(c *slotbook.Company) { c.SupportAccess = true })
			id := w.book(request(at(10, 0))).Booking.ID
			wantCode(t, "CancelBooking", w.app.CancelBooking(tt.who(w), "acme", id, ""), tt.want)
			b, err := w.store.Booking(t.Context(), "acme", id)
			must(t, "read booking", err)
			if got, want := b.Status == slotbook.Cancelled, tt.want == ""; got != want {
				t.Errorf("cancelled = %v, want %v", got, want)
			}
		})
	}
}

// TestReplayAfterCancel: retrying a booking request after its booking was
// cancelled repeats the first answer with the booking as it is now —
// cancelled — and does not book the time again.
func TestReplayAfterCancel(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	r := request(at(10, 0))
	r.IdempotencyKey = "order-1"
	first := w.book(r)
	must(t, "cancel", w.app.CancelBooking(w.anonymous(), "acme", first.Booking.ID, first.CancelToken))

	again := w.book(r)
	if !again.Replayed || again.Booking.ID != first.Booking.ID || again.Booking.Status != slotbook.Cancelled || again.CancelToken != first.CancelToken {
		t.Errorf("replay = %+v, want the first booking, cancelled", again)
	}
	if live := w.liveBookings(); len(live) != 0 {
		t.Errorf("live bookings after the replay = %v, want none", live)
	}
	if n := len(w.cal.WrittenTo("ana-pass")); n != 0 {
		t.Errorf("events after the replay = %d, want none", n)
	}
}

// TestBookFailsClosed: when the employee's calendar cannot be checked or
// written, nothing is booked — no booking, no event, nothing left to
// clean up — and the caller is told to try again.
func TestBookFailsClosed(t *testing.T) {
	errWrite := errors.New("write refused")
	tests := []struct {
		name   string
		break_ func(p *calendartest.Provider, acct *calendartest.Account)
		want   slotbook.Code
	}{
		{"calendar unreachable", func(_ *calendartest.Provider, a *calendartest.Account) { a.Fail = errUnreachable }, slotbook.Unavailable},
		{"credentials refused", func(p *calendartest.Provider, _ *calendartest.Account) { delete(p.Accounts, "ana-pass") }, slotbook.Unavailable},
		{"the write fails", func(p *calendartest.Provider, _ *calendartest.Account) {
			p.BeforeWrite = func(m string) error {
				if m == "PutEvent" {
					return errWrite
				}
				return nil
			}
		}, slotbook.Unavailable},
		{"the write's answer is lost", func(p *calendartest.Provider, _ *calendartest.Account) {
			p.AfterPut = func() error { return context.DeadlineExceeded }
		}, slotbook.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			_, acct := w.connect("ana", "ana-pass")
			w.cal.Set(func(p *calendartest.Provider) { tt.break_(p, acct) })
			_, err := w.app.Book(w.anonymous(), request(at(10, 0)))
			wantCode(t, "Book", err, tt.want)

			if live := w.liveBookings(); len(live) != 0 {
				t.Errorf("bookings = %v, want none", live)
			}
			if written := w.cal.WrittenTo("ana-pass"); len(written) != 0 {
				t.Errorf("events = %v, want none", written)
			}
			if rs, err := w.store.Removals(t.Context(), "acme", "ana"); err != nil || len(rs) != 0 {
				t.Errorf("removals left = %+v, %v; want none", rs, err)
			}
		})
	}
}

// TestBookingRequestValidation: a malformed request is refused before
// anything is read, naming every field at fault.
func TestBookingRequestValidation(t *testing.T) {
	w := newWorld(t)
	w.connect("ana", "ana-pass")
	calls := w.cal.Count("Busy")
	r := func(change func(r *slotbook.BookingRequest)) slotbook.BookingRequest {
		r := request(at(10, 0))
		change(&r)
		return r
	}
	tests := []struct {
		name string
		req  slotbook.BookingRequest
		want []string
	}{
		{"a service id with a space", r(func(r *slotbook.BookingRequest) { r.ServiceID = "con sult" }), []string{"service"}},
		{"an employee id with a slash", r(func(r *slotbook.BookingRequest) { r.EmployeeID = "ana/1" }), []string{"employee"}},
		{"no name", r(func(r *slotbook.BookingRequest) { r.Customer.Name = "  " }), []string{"customer.name"}},
		{"a name with a line break", r(func(r *slotbook.BookingRequest) { r.Customer.Name = "Chris\nClient" }), []string{"customer.name"}},
		{"an e-mail with a display name", r(func(r *slotbook.BookingRequest) { r.Customer.Email = "Chris <chris@client.example>" }), []string{"customer.email"}},
		{"a phone with letters", r(func(r *slotbook.BookingRequest) { r.Customer.Phone = "call me" }), []string{"customer.phone"}},
		{"notes too long", r(func(r *slotbook.BookingRequest) { r.Notes = strings.Repeat("x", slotbook.MaxNotesLength+1) }), []string{"notes"}},
		{"a key with a space", r(func(r *slotbook.BookingRequest) { r.IdempotencyKey = "order 1" }), []string{"Idempotency-Key"}},
		{"a start in 2200", r(func(r *slotbook.BookingRequest) { r.Start = time.Date(2200, 1, 1, 9, 0, 0, 0, time.UTC) }), []string{"start"}},
		{"a start in 1999", r(func(r *slotbook.BookingRequest) { r.Start = time.Date(1999, 12, 31, 9, 0, 0, 0, time.UTC) }), []string{"start"}},
		{"three at once", r(func(r *slotbook.BookingRequest) {
			r.Start, r.Customer.Name, r.Customer.Email = time.Time{}, "", "chris"
		}), []string{"start", "customer.name", "customer.email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.app.Book(w.anonymous(), tt.req)
			wantFields(t, "Book", err, slotbook.Invalid, tt.want...)
			if len(tt.want) > 1 && !strings.Contains(slotbook.ErrorMessage(err), "and 2 more") {
				t.Errorf("message %q does not say that more fields are wrong", slotbook.ErrorMessage(err))
			}
		})
	}
	if got := w.cal.Count("Busy"); got != calls {
		t.Errorf("calendars read %d times for invalid requests, want 0", got-calls)
	}
	if live := w.liveBookings(); len(live) != 0 {
		t.Errorf("bookings = %v, want none", live)
	}
}

// A customer may not cancel later than the company's notice; staff and
// admins may.
func TestCancelDeadlineBindsTheCustomerOnly(t *testing.T) {
	w := newWorld(t)
	w.setCompany(func(c *slotbook.Company) { c.CancelNoticeMinutes = 120 })
	res, err := w.app.Book(w.anonymous(), request(at(11, 0)))
	must(t, "book", err)
	// 08:00: three hours ahead, the customer may cancel; at 09:30 not any more.
	w.clock.advance(90 * time.Minute)
	wantCode(t, "the customer, 90 minutes before", w.app.CancelBooking(w.anonymous(), "acme", res.Booking.ID, res.CancelToken), slotbook.TooLate)
	if b, _ := w.store.Booking(t.Context(), "acme", res.Booking.ID); b.Status != slotbook.Confirmed {
		t.Fatalf("a refused cancel left the booking %s", b.Status)
	}
	wantCode(t, "the admin, 90 minutes before", w.app.CancelBooking(w.admin(), "acme", res.Booking.ID, ""), "")

	w.setCompany(func(c *slotbook.Company) { c.CancelNoticeMinutes = 0 })
	res3, err := w.app.Book(w.anonymous(), request(at(11, 0)))
	must(t, "book 11:00 again", err)
	wantCode(t, "no notice: the customer cancels 90 minutes before", w.app.CancelBooking(w.anonymous(), "acme", res3.Booking.ID, res3.CancelToken), "")
}
