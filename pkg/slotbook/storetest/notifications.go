package storetest

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// notice is a pending notification of booking b, due at due.
func notice(c, b, id string, due time.Time) slotbook.Notification {
	return slotbook.Notification{
		CompanyID: c, BookingID: b, ID: id, Kind: slotbook.NoticeBooked, To: slotbook.ToCustomer,
		BookingStart: at(22, 9, 0), Lang: slotbook.German, Due: due, State: slotbook.NotificationPending,
		SealedToken: []byte{9, 8, 7}, Version: slotbook.NewID(),
	}
}

// testNotifications: the outbox is written with the confirmation and the
// cancellation, read per booking and, across companies, by due time; a
// versioned put lets one of two senders take a notification.
func testNotifications(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	setup(t, s, "beta")
	now := at(20, 12, 0)
	ok(t, "claim", s.CreateBooking(ctx, "acme", pending("b1", "ana", at(22, 9, 0), at(22, 10, 0), now), nil))
	ok(t, "claim in beta", s.CreateBooking(ctx, "beta", pending("b2", "ana", at(22, 9, 0), at(22, 10, 0), now), nil))

	wrong := []slotbook.Notification{notice("acme", "other", "0-booked-customer", now)}
	wantCode(t, "an outbox of another booking", s.ConfirmBooking(ctx, "acme", "b1", "", now, wrong), slotbook.Invalid)
	if b, _ := s.Booking(ctx, "acme", "b1"); b.Status != slotbook.Pending {
		t.Fatalf("a refused confirmation changed the booking: %v", b.Status)
	}
	reminder := notice("acme", "b1", slotbook.ReminderID, at(21, 9, 0))
	reminder.Kind = slotbook.NoticeReminder
	outbox := []slotbook.Notification{notice("acme", "b1", "0-booked-customer", now), notice("acme", "b1", "0-booked-employee", now), reminder}
	ok(t, "confirm with the outbox", s.ConfirmBooking(ctx, "acme", "b1", "", now, outbox))
	ok(t, "confirm beta's", s.ConfirmBooking(ctx, "beta", "b2", "", now, []slotbook.Notification{notice("beta", "b2", "0-booked-customer", now.Add(-time.Minute))}))

	got, err := s.Notifications(ctx, "acme", "b1")
	ok(t, "list", err)
	want := []string{"0-booked-customer", "0-booked-employee", "reminder"}
	if ids := notificationIDs(got); !reflect.DeepEqual(ids, want) {
		t.Fatalf("Notifications = %v, want %v", ids, want)
	}
	if n := got[0]; !n.Due.Equal(now) || n.State != slotbook.NotificationPending || string(n.SealedToken) != "\x09\x08\x07" ||
		n.Lang != slotbook.German || !n.BookingStart.Equal(at(22, 9, 0)) || n.Kind != slotbook.NoticeBooked || n.To != slotbook.ToCustomer {
		t.Errorf("notification read back as %+v", n)
	}
	if got, _ := s.Notifications(ctx, "beta", "b1"); len(got) != 0 {
		t.Errorf("another company sees %v", notificationIDs(got))
	}

	// Due: both companies' due ones, the longest due first; not the
	// reminder, which is due tomorrow.
	due, err := s.DueNotifications(ctx, now, 10)
	ok(t, "due", err)
	if ids := dueIDs(due); !reflect.DeepEqual(ids, []string{"beta/b2/0-booked-customer", "acme/b1/0-booked-customer", "acme/b1/0-booked-employee"}) {
		t.Errorf("DueNotifications = %v", ids)
	}
	if due, _ := s.DueNotifications(ctx, now, 1); len(due) != 1 {
		t.Errorf("limit 1 gave %d", len(due))
	}

	// Two senders take the same notification: one wins.
	n := got[0]
	var wins, conflicts int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			held := n
			held.Due, held.Attempts, held.Version = now.Add(slotbook.SendLease), 1, slotbook.NewID()
			err := s.PutNotification(ctx, held, n.Version)
			mu.Lock()
			defer mu.Unlock()
			switch slotbook.ErrorCode(err) {
			case "":
				wins++
			case slotbook.Conflict:
				conflicts++
			default:
				t.Errorf("take: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != 3 {
		t.Errorf("4 senders took one notification: %d won, %d conflicts", wins, conflicts)
	}
	held, err := s.Notification(ctx, "acme", "b1", n.ID)
	ok(t, "get held", err)
	if held.Attempts != 1 || !held.Due.Equal(now.Add(slotbook.SendLease)) {
		t.Errorf("held = %+v", held)
	}
	sent := held
	sent.State, sent.SentAt, sent.Version = slotbook.NotificationSent, now, slotbook.NewID()
	ok(t, "mark sent", s.PutNotification(ctx, sent, held.Version))
	due, _ = s.DueNotifications(ctx, now.Add(time.Hour), 10)
	for _, d := range due {
		if d.BookingID == "b1" && d.ID == n.ID {
			t.Error("a sent notification is still due")
		}
	}
	stale := sent
	stale.Version = slotbook.NewID()
	wantCode(t, "put over a stale version", s.PutNotification(ctx, stale, held.Version), slotbook.Conflict)
	wantCode(t, "put a missing one with a version", s.PutNotification(ctx, notice("acme", "b1", "9-x-customer", now), "v"), slotbook.NotFound)
	_, err = s.Notification(ctx, "acme", "b1", "9-x-customer")
	wantCode(t, "a refused put wrote nothing", err, slotbook.NotFound)

	// Cancelling records its mails, raises the sequence, and an id taken
	// refuses the whole cancellation.
	dup := []slotbook.Notification{notice("acme", "b1", "0-booked-customer", now)}
	wantCode(t, "cancel with a taken id", s.CancelBooking(ctx, "acme", "b1", nil, dup), slotbook.Conflict)
	if b, _ := s.Booking(ctx, "acme", "b1"); b.Status != slotbook.Confirmed || b.Sequence != 0 {
		t.Fatalf("a refused cancellation left %v, sequence %d", b.Status, b.Sequence)
	}
	cancel := notice("acme", "b1", "1-cancelled-customer", now)
	cancel.Kind, cancel.Sequence = slotbook.NoticeCancelled, 1
	ok(t, "cancel with its mail", s.CancelBooking(ctx, "acme", "b1", nil, []slotbook.Notification{cancel}))
	b, err := s.Booking(ctx, "acme", "b1")
	ok(t, "get cancelled", err)
	if b.Status != slotbook.Cancelled || b.Sequence != 1 {
		t.Errorf("cancelled booking: %v, sequence %d", b.Status, b.Sequence)
	}
	got, _ = s.Notifications(ctx, "acme", "b1")
	if ids := notificationIDs(got); !reflect.DeepEqual(ids, []string{"0-booked-customer", "0-booked-employee", "1-cancelled-customer", "reminder"}) {
		t.Errorf("after cancel: %v", ids)
	}
}

func notificationIDs(ns []slotbook.Notification) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

func dueIDs(ns []slotbook.Notification) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.CompanyID+"/"+n.BookingID+"/"+n.ID)
	}
	return out
}
