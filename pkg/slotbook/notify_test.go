package slotbook_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// postbox is a slotbook.Mailer that keeps what it is given, and fails
// while down is set.
type postbox struct {
	mu   sync.Mutex
	sent []slotbook.Message
	down error
}

func (p *postbox) Send(_ context.Context, m slotbook.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down != nil {
		return p.down
	}
	p.sent = append(p.sent, m)
	return nil
}

func (p *postbox) setDown(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = err
}

// got returns what was sent as "kind to sequence", in order.
func (p *postbox) got() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []string{}
	for _, m := range p.sent {
		out = append(out, fmt.Sprintf("%s %s %d", m.Kind, m.To, m.Sequence))
	}
	return out
}

func (p *postbox) last() slotbook.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent[len(p.sent)-1]
}

// mailWorld is a world with a postbox, whose ana has an address.
func mailWorld(t *testing.T) (*world, *postbox) {
	box := &postbox{}
	w := newWorld(t, slotbook.WithMailer(box), slotbook.WithPublicURL("https://book.example/widget"))
	must(t, "ana's address", w.store.UpdateEmployee(t.Context(), "acme", slotbook.Employee{ID: "ana", Name: "Ana", Email: "ana@acme.example"}))
	return w, box
}

func (w *world) deliverDue() int {
	w.t.Helper()
	n, err := w.app.DeliverDue(w.t.Context(), 0)
	must(w.t, "deliver", err)
	return n
}

func TestBookingMailsGoOnceEach(t *testing.T) {
	w, box := mailWorld(t)
	// The booking of Monday 10:00 is made at 08:00, so a reminder a day
	// ahead is too late; one 60 minutes ahead is not.
	w.setCompany(func(c *slotbook.Company) { c.ReminderMinutesBefore = 60 })
	req := request(at(10, 0))
	req.IdempotencyKey, req.Lang = "k1", slotbook.English
	res, err := w.app.Book(w.anonymous(), req)
	must(t, "book", err)
	if got := box.got(); len(got) != 0 {
		t.Fatalf("mails went before delivery: %v", got)
	}
	_, err = w.app.Book(w.anonymous(), req)
	must(t, "replay", err)

	if n := w.deliverDue(); n != 2 {
		t.Errorf("delivered %d, want 2 (customer, employee)", n)
	}
	if got, want := box.got(), []string{"booked customer 0", "booked employee 0"}; !slices.Equal(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	cust := box.sent[0]
	if cust.ToAddress != "chris@client.example" || cust.Lang != slotbook.English || cust.UID != res.Booking.ID+"@slotbook" ||
		!cust.Start.Equal(at(10, 0)) || cust.ServiceName != "Consultation" || cust.CompanyName != "Acme" {
		t.Errorf("customer mail %+v", cust)
	}
	if !strings.HasPrefix(cust.CancelURL, "https://book.example/widget/cancel.html#") || !strings.Contains(cust.CancelURL, "token="+res.CancelToken) {
		t.Errorf("cancel link %q does not carry the booking's token", cust.CancelURL)
	}
	if emp := box.sent[1]; emp.ToAddress != "ana@acme.example" || emp.CancelURL != "" || emp.Customer.Email != "chris@client.example" {
		t.Errorf("employee mail %+v", emp)
	}
	if n := w.deliverDue(); n != 0 {
		t.Errorf("a second round sent %d", n)
	}

	// The reminder goes at 09:00, once.
	w.clock.advance(59 * time.Minute)
	if n := w.deliverDue(); n != 0 {
		t.Errorf("the reminder went a minute early (%d sent)", n)
	}
	w.clock.advance(time.Minute)
	if n := w.deliverDue(); n != 1 || box.last().Kind != slotbook.NoticeReminder {
		t.Errorf("at 09:00: %d sent, last %v", n, box.got())
	}
	if n := w.deliverDue(); n != 0 {
		t.Errorf("the reminder went twice")
	}
	ns, err := w.app.BookingNotifications(w.admin(), "acme", res.Booking.ID)
	must(t, "notifications", err)
	for _, n := range ns {
		if n.State != slotbook.NotificationSent || n.Attempts != 1 || n.SentAt.IsZero() {
			t.Errorf("notification %s: %s after %d attempts, sent at %v", n.ID, n.State, n.Attempts, n.SentAt)
		}
	}
}

func TestCancelledBookingGetsNoReminderAndOneCancellation(t *testing.T) {
	w, box := mailWorld(t)
	w.setCompany(func(c *slotbook.Company) { c.ReminderMinutesBefore = 30; c.NotifyEmployees = false })
	res, err := w.app.Book(w.anonymous(), request(at(11, 0)))
	must(t, "book", err)
	w.deliverDue()
	must(t, "cancel", w.app.CancelBooking(w.anonymous(), "acme", res.Booking.ID, res.CancelToken))
	w.clock.advance(3 * time.Hour)
	w.deliverDue()
	if got, want := box.got(), []string{"booked customer 0", "cancelled customer 1"}; !slices.Equal(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	if c := box.last(); !c.Cancelled() || c.CancelURL != "" || c.UID != res.Booking.ID+"@slotbook" {
		t.Errorf("cancellation %+v", c)
	}
	ns, err := w.app.BookingNotifications(w.admin(), "acme", res.Booking.ID)
	must(t, "notifications", err)
	states := map[string]string{}
	for _, n := range ns {
		states[n.ID] = string(n.State) + " " + n.ErrorClass
	}
	if states["reminder"] != "skipped booking_cancelled" || len(ns) != 3 {
		t.Errorf("notifications %v", states)
	}
}

// A reminder the skip did not reach (a crash between the cancel and the
// skip) is still not sent: the sender checks the booking.
func TestReminderOfACancelledBookingIsNotSentEvenIfStillPending(t *testing.T) {
	w, box := mailWorld(t)
	w.setCompany(func(c *slotbook.Company) { c.ReminderMinutesBefore = 30; c.NotifyEmployees = false })
	res, err := w.app.Book(w.anonymous(), request(at(11, 0)))
	must(t, "book", err)
	w.deliverDue()
	b, err := w.store.Booking(t.Context(), "acme", res.Booking.ID)
	must(t, "read", err)
	must(t, "cancel in the store only", w.store.CancelBooking(t.Context(), "acme", b.ID, nil, nil))
	w.clock.advance(3 * time.Hour)
	w.deliverDue()
	if got := box.got(); !slices.Equal(got, []string{"booked customer 0"}) {
		t.Errorf("sent %v", got)
	}
}

func TestFailingMailServiceNeverFailsABookingAndIsRetried(t *testing.T) {
	w, box := mailWorld(t)
	box.setDown(&slotbook.DeliveryError{Class: "unreachable"})
	res, err := w.app.Book(w.anonymous(), request(at(9, 0)))
	must(t, "book while the mail service is down", err)
	if n := w.deliverDue(); n != 0 {
		t.Fatalf("sent %d while down", n)
	}
	ns, _ := w.app.BookingNotifications(w.admin(), "acme", res.Booking.ID)
	for _, n := range ns {
		if n.State != slotbook.NotificationPending || n.ErrorClass != "unreachable" || n.Attempts != 1 || !n.Due.Equal(w.clock.now().Add(time.Minute)) {
			t.Errorf("after one failed try: %+v", n)
		}
	}
	box.setDown(nil)
	if n := w.deliverDue(); n != 0 {
		t.Errorf("retried before its time (%d)", n)
	}
	w.clock.advance(time.Minute)
	if n := w.deliverDue(); n != 2 {
		t.Errorf("after the pause: %d sent, want 2", n)
	}
	w.clock.advance(time.Hour)
	if n := w.deliverDue(); n != 0 || len(box.got()) != 2 {
		t.Errorf("sent again: %v", box.got())
	}
}

func TestMailFailsForGoodAfterItsTries(t *testing.T) {
	w, box := mailWorld(t)
	w.setCompany(func(c *slotbook.Company) { c.NotifyEmployees = false })
	box.setDown(errors.New("451 try later"))
	res, err := w.app.Book(w.anonymous(), request(at(9, 0)))
	must(t, "book", err)
	res2, err := w.app.Book(w.anonymous(), request(at(10, 0)))
	must(t, "book", err)
	must(t, "hold the second one back", w.store.PutNotification(t.Context(), func() slotbook.Notification {
		n, err := w.store.Notification(t.Context(), "acme", res2.Booking.ID, "0-booked-customer")
		must(t, "read", err)
		n.Due = t0.Add(100 * time.Hour)
		return n
	}(), ""))
	for range slotbook.MaxSendAttempts + 2 {
		w.deliverDue()
		w.clock.advance(4 * time.Hour)
	}
	n, err := w.store.Notification(t.Context(), "acme", res.Booking.ID, "0-booked-customer")
	must(t, "read", err)
	if n.State != slotbook.NotificationFailed || n.Attempts != slotbook.MaxSendAttempts || n.ErrorClass != "unknown" {
		t.Errorf("after every try: %s, %d attempts, %q", n.State, n.Attempts, n.ErrorClass)
	}

	box.setDown(&slotbook.DeliveryError{Class: "rejected_recipient", Permanent: true})
	w.clock.advance(100*time.Hour - time.Duration(slotbook.MaxSendAttempts+2)*4*time.Hour)
	w.deliverDue()
	n, _ = w.store.Notification(t.Context(), "acme", res2.Booking.ID, "0-booked-customer")
	if n.State != slotbook.NotificationFailed || n.Attempts != 1 || n.ErrorClass != "rejected_recipient" {
		t.Errorf("a permanent refusal: %s after %d, %q", n.State, n.Attempts, n.ErrorClass)
	}
}

func TestOneSenderPerNotification(t *testing.T) {
	w, box := mailWorld(t)
	w.setCompany(func(c *slotbook.Company) { c.NotifyEmployees = false })
	res, err := w.app.Book(w.anonymous(), request(at(9, 0)))
	must(t, "book", err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := w.app.Deliver(t.Context(), "acme", res.Booking.ID, "0-booked-customer"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := box.got(); len(got) != 1 {
		t.Errorf("8 senders sent %v", got)
	}
}

func TestBookingNotificationsAccess(t *testing.T) {
	w, _ := mailWorld(t)
	res, err := w.app.Book(w.anonymous(), request(at(9, 0)))
	must(t, "book", err)
	_, err = w.app.BookingNotifications(w.staff("ben"), "acme", res.Booking.ID)
	wantCode(t, "a colleague", err, slotbook.Forbidden)
	_, err = w.app.BookingNotifications(w.anonymous(), "acme", res.Booking.ID)
	wantCode(t, "signed out", err, slotbook.Unauthorized)
	ns, err := w.app.BookingNotifications(w.staff("ana"), "acme", res.Booking.ID)
	wantCode(t, "her own", err, "")
	for _, n := range ns {
		if n.SealedToken == nil && n.To == slotbook.ToCustomer {
			t.Errorf("%s has no sealed token", n.ID)
		}
	}
}
